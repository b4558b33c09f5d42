package importer

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/emporix-import/emporix-import/emporix"
	"github.com/emporix-import/emporix-import/mapping"
	"github.com/emporix-import/emporix-import/report"
)

// pipeline is one import run: the feeder (plan.Emit) batches valid groups,
// lookup workers read their current state with one request per batch, sync
// workers decide and apply, and every group's rows go to the report (and,
// when done, to the journal).
//
// Two contexts: ctx is the caller's and ends at the first SIGINT/SIGTERM
// (stop feeding); work carries the requests in flight and ends on a fatal
// error, after --shutdown-timeout, or at a second signal.
type pipeline struct {
	cfg  Config
	s    *session
	sy   *syncer
	jr   *journal  // nil in a dry run
	keys *fileKeys // the input's match keys, for the mirror phase; nil without one
	ctx  context.Context
	work context.Context
	stop context.CancelCauseFunc

	batches     chan []*mapping.Group
	jobs        chan job
	bulk        *bulker          // creates of customers with a password hash
	batch       []*mapping.Group // the feeder's pending batch
	sent        int              // batches handed to the lookup workers so far
	interrupted atomic.Bool
}

func newPipeline(ctx context.Context, cfg Config, s *session, sy *syncer, jr *journal) *pipeline {
	base, stop := context.WithCancelCause(context.WithoutCancel(ctx))
	p := &pipeline{cfg: cfg, s: s, sy: sy, jr: jr, ctx: ctx, stop: stop,
		batches: make(chan []*mapping.Group), jobs: make(chan job)}
	p.work = base
	p.bulk = newBulker(p, nil)
	return p
}

// run feeds the plan through the workers and waits for them.
func (p *pipeline) run(plan *mapping.Index) error {
	defer p.stop(nil)
	eg, work := errgroup.WithContext(p.work)
	p.work = work
	go p.bound()
	// The bulk importer takes creates from the sync workers until the last
	// of them is done, so it is fed and closed apart from them.
	var syncers sync.WaitGroup
	syncers.Add(p.cfg.Concurrency)
	for range p.cfg.Concurrency {
		eg.Go(func() error { defer syncers.Done(); return p.syncLoop() })
	}
	eg.Go(p.bulk.loop)
	var lookups errgroup.Group
	for range max(1, p.cfg.Concurrency/2) {
		lookups.Go(p.lookupLoop)
	}
	feedErr := p.s.emit(context.WithoutCancel(p.ctx), plan, p.feed)
	if feedErr == nil {
		feedErr = p.flush()
	}
	close(p.batches)
	lookupErr := lookups.Wait()
	close(p.jobs)
	syncers.Wait()
	close(p.bulk.in)
	err := errors.Join(feedErr, lookupErr, eg.Wait())
	if oerr := p.s.out.result(p.cfg.DryRun); oerr != nil {
		// One message: the output's failure and what reached the tenant.
		return oerr
	}
	if err == nil && p.interrupted.Load() {
		err = ErrInterrupted
	}
	return err
}

// bound gives work in flight at most --shutdown-timeout after the first
// signal, and nothing after ForceStop (a second signal).
func (p *pipeline) bound() {
	select {
	case <-p.work.Done():
		return
	case <-p.ctx.Done():
	}
	var timeout <-chan time.Time
	if p.cfg.ShutdownTimeout > 0 {
		t := time.NewTimer(p.cfg.ShutdownTimeout)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-p.work.Done():
	case <-timeout:
		p.stop(fmt.Errorf("%w after --shutdown-timeout %s", errShutdown, p.cfg.ShutdownTimeout))
	case <-p.cfg.ForceStop:
		p.stop(fmt.Errorf("%w by a second signal", errShutdown))
	}
}

