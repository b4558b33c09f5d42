package importer

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/errgroup"

	"github.com/emporix-import/emporix-import/emporix"
	"github.com/emporix-import/emporix-import/mapping"
	"github.com/emporix-import/emporix-import/report"
)

// fileKeys collects the input's match keys while the file is synced: the
// mirror phase leaves every customer the file names alone, whatever became
// of its rows (invalid, failed and skipped rows protect their customer too).
type fileKeys struct {
	customerRows int // rows of the customer file (Seq below it); an address file's rows follow

	mu    sync.Mutex
	keys  map[string]struct{}
	noKey int // customer rows without a match key: which customers they are is unknown
}

func (f *fileKeys) add(g *mapping.Group) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if g.Key == "" {
		for _, r := range g.Rows {
			if r.Seq < f.customerRows { // an address row without key names no customer
				f.noKey++
			}
		}
		return
	}
	if f.keys == nil {
		f.keys = map[string]struct{}{}
	}
	f.keys[g.Key] = struct{}{}
}

// MirrorAbortPrefix starts the abort reason (Summary.Aborted) of a run whose
// mirror phase its guards stopped: the file is synced, nobody was touched.
const MirrorAbortPrefix = "mirror: "

// shownKeys is how many missing customers a stopped run names on stderr (the
// report has them all, and a dry run prints them all).
const shownKeys = 10

// Change entries of mirror rows.
const (
	changeDeactivate = "active: true → false"
	changeDelete     = "customer.delete"
)

// mirror is the mirror phase of an import (--missing deactivate|delete): once
// the file is synced, the customers in scope that the file lacks are listed,
// the guards checked, and only then deactivated or deleted, each report row
// following the request made for it.
type mirror struct {
	cfg     Config
	s       *session
	jr      *journal // nil in a dry run
	keys    *fileKeys
	byEmail bool
	seq     int // Seq of the first mirror row: after every input row

	mu  sync.Mutex // guards sum.Rows
	sum report.Mirror
}

func newMirror(cfg Config, s *session, jr *journal, keys *fileKeys, match string, rows int) *mirror {
	return &mirror{cfg: cfg, s: s, jr: jr, keys: keys, byEmail: match == mapping.MatchContactEmail, seq: rows,
		sum: report.Mirror{Action: string(cfg.Missing), Scope: cfg.Scope.String(), MaxMissing: cfg.MaxMissing.String()}}
}

// mirroring reports whether the run has a mirror phase.
func (c *Config) mirroring() bool { return c.Missing != "" && c.Missing != MissingIgnore }

// inputRows counts the rows of every input (the customer file and an address
// file): the mirror rows follow them.
func (s *session) inputRows(plan *mapping.Index) int {
	if s.addr != nil {
		return plan.Rows + s.addr.idx.Rows
	}
	return plan.Rows
}

// mirrorPhase runs the mirror phase once the file is completely synced; after
// an interrupted, aborted or broken run it touches nobody.
func (s *session) mirrorPhase(ctx context.Context, jr *journal, keys *fileKeys, match string, rows int, runErr error) (*report.Mirror, error) {
	mr := newMirror(s.cfg, s, jr, keys, match, rows)
	if runErr != nil || s.aborted() || s.out.failed() {
		mr.sum.Stopped = "the file was not synced completely"
		return &mr.sum, runErr
	}
	return &mr.sum, mr.run(ctx)
}

// run lists, guards and acts. A guard or an out-of-scope answer stops the
// phase before any customer is touched (exit 4, every missing customer
// reported skipped with the reason); a failed listing fails it (exit 3).
func (m *mirror) run(ctx context.Context) error {
	missing, err := m.list(ctx)
	if oos, ok := errors.AsType[*emporix.OutOfScopeError](err); ok {
		m.stop(nil, nil, oos.Error())
		return nil
	}
	if err != nil {
		m.sum.Stopped = "listing failed: " + err.Error()
		if ctx.Err() != nil {
			return fmt.Errorf("%w: mirror phase: %w", ErrInterrupted, err)
		}
		if m.cfg.Stderr != nil {
			fmt.Fprintf(m.cfg.Stderr, "mirror phase failed, no customer %s: %v\n", m.past(), err)
		}
		return fmt.Errorf("%w: mirror phase: %w", ErrRowsFailed, err)
	}
	done, err := m.jr.mirroredResults()
	if err != nil {
		return err
	}
	m.sum.Missing = len(missing) + len(done)
	if why := m.guard(missing); why != "" {
		return m.stop(missing, done, why)
	}
	return m.act(ctx, m.order(missing, done), done)
}

