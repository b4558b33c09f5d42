package importer

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/emporix-import/emporix-import/emporix"
	"github.com/emporix-import/emporix-import/mapping"
	"github.com/emporix-import/emporix-import/report"
)

// Validate reads, maps and validates every row without any network access.
func Validate(ctx context.Context, cfg Config) (report.Summary, error) {
	m, err := loadMapping(cfg.MappingFile)
	if err != nil {
		return report.Summary{}, err
	}
	if cfg.Report == "" {
		cfg.Report = DefaultReportPath(cfg.Input, cfg.now())
	}
	s := newSession(cfg, "validate")
	plan, err := s.prepare(ctx, m)
	if err != nil {
		return report.Summary{}, err
	}
	interrupted := false
	err = plan.Emit(context.WithoutCancel(ctx), func(g *mapping.Group) error {
		if ctx.Err() != nil {
			interrupted = true
			return s.write(skippedResults(g, "not validated: interrupted"))
		}
		return s.write(invalidResults(g, report.Valid))
	})
	if err == nil && interrupted {
		err = ErrInterrupted
	}
	return s.finish(report.Summary{}, err)
}

// Import syncs the input into the tenant (or plans it, with DryRun).
//
// Cancelling ctx (SIGINT/SIGTERM) stops feeding new customers; customers in
// flight finish, every remaining row is reported as skipped, and the result is
// ErrInterrupted.
func Import(ctx context.Context, cfg Config) (report.Summary, error) {
	m, err := loadMapping(cfg.MappingFile)
	if err != nil {
		return report.Summary{}, err
	}
	command := "import"
	if cfg.DryRun {
		command = "import --dry-run"
	}
	if cfg.Concurrency < 1 {
		cfg.Concurrency = 1
	}
	if cfg.Report == "" {
		cfg.Report = DefaultReportPath(cfg.Input, cfg.now())
	}
	if cfg.RetryInitial <= 0 {
		cfg.RetryInitial = 500 * time.Millisecond
	}
	// Prove the credentials and the read scope before any row is touched: a
	// refused token is a fatal error with nothing written.
	if err := preflight(ctx, cfg.Client); err != nil {
		return report.Summary{}, err
	}
	var jr *journal
	if !cfg.DryRun {
		dir := cfg.JournalDir
		if dir == "" {
			// Beside the reports: reports/.journal by default (SPEC §6).
			dir = filepath.Join(filepath.Dir(cfg.Report), ".journal")
		}
		if jr, err = openJournal(dir, cfg.Input, cfg.MappingFile, cfg.Resume); err != nil {
			return report.Summary{}, err
		}
		defer jr.close()
	}
	s := newSession(cfg, command)
	plan, err := s.prepare(ctx, m)
	if err != nil {
		return report.Summary{}, err
	}

	sy := &syncer{
		api:               cfg.Client,
		match:             m.Match,
		dryRun:            cfg.DryRun,
		sendPasswordReset: cfg.SendPasswordReset,
		createAttempts:    1 + cfg.MaxRetries,
		retryInitial:      cfg.RetryInitial,
		policy: Policy{
			Activate:         cfg.Activate,
			ReplaceAddresses: cfg.ReplaceAddresses,
			ReplaceTags:      cfg.ReplaceTags,
			HasAddresses:     len(m.Addresses) > 0,
		},
	}

	// Work in flight must survive ctx's cancellation; only a fatal error stops it.
	base, stop := context.WithCancelCause(context.WithoutCancel(ctx))
	defer stop(nil)
	eg, work := errgroup.WithContext(base)
	var interrupted atomic.Bool
	// skip reports a group that is not sent to the workers.
	skip := func(g *mapping.Group) error {
		if ctx.Err() != nil {
			interrupted.Store(true)
		}
		return s.write(skippedResults(g, stopReason(ctx, work, s)))
	}
	// send hands a job to the workers unless the run is stopping.
	jobs := make(chan job)
	send := func(j job) error {
		if stopReason(ctx, work, s) == "" {
			select {
			case jobs <- j:
				return nil
			case <-ctx.Done():
			case <-work.Done():
			case <-s.abort:
			}
		}
		return skip(j.g)
	}
	for range cfg.Concurrency {
		eg.Go(func() error {
			for j := range jobs {
				out := sy.sync(work, j)
				if out.err != nil && work.Err() != nil && errors.Is(out.err, context.Canceled) {
					// Cut short by another worker's fatal error, not failed on its own.
					if err := skip(j.g); err != nil {
						return err
					}
					continue
				}
				results := groupResults(j.g, out, cfg.DryRun)
				if jr != nil && allOK(results) {
					if err := jr.record(j.g.Key, results); err != nil {
						return err
					}
				}
				if err := s.write(results); err != nil {
					return err
				}
				if isFatal(out.err) {
					return out.err
				}
			}
			return nil
		})
	}
	// Lookups: one list request finds the current state of a batch of
	// customers, so an unchanged customer costs 1/lookupBatch of a request.
	batches := make(chan []*mapping.Group)
	var lookups errgroup.Group
	for range max(1, cfg.Concurrency/2) {
		lookups.Go(func() error {
			for b := range batches {
				found := sy.lookup(work, b)
				for _, g := range b {
					j := job{g: g}
					j.cur, j.known = found(g)
					if err := send(j); err != nil {
						stop(err)
						return err
					}
				}
			}
			return nil
		})
	}

	var batch []*mapping.Group
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		b := batch
		batch = nil
		if stopReason(ctx, work, s) == "" {
			select {
			case batches <- b:
				return nil
			case <-ctx.Done():
			case <-work.Done():
			case <-s.abort:
			}
		}
		for _, g := range b {
			if err := skip(g); err != nil {
				return err
			}
		}
		return nil
	}
	runErr := plan.Emit(context.WithoutCancel(ctx), func(g *mapping.Group) error {
		if !g.Valid() {
			return s.write(invalidResults(g, report.Invalid))
		}
		if jr != nil && cfg.Resume {
			if done := jr.replay(g.Key, rowCells(g)); done != nil {
				return s.write(done)
			}
		}
		if stopReason(ctx, work, s) != "" {
			return skip(g)
		}
		batch = append(batch, g)
		if len(batch) < lookupBatch {
			return nil
		}
		return flush()
	})
	if runErr == nil {
		runErr = flush()
	} else {
		batch = nil
	}
	close(batches)
	lookupErr := lookups.Wait()
	close(jobs)
	workErr := errors.Join(lookupErr, eg.Wait())

	err = errors.Join(runErr, workErr)
	if err == nil && interrupted.Load() {
		err = ErrInterrupted
	}
	return s.finish(report.Summary{DryRun: cfg.DryRun}, err)
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

