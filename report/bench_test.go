package report

import (
	"path/filepath"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

func benchWrite(b *testing.B, ext string) {
	const rows = 100_000
	header := []string{"customerNumber", "contactEmail", "title", "firstName", "lastName", "contactPhone", "company",
		"address.contactName", "address.street", "address.streetNumber", "address.zipCode", "address.city",
		"address.country", "address.tags"}
	cells := []string{"C100000", "someone@example.de", "MR", "Jürgen", "Müller", "+49 30 1234567", "Müller GmbH",
		"Jürgen Müller", "Hauptstraße", "12a", "01067", "Dresden", "DE", "BILLING,SHIPPING"}
	b.ReportAllocs()
	// Sample the heap in the background so that Close (zipping) counts too.
	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for b.Loop() {
		w, err := Create(filepath.Join(b.TempDir(), "r"+ext), header)
		if err != nil {
			b.Fatal(err)
		}
		for i := range rows {
			st := Created
			if i%50 == 0 {
				st = Invalid
			}
			// mildly out of order: swap neighbours
			seq := i ^ 1
			r := Result{Seq: seq, Row: seq + 2, Cells: cells, Status: st, CustomerNumber: "C" + strconv.Itoa(seq),
				AddressIDs: []string{"addr-1"}, Changes: []string{"contactEmail", "title"}, Message: ""}
			if err := w.Write(r); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Close(Summary{Command: "import", Rows: rows}); err != nil {
			b.Fatal(err)
		}
	}
	runtime.ReadMemStats(&after)
	close(stop)
	<-done
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rows), "ns/row")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(b.N*rows), "allocs/row")
	b.ReportMetric(float64(peak.Load())/(1<<20), "MB-heap-peak")
}

func BenchmarkWriteCSV(b *testing.B)  { benchWrite(b, ".csv") }
func BenchmarkWriteXLSX(b *testing.B) { benchWrite(b, ".xlsx") }
