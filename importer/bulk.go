package importer

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v5"
	"golang.org/x/sync/errgroup"

	"github.com/emporix-import/emporix-import/emporix"
	"github.com/emporix-import/emporix-import/mapping"
)

// bulkDelay is how long a batch waits for the next customer before it is
// sent anyway: the pipeline keeps moving when the stream pauses.
const bulkDelay = time.Second

// bulkMaxWait bounds how long a customer waits in a batch that keeps growing.
const bulkMaxWait = 10 * time.Second

// bulker creates the customers that carry a password hash through the bulk
// import endpoint: sync workers hand it their planned creates, it batches them
// as they come (up to emporix.MaxImportBatch, or what bulkDelay collects),
// sends each batch and finishes every customer (addresses, tags, activation,
// report) on its own goroutines, so the sync workers never wait for a batch.
type bulker struct {
	p     *pipeline
	in    chan *bulkItem
	size  int
	delay time.Duration
	// maxWait bounds a batch's age while customers keep coming.
	maxWait time.Duration
	log     *bulkLog // batches sent, for --resume; nil in a dry run

	sends    errgroup.Group // batches in flight
	post     errgroup.Group // customers being finished after their batch
	requests atomic.Int64   // import requests sent (dry run: that would be sent)
}

// bulkItem is one customer of a batch.
type bulkItem struct {
	g    *mapping.Group
	plan *Plan
	out  *Outcome
	acct *emporix.ImportAccount
	// sent: an earlier send of this item had an unknown outcome, so a 409 or
	// a customer found now is this run's own create.
	sent bool
	res  *emporix.ImportItemResult
	err  error // batch-level failure
	cur  *emporix.Customer
	// known: cur is the looked-up state (nil = missing).
	known bool
}

func newBulker(p *pipeline, log *bulkLog) *bulker {
	b := &bulker{p: p, in: make(chan *bulkItem), size: emporix.MaxImportBatch, delay: bulkDelay, log: log}
	if p.cfg.BulkDelay > 0 {
		b.delay = p.cfg.BulkDelay
	}
	b.maxWait = max(bulkMaxWait, 10*b.delay)
	b.sends.SetLimit(max(1, p.cfg.Concurrency/4))
	b.post.SetLimit(p.cfg.Concurrency)
	return b
}

// add queues a planned create; when the run is stopping the group is skipped.
func (b *bulker) add(it *bulkItem) {
	if !handOver(b.p, b.in, it) {
		b.p.skip(it.g)
	}
}

// loop batches the queued creates until in is closed, then waits for every
// batch and customer to finish. A batch leaves when full, when no customer
// came for b.delay (the stream paused or ended), or once its first customer
// waited b.maxWait: while the customers keep coming, even slowly (paced by
// the work after the creates), batches stay full.
func (b *bulker) loop() error {
	var batch []*bulkItem
	idle := time.NewTimer(time.Hour)
	idle.Stop()
	var deadline <-chan time.Time
	for {
		select {
		case it, ok := <-b.in:
			if !ok {
				b.dispatch(batch)
				return errors.Join(b.sends.Wait(), b.post.Wait())
			}
			batch = append(batch, it)
			if len(batch) == 1 {
				deadline = time.After(b.maxWait)
			}
			if len(batch) < b.size {
				idle.Reset(b.delay)
				continue
			}
		case <-idle.C:
		case <-deadline:
		}
		idle.Stop()
		b.dispatch(batch)
		batch, deadline = nil, nil
	}
}

func (b *bulker) dispatch(batch []*bulkItem) {
	if len(batch) > 0 {
		b.sends.Go(func() error { return b.send(batch) })
	}
}

// send imports one batch, resolves each item (see resolve) and hands every
// customer to be finished.
func (b *bulker) send(batch []*bulkItem) error {
	p := b.p
	if p.stopReason() != "" {
		for _, it := range batch {
			p.skip(it.g)
		}
		return nil
	}
	if b.log != nil {
		// Durable before the request: a --resume after a kill knows that
		// these customers, if they exist, are this run's creates.
		if err := b.log.record(batch); err != nil {
			p.stop(err)
			return err
		}
	}
	b.resolve(p.work, batch)
	for _, it := range batch {
		b.post.Go(func() error { return b.finishItem(it) })
	}
	return nil
}

