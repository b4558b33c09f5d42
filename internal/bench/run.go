package bench

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/emporix-import/emporix-import/emporix"
	"github.com/emporix-import/emporix-import/emulator"
	"github.com/emporix-import/emporix-import/importer"
	"github.com/emporix-import/emporix-import/report"
)

// ImportOptions shape one measured import.
type ImportOptions struct {
	Rate        float64           // client --rate (0 = unlimited)
	Concurrency int               // --concurrency
	Transport   http.RoundTripper // nil = http.DefaultTransport (as the CLI)
	Dir         string            // report and journal directory
	Mapping     string            // --mapping; "" = canonical columns
}

// Run is the outcome of one measured import.
type Run struct {
	Wall    time.Duration
	Summary report.Summary
	Client  emporix.Stats  // the client's counters
	Server  emulator.Stats // the emulator's counters for this run only
	Conns   int64          // TCP connections opened during the run
}

// OKRequests returns the customer API requests the server admitted (neither
// 429 nor the token endpoint) per second of wall time.
func (r Run) OKRequests() float64 {
	ok := r.Server.Requests - r.Server.TooMany - r.Server.TokensIssued
	return float64(ok) / r.Wall.Seconds()
}

var runSeq atomic.Int64

// Import imports input into the tenant through importer.Import, as
// `emporix-import import INPUT --quiet` would, and measures it. The
// emulator's counters are reset first. A run with failed rows is an error.
func (t *Tenant) Import(ctx context.Context, input string, o ImportOptions) (Run, error) {
	co := ClientOptions{Rate: o.Rate, Transport: o.Transport}
	if importer.MapsPasswords(input, o.Mapping) {
		co.Scopes = append(emporix.DefaultScopes(), emporix.ImportScopes...)
	}
	client, err := t.Client(co)
	if err != nil {
		return Run{}, err
	}
	n := strconv.FormatInt(runSeq.Add(1), 10)
	t.ResetStats()
	conns := t.Conns()
	start := time.Now()
	sum, err := importer.Import(ctx, importer.Config{
		Input:       input,
		MappingFile: o.Mapping,
		Report:      filepath.Join(o.Dir, "report-"+n+".csv"),
		JournalDir:  filepath.Join(o.Dir, "journal-"+n),
		Quiet:       true,
		Client:      client,
		Stats:       client.Stats,
		Concurrency: o.Concurrency,
	})
	r := Run{Wall: time.Since(start), Summary: sum, Client: client.Stats(), Server: t.Stats(), Conns: t.Conns() - conns}
	if err != nil {
		return r, fmt.Errorf("import %s: %w (counts %v)", filepath.Base(input), err, sum.Counts)
	}
	return r, nil
}
