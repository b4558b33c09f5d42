package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/emporix-import/emporix-import/emporix"
	"github.com/emporix-import/emporix-import/emulator"
	"github.com/emporix-import/emporix-import/report"
)

// Mirror scenario sizes (issue 14).
const (
	mirrorCustomers = 100_000 // in scope (customerNumber B…)
	mirrorShop      = 1_000   // shop-only customers, out of scope
	mirrorDropEvery = 100     // every 100th customer left the export: 1% missing
)

// BenchmarkMirror100k lists a 100,000-customer scope for the mirror phase.
// The tenant holds the customers exactly as importing the export would leave
// them, plus 1,000 shop-only ones; the export lacks 1% of them. It measures
// the listing alone in-process (requests, time), then the whole nightly run
// of the binary (`import --missing deactivate --scope customerNumber:B*`)
// in a child process: its requests and its peak RSS.
func BenchmarkMirror100k(b *testing.B) {
	skipShort(b)
	dir := b.TempDir()
	bin := filepath.Join(dir, "emporix-import")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/emporix-import").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	in := filepath.Join(dir, "export.csv")
	kept := func(yield func(Customer) bool) {
		for c := range Stream(mirrorCustomers, 11) {
			if num := c.Number; (num[len(num)-2:] != "00") && !yield(c) {
				return
			}
		}
	}
	rows, err := WriteCSV(in, kept)
	if err != nil {
		b.Fatal(err)
	}
	secret := filepath.Join(dir, "secret")
	if err := os.WriteFile(secret, []byte(emulator.DefaultConfig().ClientSecret), 0o600); err != nil {
		b.Fatal(err)
	}
	for range b.N {
		ten := newMirrorTenant(b)
		listMirrorScope(b, ten)
		runMirror(b, ten, bin, in, secret, rows, dir)
		ten.Close()
	}
}

func newMirrorTenant(b *testing.B) *Tenant {
	ten := NewTenant(emulator.Config{})
	if err := ten.SeedInSync(Stream(mirrorCustomers, 11)); err != nil {
		b.Fatal(err)
	}
	shop := make([]emulator.Customer, mirrorShop)
	for i := range shop {
		shop[i] = emulator.Customer{CustomerNumber: fmt.Sprintf("S%07d", i), ContactEmail: fmt.Sprintf("shop%d@example.com", i), Active: true}
	}
	if err := ten.Seed(shop...); err != nil {
		b.Fatal(err)
	}
	return ten
}

// listMirrorScope lists the scope in-process, as the mirror phase does.
func listMirrorScope(b *testing.B, ten *Tenant) {
	client, err := ten.Client(ClientOptions{})
	if err != nil {
		b.Fatal(err)
	}
	scope, err := emporix.ParseScope("customerNumber:B*")
	if err != nil {
		b.Fatal(err)
	}
	ten.ResetStats()
	start := time.Now()
	st, err := client.ListKeys(context.Background(), scope, 0, func([]emporix.CustomerKey) error { return nil })
	wall := time.Since(start)
	if err != nil || st.Listed != mirrorCustomers {
		b.Fatalf("listing: %+v, %v", st, err)
	}
	const scen = "6 mirror: list 100k in scope (+1k out)"
	b.ReportMetric(float64(st.Requests), "list_requests")
	figures.Add(Figure{scen, "list requests", float64(st.Requests), AtMost(mirrorCustomers/emporix.ListPageSize + 1),
		fmt.Sprintf("pageSize %d, %.2fs in-process", st.PageSize, wall.Seconds())})
}

// runMirror runs the nightly mirror import with the binary and records its
// requests and peak RSS.
func runMirror(b *testing.B, ten *Tenant, bin, in, secret string, rows int, dir string) {
	sumPath := filepath.Join(dir, "summary.json")
	args := []string{bin, "import", in, "--api-url", ten.URL, "--tenant", ten.Config().Tenant,
		"--client-id", ten.Config().ClientID, "--client-secret-file", secret, "--quiet", "--rate", "0",
		"--concurrency", "16", "--report", filepath.Join(dir, "report.csv"), "--summary-json", sumPath,
		"--missing", "deactivate", "--scope", "customerNumber:B*"}
	ten.ResetStats()
	start := time.Now()
	kb, err := peakRSS(args, "EMPORIX_IMPORT_LOCK_DIR="+filepath.Join(dir, "locks"))
	wall := time.Since(start)
	if err != nil {
		b.Fatal(err)
	}
	var sum report.Summary
	if raw, err := os.ReadFile(sumPath); err != nil || json.Unmarshal(raw, &sum) != nil || sum.Mirror == nil {
		b.Fatalf("summary: %v\n%s", err, raw)
	}
	missing := mirrorCustomers / mirrorDropEvery
	if sum.Counts[report.Deactivated] != missing || sum.Counts[report.Unchanged] != rows || sum.Mirror.InScope != mirrorCustomers {
		b.Fatalf("run: counts %v, mirror %+v", sum.Counts, sum.Mirror)
	}
	mb := float64(kb) / 1024
	const scen = "6 mirror: nightly run, 100k in scope, 1% missing"
	b.ReportMetric(mb, "peak_rss_MB")
	figures.Add(Figure{scen, "mirror list requests", float64(sum.Mirror.ListRequests), AtMost(mirrorCustomers/emporix.ListPageSize + 1),
		fmt.Sprintf("%d in scope, %d deactivated", sum.Mirror.InScope, sum.Counts[report.Deactivated])})
	figures.Add(Figure{scen, "requests, whole run", float64(sum.Requests), Goal{},
		fmt.Sprintf("%d rows unchanged, %d PATCH; %.1fs", rows, ten.Stats().ByMethod["PATCH"], wall.Seconds())})
	figures.Add(Figure{scen, "peak RSS (MB), binary", mb, AtMost(100), fmt.Sprintf("%.1fs", wall.Seconds())})
}