// resolve imports the batch and gives every item its answer. A lost or 5xx
// answer re-sends the unanswered items (with backoff, at most 1+--max-retries
// times): a customer the lost request created answers 409 and is looked up,
// so nothing is created twice and the common case (a 503 before any write)
// costs one request. Items still unanswered after that are looked up.
func (b *bulker) resolve(ctx context.Context, batch []*bulkItem) {
	sy := b.p.sy
	_, err := retry(ctx, sy, func() (struct{}, error) {
		todo := unanswered(batch)
		res, err := b.call(ctx, todo)
		if err == nil {
			for i, it := range todo {
				it.res = &res[i]
			}
			return struct{}{}, nil
		}
		if errors.Is(err, emporix.ErrOutcomeUnknown) {
			for _, it := range todo {
				it.sent = true
			}
			if ctx.Err() == nil {
				return struct{}{}, err
			}
		}
		return struct{}{}, backoff.Permanent(err)
	})
	if err != nil {
		for _, it := range unanswered(batch) {
			it.err = fmt.Errorf("create (bulk import): %w", err)
		}
	}
	b.lookup(ctx, batch)
}

func unanswered(batch []*bulkItem) []*bulkItem {
	var out []*bulkItem
	for _, it := range batch {
		if it.res == nil && it.err == nil {
			out = append(out, it)
		}
	}
	return out
}

// call sends one import request; the dry run answers every item 201 itself.
func (b *bulker) call(ctx context.Context, items []*bulkItem) ([]emporix.ImportItemResult, error) {
	b.requests.Add(1)
	if b.p.sy.dryRun {
		res := make([]emporix.ImportItemResult, len(items))
		for i, it := range items {
			res[i] = emporix.ImportItemResult{Index: i, ID: it.plan.Number, Code: http.StatusCreated}
		}
		return res, nil
	}
	body := make([]emporix.CustomerImport, len(items))
	for i, it := range items {
		body[i] = importItem(it.plan, it.acct)
	}
	return b.p.sy.api.ImportCustomers(ctx, body)
}

// lookup reads the current state of the items that need it (409, or an
// outcome still unknown) with batch list requests.
func (b *bulker) lookup(ctx context.Context, batch []*bulkItem) {
	var need []*bulkItem
	for _, it := range batch {
		if it.res != nil && it.res.Code == http.StatusConflict ||
			it.err != nil && errors.Is(it.err, emporix.ErrOutcomeUnknown) && it.sent {
			need = append(need, it)
		}
	}
	for len(need) > 0 {
		n := min(lookupBatch, len(need))
		chunk := need[:n]
		need = need[n:]
		groups := make([]*mapping.Group, n)
		for i, it := range chunk {
			groups[i] = it.g
		}
		found := b.p.sy.lookup(ctx, groups)
		for _, it := range chunk {
			it.cur, it.known = found(it.g)
		}
	}
}

// finishItem takes one customer from its import answer to its report rows.
func (b *bulker) finishItem(it *bulkItem) error {
	ctx, sy, out := b.p.work, b.p.sy, it.out
	switch {
	case it.res != nil && it.res.Created():
		out.Created = true
		out.record(Write{Changes: []string{changeBulkCreate}})
		if it.res.ID != "" {
			it.plan.Number = it.res.ID
		}
		out.Number = it.plan.Number
		sy.apply(ctx, it.plan, out)
	case it.res != nil && it.res.Code == http.StatusConflict,
		it.err != nil && errors.Is(it.err, emporix.ErrOutcomeUnknown) && it.sent:
		b.existing(ctx, it)
	case it.err != nil:
		out.Err = it.err
	default:
		out.Err = fmt.Errorf("create (bulk import): %w", it.res.Err())
	}
	if err := b.p.complete(it.g, out); err != nil {
		b.p.stop(err)
		return err
	}
	return nil
}

// existing continues with a customer that exists after all: this run's own
// create when an earlier send of it was lost, else a customer that existed
// (its password is left alone). Not found, the item's error stands.
func (b *bulker) existing(ctx context.Context, it *bulkItem) {
	sy, out := b.p.sy, it.out
	if !it.sent {
		// A 409 on the first send: the customer existed, so it is not this
		// run's create, also for a --resume after a kill (found now or not).
		if err := b.log.existed(it.g.Key); err != nil {
			out.Err = fmt.Errorf("create (bulk import): %w", err)
			return
		}
	}
	cur := it.cur
	if !it.known {
		var err error
		if cur, err = sy.find(ctx, it.g); err != nil {
			out.Err = fmt.Errorf("create (bulk import): lookup after it: %w", err)
			return
		}
	}
	if cur == nil {
		if it.err != nil {
			out.Err = it.err
		} else {
			out.Err = fmt.Errorf("create (bulk import): %w", it.res.Err())
		}
		return
	}
	var plan *Plan
	if it.sent {
		plan = sy.adopt(it.g, cur, out)
	} else {
		// It existed: create-only leaves it alone.
		if out.Skip = sy.excluded(true); out.Skip != "" {
			out.Number = cur.CustomerNumber
			return
		}
		plan = Decide(it.g, cur, sy.policy)
		out.Number = plan.Number
		out.Remarks = append(out.Remarks, noteExists)
	}
	if len(plan.Invalid) > 0 {
		out.Invalid = plan.Invalid
		return
	}
	sy.apply(ctx, plan, out)
}
