package sheet

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/xuri/excelize/v2"
)

var benchDir string

func TestMain(m *testing.M) {
	code := m.Run()
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
	os.Exit(code)
}

const benchCols = 26

var (
	benchCSVOnce, benchXLSXOnce sync.Once
	benchCSVPath, benchXLSXPath string
)

func benchTemp(b *testing.B) string {
	if benchDir == "" {
		dir, err := os.MkdirTemp("", "sheet-bench-")
		if err != nil {
			b.Fatal(err)
		}
		benchDir = dir
	}
	return benchDir
}

func benchValue(row, col int) string {
	switch col % 4 {
	case 0:
		return fmt.Sprintf("C%07d", row)
	case 1:
		return fmt.Sprintf("user%d@example.com", row)
	case 2:
		return "Hauptstraße " + fmt.Sprint(row%200)
	default:
		return "Müller-Lüdenscheidt"
	}
}

func benchCSV(b *testing.B, rows int) string {
	benchCSVOnce.Do(func() {
		path := filepath.Join(benchTemp(b), "bench.csv")
		f, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		w := bufio.NewWriter(f)
		cells := make([]string, benchCols)
		for c := range cells {
			cells[c] = fmt.Sprintf("col%d", c)
		}
		fmt.Fprintln(w, strings.Join(cells, ";"))
		for r := 0; r < rows; r++ {
			for c := range cells {
				cells[c] = benchValue(r, c)
			}
			fmt.Fprintln(w, strings.Join(cells, ";"))
		}
		if err := w.Flush(); err != nil {
			b.Fatal(err)
		}
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
		benchCSVPath = path
	})
	return benchCSVPath
}

func benchXLSX(b *testing.B, rows int) string {
	benchXLSXOnce.Do(func() {
		f := excelize.NewFile()
		defer f.Close()
		sw, err := f.NewStreamWriter("Sheet1")
		if err != nil {
			b.Fatal(err)
		}
		vals := make([]any, benchCols)
		for c := range vals {
			vals[c] = fmt.Sprintf("col%d", c)
		}
		_ = sw.SetRow("A1", vals)
		for r := 0; r < rows; r++ {
			for c := range vals {
				vals[c] = benchValue(r, c)
			}
			cell, _ := excelize.CoordinatesToCellName(1, r+2)
			if err := sw.SetRow(cell, vals); err != nil {
				b.Fatal(err)
			}
		}
		if err := sw.Flush(); err != nil {
			b.Fatal(err)
		}
		path := filepath.Join(benchTemp(b), "bench.xlsx")
		if err := f.SaveAs(path); err != nil {
			b.Fatal(err)
		}
		benchXLSXPath = path
	})
	return benchXLSXPath
}

// benchReadMetrics reads the whole file b.N times and reports rows/s,
// allocations per row and the peak live heap sampled while reading (it must not
// grow with the row count).
func benchReadMetrics(b *testing.B, path string, wantRows int) {
	b.ReportAllocs()
	var before, after, ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var peak uint64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r, err := Open(path, Options{})
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for {
			row, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil || row.Err != nil {
				b.Fatal(err, row.Err)
			}
			n++
			if n%(wantRows/4) == 0 {
				b.StopTimer()
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapInuse)
				b.StartTimer()
			}
		}
		r.Close()
		if n != wantRows {
			b.Fatalf("read %d rows, want %d", n, wantRows)
		}
	}
	b.StopTimer()
	runtime.ReadMemStats(&after)
	total := float64(b.N * wantRows)
	b.ReportMetric(total/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/total, "allocs/row")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
}

func BenchmarkCSVRead(b *testing.B) {
	const rows = 100_000
	benchReadMetrics(b, benchCSV(b, rows), rows)
}

func BenchmarkXLSXRead(b *testing.B) {
	const rows = 10_000
	benchReadMetrics(b, benchXLSX(b, rows), rows)
}
