// Package importer runs validate and import: it streams mapped customer groups
// from the mapping layer through the sync engine into the report.
package importer

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emporix-import/emporix-import/emporix"
	"github.com/emporix-import/emporix-import/mapping"
	"github.com/emporix-import/emporix-import/report"
	"github.com/emporix-import/emporix-import/sheet"
)

// Outcomes with their own exit code (see ExitCode); anything else is fatal.
var (
	ErrRowsFailed  = errors.New("finished, but some rows are invalid or failed")
	ErrAborted     = errors.New("aborted")
	ErrInterrupted = errors.New("interrupted")
)

// UsageError marks a command-line mistake (exit 2). It is typed where the
// mistake is found (flag parsing, argument checks), never guessed from text.
type UsageError struct{ Err error }

func (e UsageError) Error() string { return e.Err.Error() }
func (e UsageError) Unwrap() error { return e.Err }

// Exit codes of the process and of Summary.ExitCode.
const (
	ExitOK          = 0
	ExitFatal       = 1
	ExitUsage       = 2
	ExitRowsFailed  = 3
	ExitAborted     = 4
	ExitInterrupted = 130
)

// ExitCode is the one mapping from a run's error to its exit code: the
// process status and --summary-json both come from here.
func ExitCode(err error) int {
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, new(UsageError)):
		return ExitUsage
	case errors.Is(err, ErrRowsFailed):
		return ExitRowsFailed
	case errors.Is(err, ErrAborted):
		return ExitAborted
	case errors.Is(err, ErrInterrupted):
		return ExitInterrupted
	}
	return ExitFatal
}

// ErrNoRows is the error of an input without data rows (unless AllowEmpty):
// a truncated export must not pass for a successful sync.
var ErrNoRows = errors.New("no data rows")

// Config is one validate or import run.
type Config struct {
	Input       string
	MappingFile string // "" = canonical columns
	// Table is the field table the mapping is read with; nil = the Emporix
	// API's (mapping.Std). The sync writes exactly the fields it describes.
	Table       mapping.Table
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
	Client       API
	Stats        func() emporix.Stats // request counters for the summary; may be nil
	DryRun       bool
	Concurrency  int
	MaxRetries   int           // also bounds look-up-then-retry rounds of creates with an unknown outcome
	RetryInitial time.Duration // first wait between those rounds; 0 = emporix.DefaultRetryInitial
	MaxErrors    int           // abort after this many failed/invalid rows; 0 = unlimited
	// MaxErrorsPercent aborts when failed/invalid rows exceed this share of
	// the rows done so far, once 100 rows are done; 0 = off.
	MaxErrorsPercent float64
	MaxDeletes       int  // --addresses replace: at most this many deletions; 0 = no limit
	AllowEmpty       bool // an input without data rows is not an error
	// ShutdownTimeout bounds how long customers in flight may take after
	// ctx is cancelled; then their requests are cancelled. 0 = no bound.
	ShutdownTimeout time.Duration
	// ForceStop, when closed (a second signal), cancels work in flight at once.
	ForceStop         <-chan struct{}
	StopOnError       bool
	ReplaceAddresses  bool
	ReplaceTags       bool
	Activate          bool
	SendPasswordReset bool
	Resume            bool
	// BulkDelay: a bulk import batch is sent when no customer joined it for
	// this long (0 = 1 s), or when full.
	BulkDelay     time.Duration
	RepairJournal bool // with Resume: truncate the journal at a damaged line instead of refusing
	// JournalCommitInterval is how often the journal is fsynced; 0 = 200 ms.
	JournalCommitInterval time.Duration
	// AddressesFile is a second input holding the customers' addresses,
	// joined to the customer rows by the match key; AddressesMapping is its
	// mapping ("" = the preset's "-addresses" companion, else the canonical columns).
	AddressesFile    string
	AddressesMapping string
	JournalDir       string // "" = .journal beside the report (reports/.journal by default)

	// Mode restricts the customers written (--mode); "" = upsert.
	Mode Mode
	// Missing is the mirror phase (--missing): what happens, after the file
	// is synced, to the customers in Scope that the file lacks; "" = ignore.
	Missing    MissingAction
	Scope      emporix.Scope
	MaxMissing Limit // the missing customers the mirror phase may touch (--max-missing)
	MinRows    int   // an input with fewer data rows aborts before any write; 0 = no minimum
	YesDelete  bool  // --missing delete may delete without asking
	// ConfirmDelete asks (on a terminal) whether n customers may be deleted;
	// nil means no one can be asked.
	ConfirmDelete func(n int, scope string, first []string) bool
}

