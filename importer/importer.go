// Package importer runs validate and import: it streams mapped customer groups
// from the mapping layer through the sync engine into the report.
package importer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/emporix-import/emporix-import/emporix"
	"github.com/emporix-import/emporix-import/mapping"
	"github.com/emporix-import/emporix-import/report"
	"github.com/emporix-import/emporix-import/sheet"
)

// Outcomes the CLI maps to exit codes (SPEC §2); anything else is fatal.
var (
	ErrRowsFailed  = errors.New("finished, but some rows are invalid or failed")
	ErrAborted     = errors.New("aborted")
	ErrInterrupted = errors.New("interrupted")
)

// Config is one validate or import run.
type Config struct {
	Input       string
	MappingFile string // "" = canonical columns
	Report      string // "" = reports/<stem>-<UTC time>.<input format>
	SummaryJSON string
	Quiet       bool
	Stderr      io.Writer // progress and the summary line
	Logger      *slog.Logger
	// LogProblems sends invalid/failed rows to Logger (e.g. JSON logs for
	// cron) instead of plain lines on Stderr.
	LogProblems bool
	Now         func() time.Time // for the default report name; nil = time.Now

	// Import only.
	Client            API
	Stats             func() emporix.Stats // request counters for the summary; may be nil
	DryRun            bool
	Concurrency       int
	MaxRetries        int           // also bounds look-up-then-retry rounds of creates with an unknown outcome
	RetryInitial      time.Duration // first wait between those rounds; 0 = 500 ms
	MaxErrors         int           // abort after this many failed/invalid rows; 0 = unlimited
	StopOnError       bool
	ReplaceAddresses  bool
	ReplaceTags       bool
	Activate          bool
	SendPasswordReset bool
	Resume            bool
	JournalDir        string // "" = .journal beside the report (reports/.journal by default)
}