// list returns the customers in scope that the input lacks and the action
// applies to (deactivation passes over inactive ones), minus those an
// earlier run of this input already handled (--resume).
func (m *mirror) list(ctx context.Context) ([]string, error) {
	var missing []string
	st, err := m.cfg.Client.ListKeys(ctx, m.cfg.Scope, 0, func(page []emporix.CustomerKey) error {
		m.sum.InScope += len(page)
		for _, k := range page {
			if m.jr.hasMirrored(k.Number) || m.inFile(k) || m.cfg.Missing == MissingDeactivate && !k.Active {
				continue
			}
			missing = append(missing, k.Number)
		}
		return nil
	})
	m.sum.ListRequests = st.Requests
	return missing, err
}

// inFile reports whether the input names the listed customer.
func (m *mirror) inFile(k emporix.CustomerKey) bool {
	key := k.Number
	if m.byEmail {
		key = strings.ToLower(k.Email)
	}
	_, ok := m.keys.keys[key]
	return ok
}

func (m *mirror) past() string {
	if m.cfg.Missing == MissingDelete {
		return "deleted"
	}
	return "deactivated"
}

// guard says why no missing customer may be touched, or "".
func (m *mirror) guard(missing []string) string {
	n := m.sum.Missing
	switch {
	case m.keys.noKey > 0:
		return fmt.Sprintf("%d input rows have no %s, so the customers the file names are not known for certain",
			m.keys.noKey, m.keyName())
	case m.cfg.MaxMissing.Exceeded(n, m.sum.InScope):
		return fmt.Sprintf("%d of %d customers in scope are missing from the input, more than --max-missing %s allows "+
			"(check the export, or raise --max-missing)", n, m.sum.InScope, m.cfg.MaxMissing)
	case m.cfg.Missing == MissingDelete && !m.cfg.DryRun && len(missing) > 0 && !m.confirmed(missing):
		return "deletion not confirmed (give --yes-delete, or answer the prompt on a terminal)"
	}
	return ""
}

func (m *mirror) keyName() string {
	if m.byEmail {
		return mapping.MatchContactEmail
	}
	return mapping.MatchCustomerNumber
}

func (m *mirror) confirmed(missing []string) bool {
	if m.cfg.YesDelete {
		return true
	}
	return m.cfg.ConfirmDelete != nil &&
		m.cfg.ConfirmDelete(len(missing), m.cfg.Scope.String(), missing[:min(len(missing), shownKeys)])
}

// stop ends the phase before any customer is touched: every missing customer
// is reported skipped with the reason, and the run aborts (exit 4).
func (m *mirror) stop(missing []string, done map[string]report.Result, why string) error {
	m.sum.Stopped = why
	m.printStopped(missing, why)
	m.s.trip(MirrorAbortPrefix + why)
	for i, n := range m.order(missing, done) {
		res := report.Result{Seq: m.seq + i, Status: report.Skipped, CustomerNumber: n, Key: n,
			Message: "not " + m.past() + ": " + why}
		if r, ok := done[n]; ok {
			res = journalResult(m.seq+i, r)
		}
		if err := m.write(res); err != nil {
			return err
		}
	}
	return nil
}

// printStopped names the missing customers on stderr: the first few, or in a
// dry run all of them, so that the list can be checked before a real run.
func (m *mirror) printStopped(missing []string, why string) {
	if m.cfg.Stderr == nil {
		return
	}
	fmt.Fprintf(m.cfg.Stderr, "mirror stopped, no customer %s: %s\n", m.past(), why)
	shown := missing
	if !m.cfg.DryRun && len(shown) > shownKeys {
		shown = shown[:shownKeys]
	}
	if len(shown) == 0 {
		return
	}
	more := ""
	if len(shown) < len(missing) {
		more = fmt.Sprintf(" … and %d more (all in the report; --dry-run prints all)", len(missing)-len(shown))
	}
	fmt.Fprintf(m.cfg.Stderr, "missing (%d): %s%s\n", len(missing), strings.Join(shown, ", "), more)
}