// ErrTooFewRows is the error of an input with fewer data rows than MinRows:
// most likely a truncated export, which must not be synced (let alone mirrored).
var ErrTooFewRows = errors.New("fewer data rows than --min-rows")

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

// reserveReportPath picks the default report name and creates it exclusively,
// adding -2, -3, … when a report of that name exists (two runs started in
// the same second never share one). The empty file is the report writer's to
// fill.
func reserveReportPath(input string, now time.Time) (string, error) {
	base := DefaultReportPath(input, now)
	if err := os.MkdirAll(filepath.Dir(base), 0o755); err != nil {
		return "", fmt.Errorf("report: create directory: %w", err)
	}
	ext := filepath.Ext(base)
	stem := strings.TrimSuffix(base, ext)
	for n := 1; ; n++ {
		p := base
		if n > 1 {
			p = fmt.Sprintf("%s-%d%s", stem, n, ext)
		}
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, os.ErrExist) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("report: %w", err)
		}
		return p, f.Close()
	}
}

func loadMapping(file string, t mapping.Table) (*mapping.Mapping, error) {
	if t == nil {
		t = mapping.Std()
	}
	if file == "" {
		return mapping.DefaultFor(t), nil
	}
	return mapping.LoadTable(t, file)
}

// session is the state one run shares between the reader, the workers and the report.
type session struct {
	cfg     Config
	command string
	started time.Time
	rep     *report.Writer
	prog    progress

	read      atomic.Int64 // rows read from the input so far, for a --max-errors percentage
	mu        sync.Mutex
	bad       int              // failed + invalid rows, for --max-errors
	printed   int              // problem lines printed to stderr
	changes   map[string]int   // writes per field over all customers, for the summary
	addr      *addressInput    // the address file of a two-file run; nil = one file
	inputs    []*mapping.Index // indexed inputs, whose spooled rows closeInputs removes
	abortWhy  string
	abortOnce sync.Once
	abort     chan struct{} // closed when --max-errors/--stop-on-error trips
	out       *outputs

	// check runs after the first pass over the input, before the report is
	// created: a pre-flight that needs the input (nil = none).
	check func(context.Context, *mapping.Index) error
}

// newSession starts a run's clock: started is when the command began
// (journal load included).
func newSession(cfg Config, command string, started time.Time) *session {
	return &session{cfg: cfg, command: command, started: started, abort: make(chan struct{}), out: newOutputs()}
}

// closeInputs removes the rows spooled by the first passes.
func (s *session) closeInputs() {
	for _, idx := range s.inputs {
		_ = idx.Close()
	}
}

// write records the results of one group and trips the error limit. A
// report that cannot be written marks the outputs broken.
func (s *session) write(results []report.Result) error {
	var problems []report.Result
	for i := range results {
		results[i].File = s.fileOf(results[i].Seq)
	}
	for _, r := range results {
		if err := s.rep.Write(r); err != nil {
			s.out.fail(err, false)
			return err
		}
		if r.Status == report.Failed || r.Status == report.Invalid {
			problems = append(problems, r)
		}
	}
	s.prog.Add(len(results))
	s.mu.Lock()
	s.bad += len(problems)
	bad := s.bad
	s.printProblems(problems)
	s.mu.Unlock()
	if len(problems) == 0 {
		return nil
	}
	if why := s.errorLimit(int(s.read.Load()), bad); why != "" {
		s.trip(why)
	}
	return nil
}

// countChanges adds a customer's writes to the per-field counts.
func (s *session) countChanges(out *Outcome) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.changes == nil {
		s.changes = make(map[string]int)
	}
	countChanges(s.changes, out)
}

// errorLimit says whether bad rows of the rows read so far trip
// --max-errors/--stop-on-error.
func (s *session) errorLimit(read, bad int) string {
	limit := s.cfg.MaxErrors
	if s.cfg.StopOnError {
		limit = 1
	}
	if limit > 0 && bad >= limit {
		return fmt.Sprintf("%d failed/invalid rows reached the limit of %d", bad, limit)
	}
	// A share is judged only after 100 rows: earlier, one bad row is too big a part.
	if pct := s.cfg.MaxErrorsPercent; pct > 0 && read >= 100 && float64(bad)*100 > pct*float64(read) {
		return fmt.Sprintf("%d failed/invalid of %d rows read exceed --max-errors %g%%", bad, read, pct)
	}
	return ""
}