// feed handles one group from the input, in input order.
func (p *pipeline) feed(g *mapping.Group) error {
	if p.s.out.failed() {
		return p.s.out.err // nothing more can be reported: stop reading
	}
	p.s.read.Add(int64(len(g.Rows)))
	if p.keys != nil {
		p.keys.add(g)
	}
	if !g.Valid() {
		return p.s.write(invalidResults(g, report.Invalid))
	}
	if p.jr != nil && p.cfg.Resume {
		done, err := p.jr.replay(g.Key, rowCells(g))
		if err != nil {
			return err
		}
		if done != nil {
			return p.s.write(done)
		}
	}
	if p.stopReason() != "" {
		p.skip(g)
		return nil
	}
	p.batch = append(p.batch, g)
	if len(p.batch) < p.batchSize() {
		return nil
	}
	return p.flush()
}

// batchSize ramps up (4, 8, 16, 32, then lookupBatch): the first customers
// reach the workers after one small lookup instead of waiting for a full batch.
func (p *pipeline) batchSize() int {
	return min(lookupBatch, 4<<min(p.sent, 4))
}

// flush hands the pending batch to the lookup workers unless the run is stopping.
func (p *pipeline) flush() error {
	b := p.batch
	p.batch = nil
	p.sent++
	if len(b) == 0 || handOver(p, p.batches, b) {
		return nil
	}
	for _, g := range b {
		p.skip(g)
	}
	return nil
}

// handOver sends v unless the run stops first; it reports whether it sent.
func handOver[T any](p *pipeline, ch chan<- T, v T) bool {
	if p.stopReason() != "" {
		return false
	}
	select {
	case ch <- v:
		return true
	case <-p.ctx.Done():
	case <-p.work.Done():
	case <-p.s.abort:
	case <-p.s.out.broken:
	}
	return false
}

// put reports a group's results. A report error is not returned: it is
// recorded in p.s.out, which stops new work without cancelling the work in
// flight (whose writes must still be journalled).
func (p *pipeline) put(results []report.Result) {
	_ = p.s.write(results)
}

// skip reports a group that is not sent to the workers.
func (p *pipeline) skip(g *mapping.Group) {
	if p.ctx.Err() != nil {
		p.interrupted.Store(true)
	}
	p.put(skippedResults(g, p.stopReason()))
}

// stopReason says why a group is not sent to the workers, or "" to send it.
func (p *pipeline) stopReason() string {
	switch {
	case p.ctx.Err() != nil:
		return "not processed: interrupted"
	case p.work.Err() != nil:
		return "not processed: the run stopped on a fatal error"
	case p.s.aborted():
		return "not processed: aborted (" + p.s.abortReason() + ")"
	case p.s.out.failed():
		return "not processed: an output failed"
	}
	return ""
}

// lookupLoop reads the current state of each batch with one list request.
func (p *pipeline) lookupLoop() error {
	for b := range p.batches {
		found := p.sy.lookup(p.work, b)
		jobs := make([]job, len(b))
		for i, g := range b {
			jobs[i].g = g
			jobs[i].cur, jobs[i].known = found(g)
		}
		p.logCreates(jobs)
		for _, j := range jobs {
			if !handOver(p, p.jobs, j) {
				p.unsent(j)
			}
		}
	}
	return nil
}

// logCreates makes durable, with one record and one fsync for the batch, the
// creates its lookup makes certain (the customer is missing), so that the
// workers do not each wait for an fsync before their POST. Customers with an
// account are created in bulk batches, which are logged on their own. A
// failure leaves each create to log itself (and fail on the error).
func (p *pipeline) logCreates(jobs []job) {
	if p.sy.intents == nil || p.cfg.Mode == ModeUpdateOnly || p.stopReason() != "" {
		return
	}
	var keys []string
	for i, j := range jobs {
		if j.known && j.cur == nil && importAccount(j.g.Customer) == nil {
			jobs[i].logged = true
			keys = append(keys, j.g.Key)
		}
	}
	if len(keys) > 0 && p.sy.intents.intend(keys...) != nil {
		for i := range jobs {
			jobs[i].logged = false
		}
	}
}

// unsent reports a job that is not sent to a worker, withdrawing its logged create.
func (p *pipeline) unsent(j job) {
	p.withdraw(j)
	p.skip(j.g)
}

// withdraw records that a job's create, logged ahead, is not sent. An error
// is left alone: the key then counts as sent, as after a kill between an
// intent and its POST (a --resume adopts the customer only if it exists).
func (p *pipeline) withdraw(j job) {
	if j.logged {
		_ = p.sy.intents.withdraw(j.g.Key)
	}
}