func (c *Config) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Config) logger() *slog.Logger {
	if c.Logger != nil {
		return c.Logger
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// DefaultReportPath is reports/<input-stem>-<UTC yyyymmddThhmmss>.<csv|xlsx>.
func DefaultReportPath(input string, now time.Time) string {
	ext := strings.ToLower(filepath.Ext(input))
	format := ".csv"
	if ext == ".xlsx" || ext == ".xlsm" {
		format = ".xlsx"
	}
	stem := strings.TrimSuffix(filepath.Base(input), filepath.Ext(input))
	return filepath.Join("reports", stem+"-"+now.UTC().Format("20060102T150405")+format)
}

func loadMapping(file string) (*mapping.Mapping, error) {
	if file == "" {
		return mapping.Default(), nil
	}
	return mapping.Load(file)
}

// session is the state one run shares between the reader, the workers and the report.
type session struct {
	cfg     Config
	command string
	started time.Time
	rep     *report.Writer
	prog    progress

	mu        sync.Mutex
	bad       int // failed + invalid rows, for --max-errors
	printed   int // problem lines printed to stderr
	abortWhy  string
	abortOnce sync.Once
	abort     chan struct{} // closed when --max-errors/--stop-on-error trips
}

func newSession(cfg Config, command string) *session {
	return &session{cfg: cfg, command: command, started: time.Now(), abort: make(chan struct{})}
}

// write records the results of one group and trips the error limit.
func (s *session) write(results []report.Result) error {
	var problems []report.Result
	for _, r := range results {
		if err := s.rep.Write(r); err != nil {
			return err
		}
		if r.Status == report.Failed || r.Status == report.Invalid {
			problems = append(problems, r)
		}
	}
	s.prog.Add(len(results))
	if len(problems) == 0 {
		return nil
	}
	s.mu.Lock()
	s.bad += len(problems)
	n := s.bad
	s.printProblems(problems)
	s.mu.Unlock()
	limit := s.cfg.MaxErrors
	if s.cfg.StopOnError {
		limit = 1
	}
	if limit > 0 && n >= limit {
		s.abortOnce.Do(func() {
			s.abortWhy = fmt.Sprintf("%d failed/invalid rows reached the limit of %d", n, limit)
			close(s.abort)
		})
	}
	return nil
}

// maxPrinted caps the problem lines on stderr; the errors file has them all.
const maxPrinted = 50

// printProblems shows invalid and failed rows on stderr (even with --quiet:
// they are errors). Called with s.mu held.
func (s *session) printProblems(rs []report.Result) {
	if s.cfg.Stderr == nil {
		return
	}
	for _, r := range rs {
		s.printed++
		switch {
		case s.printed <= maxPrinted && s.cfg.LogProblems:
			s.cfg.logger().Warn("row "+string(r.Status), "row", r.Row, "status", r.Status, "message", r.Message)
		case s.printed <= maxPrinted:
			fmt.Fprintf(s.cfg.Stderr, "%s: %s\n", r.Status, r.Message)
		case s.printed == maxPrinted+1:
			fmt.Fprintf(s.cfg.Stderr, "… more problems in %s\n", s.rep.ErrorsPath())
		}
	}
}

func (s *session) aborted() bool {
	select {
	case <-s.abort:
		return true
	default:
		return false
	}
}

// prepare makes the first pass over the input (header, mapping, group index)
// and creates the report, so an unreadable input, a bad mapping or an
// unwritable report stop the run before anything is written.
func (s *session) prepare(ctx context.Context, m *mapping.Mapping) (*mapping.Plan, error) {
	opts := m.SheetOptions()
	plan, err := mapping.Prepare(ctx, s.cfg.Input, func() (sheet.Reader, error) { return sheet.Open(s.cfg.Input, opts) }, m)
	if err != nil {
		return nil, err
	}
	if s.rep, err = report.Create(s.cfg.Report, plan.Header, report.WithSource(report.Source(opts))); err != nil {
		return nil, err
	}
	s.prog = newProgress(s.cfg.Stderr, plan.Rows, s.cfg.Quiet, s.command)
	return plan, nil
}

// finish closes the report, prints the summary line and writes the JSON summary.
func (s *session) finish(sum report.Summary, runErr error) (report.Summary, error) {
	s.prog.Finish()
	sum.Command = s.command
	sum.StartedAt = s.started
	sum.Input = s.cfg.Input
	sum.Report = s.rep.Path()
	sum.ErrorsFile = s.rep.ErrorsPath()
	sum.Counts = s.rep.Counts()
	for _, n := range sum.Counts {
		sum.Rows += n
	}
	sum.Duration = time.Since(s.started)
	if secs := sum.Duration.Seconds(); secs > 0 {
		sum.RowsPerSecond = float64(sum.Rows) / secs
	}
	if s.cfg.Stats != nil {
		st := s.cfg.Stats()
		sum.Requests, sum.Retries, sum.RateLimited = int(st.Requests), int(st.Retries), int(st.RateLimited)
	}
	err := runErr
	if err == nil {
		if s.aborted() {
			sum.Aborted = s.abortWhy
			err = fmt.Errorf("%w: %s", ErrAborted, s.abortWhy)
		} else if sum.Counts[report.Failed]+sum.Counts[report.Invalid] > 0 {
			err = ErrRowsFailed
		}
	}
	sum.ExitCode = exitCodeOf(err)
	if cerr := s.rep.Close(sum); cerr != nil && err == nil {
		err = cerr
		sum.ExitCode = 1
	}
	if s.cfg.Stderr != nil {
		fmt.Fprintln(s.cfg.Stderr, sum.Line())
	}
	if s.cfg.SummaryJSON != "" {
		if jerr := report.WriteJSON(s.cfg.SummaryJSON, sum); jerr != nil && err == nil {
			err = jerr
		}
	}
	return sum, err
}

func exitCodeOf(err error) int {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, ErrRowsFailed):
		return 3
	case errors.Is(err, ErrAborted):
		return 4
	case errors.Is(err, ErrInterrupted):
		return 130
	}
	return 1
}

// invalidResults reports every row of an invalid group with all its problems.
func invalidResults(g *mapping.Group, status report.Status) []report.Result {
	out := make([]report.Result, 0, len(g.Rows))
	for _, r := range g.Rows {
		msgs := append(append([]string(nil), r.Errors...), g.Errors...)
		res := rowResult(g, r, status)
		if len(msgs) > 0 {
			res.Status = report.Invalid
			res.Message = strings.Join(msgs, "; ")
		}
		out = append(out, res)
	}
	return out
}

func rowResult(g *mapping.Group, r *mapping.Row, status report.Status) report.Result {
	res := report.Result{Seq: r.Seq, Row: r.Num, Cells: r.Cells, Status: status}
	if v, ok := g.Customer["customerNumber"]; ok && !v.Clear {
		res.CustomerNumber = v.S
	}
	return res
}

// skippedResults reports the rows of a group that was not processed.
func skippedResults(g *mapping.Group, why string) []report.Result {
	out := make([]report.Result, 0, len(g.Rows))
	for _, r := range g.Rows {
		res := rowResult(g, r, report.Skipped)
		res.Message = why
		out = append(out, res)
	}
	return out
}