// stopReason says why a group is not sent to the workers, or "" to send it.
func stopReason(ctx, work context.Context, s *session) string {
	switch {
	case ctx.Err() != nil:
		return "not processed: interrupted"
	case work.Err() != nil:
		return "not processed: the run stopped on a fatal error"
	case s.aborted():
		return "not processed: aborted (" + s.abortWhy + ")"
	}
	return ""
}

// preflight makes one cheap authenticated read.
func preflight(ctx context.Context, api API) error {
	if _, _, err := api.ListCustomersTotal(ctx, emporix.ListOptions{PageSize: 1, PageNumber: 1}); err != nil {
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

// groupResults turns a group's outcome into one result per row.
func groupResults(g *mapping.Group, out *outcome, dryRun bool) []report.Result {
	results := make([]report.Result, 0, len(g.Rows))
	plan := out.plan
	for _, r := range g.Rows {
		res := rowResult(g, r, report.Unchanged)
		if out.number != "" {
			res.CustomerNumber = out.number
		}
		if out.err != nil {
			res.Status, res.Message = report.Failed, out.err.Error()
			results = append(results, res)
			continue
		}
		changes := slices.Clone(plan.Changes)
		var msgs []string
		rowWrites := plan.customerWrites()
		for _, a := range r.Addresses {
			k := a.Key()
			i := slices.IndexFunc(plan.Addresses, func(ap *AddressPlan) bool { return ap.Key == k })
			if i < 0 {
				continue
			}
			ap := plan.Addresses[i]
			if ap.ID != "" {
				res.AddressIDs = append(res.AddressIDs, ap.ID)
			}
			for _, c := range ap.Changes {
				if !slices.Contains(changes, c) {
					changes = append(changes, c)
				}
			}
			rowWrites = rowWrites || ap.Writes()
			if err := out.addrErr[i]; err != nil {
				msgs = append(msgs, err.Error())
			}
		}
		switch {
		case len(msgs) > 0:
			res.Status, res.Message = report.Failed, strings.Join(msgs, "; ")
		case out.created && dryRun:
			res.Status = report.WouldCreate
		case out.created:
			res.Status = report.Created
		case rowWrites && dryRun:
			res.Status = report.WouldUpdate
		case rowWrites:
			res.Status = report.Updated
		}
		if res.Status != report.Unchanged {
			res.Changes = changes
		}
		results = append(results, res)
	}
	return results
}