// syncLoop syncs jobs until the feed ends; only a fatal error stops it early.
func (p *pipeline) syncLoop() error {
	for j := range p.jobs {
		if err := p.syncOne(j); err != nil {
			return err
		}
	}
	return nil
}

func (p *pipeline) syncOne(j job) error {
	if p.s.out.failed() {
		// Issue no write once an output is broken.
		p.unsent(j)
		return nil
	}
	plan, out := p.sy.begin(p.work, j)
	if plan == nil || !plan.Create {
		p.withdraw(j)
	}
	if plan != nil && plan.Create {
		if acct := importAccount(j.g.Customer); acct != nil {
			p.bulk.add(&bulkItem{g: j.g, plan: plan, out: out, acct: acct})
			return nil
		}
	}
	if plan != nil {
		p.sy.finish(p.work, j.g, plan, out, j.logged)
	}
	return p.complete(j.g, out)
}

// complete reports a customer's outcome (and journals it when done); it
// returns only fatal errors.
func (p *pipeline) complete(g *mapping.Group, out *Outcome) error {
	if len(out.Writes) > 0 && !p.cfg.DryRun {
		p.s.out.changed.Add(1)
		if out.Created {
			p.s.out.created.Add(1)
		}
	}
	if (out.Err != nil || len(out.AddrErr) > 0) && p.work.Err() != nil && len(out.Writes) == 0 {
		// Cut short by the run stopping, not failed on its own.
		if cause := context.Cause(p.work); errors.Is(cause, errShutdown) {
			p.interrupted.Store(true)
		}
		p.skip(g)
		return nil
	}
	if (out.Err != nil || len(out.AddrErr) > 0) && errors.Is(context.Cause(p.work), errShutdown) {
		// Whatever failed here failed because the shutdown cut it short.
		out.Err = context.Cause(p.work)
		p.interrupted.Store(true)
	}
	p.s.countChanges(out)
	results := groupResults(g, out, p.cfg.DryRun)
	if p.jr != nil && allOK(results) {
		if err := p.jr.record(g.Key, results); err == nil {
			p.s.out.journalled.Add(1)
		}
	}
	if errors.Is(out.Err, ErrMaxDeletes) {
		p.s.trip(fmt.Sprintf("--max-deletes %d reached: raise it and run again with --resume", p.sy.deletes.limit))
	}
	switch {
	case errors.Is(out.Err, emporix.ErrRetryAfterTooLong):
		// The server refuses requests for longer than the client waits.
		p.s.trip("the API server asked to wait longer than 30 s (Retry-After): run again with --resume later")
	case errors.Is(out.Err, emporix.ErrServerUnreachable):
		// A dead server fails every further customer: stop feeding.
		p.s.trip("the API server stopped answering: run again with --resume when it is back")
	}
	p.put(results)
	if isFatal(out.Err) {
		return out.Err
	}
	return nil
}

func allOK(results []report.Result) bool {
	for _, r := range results {
		if r.Status != report.Created && r.Status != report.Updated && r.Status != report.Unchanged {
			return false
		}
	}
	return true
}

// rowCells looks up a group row's number and cells by Seq.
func rowCells(g *mapping.Group) func(seq int) (int, []string) {
	return func(seq int) (int, []string) {
		for _, r := range g.Rows {
			if r.Seq == seq {
				return r.Num, r.Cells
			}
		}
		return 0, nil
	}
}

// preflight makes one cheap authenticated read.
func preflight(ctx context.Context, api API) error {
	if _, _, err := api.ListCustomersTotal(ctx, emporix.ListOptions{PageSize: 1, PageNumber: 1}); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("%w during the connection check", ErrInterrupted)
		}
		return fmt.Errorf("connection check: %w", err)
	}
	return nil
}

// isFatal reports errors that will fail every further row too: refused
// credentials or a missing scope / wrong tenant.
func isFatal(err error) bool {
	var ae *emporix.AuthError
	if errors.As(err, &ae) {
		return true
	}
	st := emporix.StatusOf(err)
	return st == http.StatusUnauthorized || st == http.StatusForbidden
}