// trip aborts the run (exit 4, resumable); the first reason wins.
func (s *session) trip(why string) {
	s.abortOnce.Do(func() {
		s.abortWhy = why
		close(s.abort)
	})
}

func (s *session) abortReason() string {
	if !s.aborted() {
		return ""
	}
	return s.abortWhy
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
		file := filepath.Base(cmp.Or(r.File, s.cfg.Input))
		switch {
		case s.printed <= maxPrinted && s.cfg.LogProblems:
			s.cfg.logger().Warn("row "+string(r.Status), "file", file, "row", r.Row, "key", r.Key,
				"status", r.Status, "message", r.Message)
		case s.printed <= maxPrinted:
			fmt.Fprintln(s.cfg.Stderr, problemLine(file, r))
		case s.printed == maxPrinted+1:
			fmt.Fprintf(s.cfg.Stderr, "… more problems in %s\n", strings.Join(s.rep.ErrorsPaths(), ", "))
		}
	}
}

// problemLine is the text log line of an invalid or failed row, naming the
// file, the row and the customer key:
//
//	invalid: customers.csv row 17 (C1001): column "contactEmail": invalid e-mail address "x@@y"
//
// The row's own number is dropped from its messages, which name it already.
func problemLine(file string, r report.Result) string {
	var b strings.Builder
	switch {
	case r.Row == 0: // a tenant customer the file lacks (mirror)
		fmt.Fprintf(&b, "%s: customer %s (not in %s)", r.Status, r.Key, file)
	case r.Key != "":
		fmt.Fprintf(&b, "%s: %s row %d (%s)", r.Status, file, r.Row, r.Key)
	default:
		fmt.Fprintf(&b, "%s: %s row %d", r.Status, file, r.Row)
	}
	msg := r.Message
	own := fmt.Sprintf("row %d", r.Row)
	msg = strings.ReplaceAll(msg, own+", column ", "column ")
	msg = strings.TrimPrefix(msg, own+": ")
	msg = strings.ReplaceAll(msg, "; "+own+": ", "; ")
	if msg != "" {
		b.WriteString(": ")
		b.WriteString(msg)
	}
	return b.String()
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
func (s *session) prepare(ctx context.Context, m *mapping.Mapping) (*mapping.Index, error) {
	opts := m.SheetOptions()
	var detected sheet.Options
	plan, err := mapping.Prepare(ctx, s.cfg.Input, func() (sheet.Reader, error) {
		return openInput(s.cfg.Input, opts, &detected)
	}, m)
	if err != nil {
		return nil, err
	}
	s.inputs = append(s.inputs, plan)
	rows := plan.Rows
	ropts := []report.Option{report.WithSource(opts), report.WithErrorsSource(detected),
		report.WithSecretColumns(m.SecretColumns(plan.Header))}
	if s.cfg.AddressesFile != "" {
		o, err := s.prepareAddresses(ctx, m, plan.Rows)
		if err != nil {
			return nil, err
		}
		ropts = append(ropts, o)
		rows += s.addr.idx.Rows
	}
	if rows == 0 && !s.cfg.AllowEmpty {
		return nil, fmt.Errorf("%w in %s (--allow-empty accepts that)", ErrNoRows, s.cfg.Input)
	}
	if plan.Rows < s.cfg.MinRows {
		return nil, fmt.Errorf("%w: %s has %d, --min-rows is %d; nothing was written", ErrTooFewRows, s.cfg.Input, plan.Rows, s.cfg.MinRows)
	}
	if s.check != nil {
		if err := s.check(ctx, plan); err != nil {
			return nil, err
		}
	}
	reserved := s.cfg.Report == ""
	if reserved {
		if s.cfg.Report, err = reserveReportPath(s.cfg.Input, s.cfg.now()); err != nil {
			return nil, err
		}
	}
	if s.rep, err = report.Create(s.cfg.Report, plan.Header, ropts...); err != nil {
		if reserved {
			_ = os.Remove(s.cfg.Report) // never leave an empty report behind
		}
		return nil, err
	}
	s.prog = newProgress(s.cfg.Stderr, rows, s.cfg.Quiet, s.command)
	return plan, nil
}

// finish closes the report, prints the summary line and writes the JSON summary.
func (s *session) finish(sum report.Summary, runErr error) (report.Summary, error) {
	s.prog.Finish()
	sum.Command = s.command
	sum.StartedAt = s.started
	sum.Input = s.cfg.Input
	sum.Report = s.rep.Path()
	if paths := s.rep.ErrorsPaths(); len(paths) > 0 {
		sum.ErrorsFile = paths[0]
		if len(paths) > 1 {
			sum.ErrorsFiles = paths
		}
	}
	sum.Counts = s.rep.Counts()
	s.mu.Lock()
	sum.Changes = maps.Clone(s.changes)
	s.mu.Unlock()
	for _, n := range sum.Counts {
		sum.Rows += n
	}
	if sum.Mirror != nil {
		sum.Rows -= sum.Mirror.Rows // Rows counts input rows
	}
	setDuration(&sum, time.Since(s.started)) // for the XLSX Summary sheet, which is written by Close
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
	sum.ExitCode = ExitCode(err)
	if cerr := s.rep.Close(sum); cerr != nil && err == nil {
		err = s.closeFailed(cerr)
		sum.ExitCode = ExitCode(err)
	}
	// The duration ends once the report is closed (an XLSX report is finished there).
	setDuration(&sum, time.Since(s.started))
	if s.out.failed() {
		// The counts come from a report that could not be written: the
		// error's own message (what reached the tenant) is the one to read.
		sum.Error = err.Error()
	} else if s.cfg.Stderr != nil {
		fmt.Fprintln(s.cfg.Stderr, sum.Line())
	}
	if s.cfg.SummaryJSON != "" {
		if jerr := report.WriteJSON(s.cfg.SummaryJSON, sum); jerr != nil && err == nil {
			err = jerr
		}
	}
	return sum, err
}

// closeFailed is the error of a report that could not be finished after the
// run: for an import, it states what reached the tenant.
func (s *session) closeFailed(err error) error {
	if !strings.HasPrefix(s.command, "import") {
		return err
	}
	s.out.fail(err, false)
	oe := s.out.result(s.cfg.DryRun).(*OutputError)
	oe.Finished = true
	return oe
}

func setDuration(sum *report.Summary, d time.Duration) {
	sum.Duration = d
	if secs := d.Seconds(); secs > 0 {
		sum.RowsPerSecond = float64(sum.Rows) / secs
	}
}

// invalidResults reports every row of an invalid group with all its problems.
func invalidResults(g *mapping.Group, status report.Status) []report.Result {
	out := make([]report.Result, 0, len(g.Rows))
	for _, r := range g.Rows {
		msgs := append(append([]string(nil), r.Errors...), g.Errors...)
		res := rowResult(g, r, status)
		if len(msgs) > 0 {
			res.Status = report.Invalid
			res.Message = joinMessages(strings.Join(msgs, "; "), res.Message)
		}
		out = append(out, res)
	}
	return out
}

// problemResults reports every row of a group invalid with the group's problems.
func problemResults(g *mapping.Group, probs []string) []report.Result {
	out := make([]report.Result, 0, len(g.Rows))
	for _, r := range g.Rows {
		res := rowResult(g, r, report.Invalid)
		res.Message = joinMessages(strings.Join(probs, "; "), res.Message)
		out = append(out, res)
	}
	return out
}

func rowResult(g *mapping.Group, r *mapping.Row, status report.Status) report.Result {
	res := report.Result{Seq: r.Seq, Row: r.Num, Cells: r.Cells, Raw: r.Raw, Status: status, Key: g.Key}
	for _, w := range r.Warnings {
		res.Message = joinMessages(res.Message, "warning: "+w)
	}
	if v, ok := g.Customer["customerNumber"]; ok && !v.Clear {
		res.CustomerNumber = v.S
	}
	if res.Key == "" {
		res.Key = res.CustomerNumber
	}
	return res
}

// joinMessages puts a row's messages into one import_message cell.
func joinMessages(a, b string) string {
	if a == "" || b == "" {
		return a + b
	}
	return a + "; " + b
}

// skippedResults reports the rows of a group that was not processed.
func skippedResults(g *mapping.Group, why string) []report.Result {
	out := make([]report.Result, 0, len(g.Rows))
	for _, r := range g.Rows {
		res := rowResult(g, r, report.Skipped)
		res.Message = joinMessages(why, res.Message)
		out = append(out, res)
	}
	return out
}