// order is every mirror row's customer number, sorted: the rows' order.
func (m *mirror) order(missing []string, done map[string]report.Result) []string {
	all := slices.Concat(missing, slices.Collect(maps.Keys(done)))
	slices.Sort(all)
	return all
}

// journalResult is the row of a customer an earlier run acted on.
func journalResult(seq int, r report.Result) report.Result {
	return report.Result{Seq: seq, Status: r.Status, CustomerNumber: r.CustomerNumber, Key: r.CustomerNumber,
		Changes: r.Changes, Message: "done by the interrupted run"}
}

// act deactivates or deletes the customers (in a dry run: plans it),
// Concurrency at a time. After SIGINT/SIGTERM the requests in flight finish
// and the rest are reported skipped (exit 130; --resume continues).
func (m *mirror) act(ctx context.Context, all []string, done map[string]report.Result) error {
	eg, work := errgroup.WithContext(context.WithoutCancel(ctx))
	eg.SetLimit(m.cfg.Concurrency)
	var interrupted atomic.Bool
	for i, n := range all {
		seq := m.seq + i
		if r, ok := done[n]; ok {
			if err := m.write(journalResult(seq, r)); err != nil {
				return errors.Join(err, eg.Wait())
			}
			continue
		}
		// Checked again once a worker is free: the wait may outlast a signal.
		eg.Go(func() error {
			if why := m.stopped(ctx, work); why != "" {
				interrupted.Store(interrupted.Load() || ctx.Err() != nil)
				return m.write(report.Result{Seq: seq, Status: report.Skipped, CustomerNumber: n, Key: n, Message: why})
			}
			return m.one(work, seq, n)
		})
	}
	if err := eg.Wait(); err != nil {
		return err
	}
	if err := m.s.out.result(m.cfg.DryRun); err != nil {
		return err
	}
	if interrupted.Load() {
		return ErrInterrupted
	}
	return nil
}

// stopped says why no further customer is acted on, or "".
func (m *mirror) stopped(ctx, work context.Context) string {
	switch {
	case ctx.Err() != nil:
		return "not processed: interrupted"
	case work.Err() != nil:
		return "not processed: the run stopped on a fatal error"
	case m.s.out.failed():
		return "not processed: an output failed"
	}
	return ""
}

// one acts on one customer; its row says what the request did.
func (m *mirror) one(ctx context.Context, seq int, n string) error {
	res := report.Result{Seq: seq, CustomerNumber: n, Key: n}
	var err error
	switch {
	case m.cfg.Missing == MissingDelete && m.cfg.DryRun:
		res.Status, res.Changes = report.WouldDelete, []string{changeDelete}
	case m.cfg.DryRun:
		res.Status, res.Changes = report.WouldDeactivate, []string{changeDeactivate}
	case m.cfg.Missing == MissingDelete:
		err = m.cfg.Client.DeleteCustomer(ctx, n)
		res.Status, res.Changes = report.Deleted, []string{changeDelete}
	default:
		err = m.cfg.Client.PatchCustomer(ctx, n, map[string]any{"active": false})
		res.Status, res.Changes = report.Deactivated, []string{changeDeactivate}
	}
	switch {
	case emporix.IsNotFound(err):
		res.Status, res.Changes, res.Message = report.Skipped, nil, "no longer exists (removed since it was listed)"
	case err != nil:
		res.Status, res.Changes = report.Failed, nil
		res.Message = fmt.Sprintf("%s: %v", strings.TrimSuffix(m.past(), "d"), err)
	case m.jr != nil:
		m.s.out.changed.Add(1)
		// A failing journal breaks the outputs itself (no further write is issued).
		if m.jr.recordMirror(res) == nil {
			m.s.out.journalled.Add(1)
		}
	}
	if werr := m.write(res); werr != nil {
		return werr
	}
	if isFatal(err) {
		return err
	}
	return nil
}

// write records one mirror row: in the report, and on stderr when it failed.
// It is not an input row, so progress and --max-errors leave it out.
func (m *mirror) write(r report.Result) error {
	if err := m.s.rep.Write(r); err != nil {
		m.s.out.fail(err, false)
		return m.s.out.result(m.cfg.DryRun)
	}
	m.mu.Lock()
	m.sum.Rows++
	m.mu.Unlock()
	if r.Status == report.Failed {
		m.s.mu.Lock()
		m.s.printProblems([]report.Result{r})
		m.s.mu.Unlock()
	}
	return nil
}
