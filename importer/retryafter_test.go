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

// A server answering 429 with Retry-After: 100000 (past the connection
// check) is not waited out 30 s per attempt per customer: the first such
// answer aborts the run (exit 4, resumable) and no further request is sent.
// Before, 10 customers with --max-retries 2 took minutes.
func TestRetryAfterBeyondLimitAbortsRun(t *testing.T) {
	srv := emulator.New(emulator.Config{})
	var throttled atomic.Bool
	var after atomic.Int32 // API requests answered 429
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if throttled.Load() && strings.Contains(r.URL.Path, "/customer/") {
			after.Add(1)
			w.Header().Set("Retry-After", "100000")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		if strings.Contains(r.URL.Path, "/customer/") && r.URL.Query().Get("pageSize") == "1" {
			defer throttled.Store(true) // the connection check passes, then the quota is gone
		}
		srv.ServeHTTP(w, r)
	}))
	t.Cleanup(hs.Close)
	c := srv.Config()
	newClient := func() *emporix.Client {
		client, err := emporix.New(emporix.Config{
			BaseURL: hs.URL, Tenant: c.Tenant, ClientID: c.ClientID, ClientSecret: c.ClientSecret,
			MaxRetries: 2, RetryInitial: time.Millisecond, RetryMax: time.Millisecond,
		})
		if err != nil {
			t.Fatal(err)
		}
		return client
	}
	in := filepath.Join(t.TempDir(), "in.csv")
	var b strings.Builder
	b.WriteString("customerNumber,contactEmail,firstName,lastName\n")
	for i := range 10 {
		fmt.Fprintf(&b, "R%d,r%d@example.com,A,B\n", i, i)
	}
	if err := os.WriteFile(in, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	const concurrency = 4
	client := newClient()
	cfg := importer.Config{Input: in, Report: filepath.Join(t.TempDir(), "report.csv"), Quiet: true,
		Client: client, Stats: client.Stats, Concurrency: concurrency, MaxRetries: 2, RetryInitial: time.Millisecond}

	// Throttled from the start: the connection check fails (exit 1), nothing written.
	throttled.Store(true)
	_, err := importer.Import(t.Context(), cfg)
	if !errors.Is(err, emporix.ErrRetryAfterTooLong) || !strings.HasPrefix(err.Error(), "connection check: ") {
		t.Fatalf("throttled from the start: err %v", err)
	}
	if n := after.Swap(0); n != 1 {
		t.Errorf("connection check: %d requests, want 1", n)
	}

	throttled.Store(false)
	client = newClient()
	cfg.Client, cfg.Stats = client, client.Stats
	sum, err := importer.Import(t.Context(), cfg)
	if !errors.Is(err, importer.ErrAborted) || sum.ExitCode != 4 || !strings.Contains(sum.Aborted, "Retry-After") {
		t.Fatalf("exit %d, aborted %q, err %v", sum.ExitCode, sum.Aborted, err)
	}
	// At most one 429 per customer already in flight; none retried.
	if n := after.Load(); n < 1 || n > concurrency {
		t.Errorf("server answered %d requests with 429, want 1..%d", n, concurrency)
	}
	if s := client.Stats(); s.Retries != 0 {
		t.Errorf("%d retries after a Retry-After beyond the limit", s.Retries)
	}
	if sum.Rows != 10 {
		t.Errorf("report has %d rows, want all 10", sum.Rows)
	}
	if len(srv.State().Customers) != 0 {
		t.Errorf("customers written while throttled")
	}
}
