package importer_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emporix-import/emporix-import/emporix"
	"github.com/emporix-import/emporix-import/emulator"
	"github.com/emporix-import/emporix-import/importer"
)

// A server that stops answering after the connection check aborts the run
// (exit 4, resumable) once the client gives up on it, instead of retrying
// every customer; resuming against the live server completes the import.
func TestServerUnreachableAbortsRun(t *testing.T) {
	srv := emulator.New(emulator.Config{})
	var dead, deadOnWrite atomic.Bool
	stop := make(chan struct{})
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && strings.Contains(r.URL.Path, "/customers") && deadOnWrite.Load() {
			dead.Store(true) // the server dies at the first write
		}
		if dead.Load() && strings.Contains(r.URL.Path, "/customer/") {
			select { // accept, never answer
			case <-r.Context().Done():
			case <-stop:
			}
			return
		}
		srv.ServeHTTP(w, r)
	}))
	t.Cleanup(hs.Close)
	t.Cleanup(func() { close(stop) }) // runs first: release hanging handlers
	c := srv.Config()
	client, err := emporix.New(emporix.Config{
		BaseURL: hs.URL, Tenant: c.Tenant, ClientID: c.ClientID, ClientSecret: c.ClientSecret,
		MaxRetries: 5, RetryInitial: time.Millisecond, RetryMax: time.Millisecond,
		ResponseHeaderTimeout: 30 * time.Millisecond, BreakerFailures: 3, BreakerSpan: time.Nanosecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(t.TempDir(), "in.csv")
	var b strings.Builder
	b.WriteString("customerNumber,contactEmail,firstName,lastName\n")
	for i := range 40 {
		fmt.Fprintf(&b, "U%d,u%d@example.com,A,B\n", i, i)
	}
	if err := os.WriteFile(in, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	reports := t.TempDir()
	cfg := importer.Config{Input: in, Report: filepath.Join(reports, "report.csv"), Quiet: true,
		Client: client, Stats: client.Stats, Concurrency: 4, MaxRetries: 5, RetryInitial: time.Millisecond}
	dead.Store(true)
	sum, err := importer.Import(t.Context(), cfg)
	// The connection check is the first request: it gives up as fatal, nothing written.
	if !errors.Is(err, emporix.ErrServerUnreachable) || !strings.HasPrefix(err.Error(), "connection check: ") {
		t.Fatalf("dead from the start: err %v", err)
	}

	client, err = emporix.New(emporix.Config{
		BaseURL: hs.URL, Tenant: c.Tenant, ClientID: c.ClientID, ClientSecret: c.ClientSecret,
		MaxRetries: 5, RetryInitial: time.Millisecond, RetryMax: time.Millisecond,
		ResponseHeaderTimeout: 30 * time.Millisecond, BreakerFailures: 3, BreakerSpan: time.Nanosecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Client, cfg.Stats = client, client.Stats
	dead.Store(false)
	deadOnWrite.Store(true)
	start := time.Now()
	sum, err = importer.Import(t.Context(), cfg)
	if !errors.Is(err, importer.ErrAborted) || sum.ExitCode != 4 || !strings.Contains(sum.Aborted, "stopped answering") {
		t.Fatalf("dead mid-run: exit %d, aborted %q, err %v", sum.ExitCode, sum.Aborted, err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("abort took %v", d)
	}
	if sum.Rows != 40 {
		t.Errorf("report has %d rows, want all 40", sum.Rows)
	}

	dead.Store(false)
	deadOnWrite.Store(false)
	live, err := emporix.New(emporix.Config{BaseURL: hs.URL, Tenant: c.Tenant, ClientID: c.ClientID, ClientSecret: c.ClientSecret,
		MaxRetries: 5, RetryInitial: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Client, cfg.Stats, cfg.Resume = live, live.Stats, true
	cfg.Report = filepath.Join(reports, "resumed.csv")
	if sum, err = importer.Import(t.Context(), cfg); err != nil || sum.ExitCode != 0 {
		t.Fatalf("resume: exit %d, err %v", sum.ExitCode, err)
	}
	if n := len(srv.State().Customers); n != 40 {
		t.Errorf("tenant has %d customers after resume, want 40", n)
	}
}
