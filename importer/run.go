package importer

import (
	"cmp"
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/emporix-import/emporix-import/emporix"
	"github.com/emporix-import/emporix-import/mapping"
	"github.com/emporix-import/emporix-import/report"
)

// Validate reads, maps and validates every row without any network access.
func Validate(ctx context.Context, cfg Config) (report.Summary, error) {
	started := time.Now()
	defer softMemoryLimit(cfg.Input)()
	m, err := loadMapping(cfg.MappingFile, cfg.Table)
	if err != nil {
		return report.Summary{}, err
	}
	s := newSession(cfg, "validate", started)
	defer s.closeInputs()
	plan, err := s.prepare(ctx, m)
	if err != nil {
		return report.Summary{}, err
	}
	interrupted := false
	err = s.emit(context.WithoutCancel(ctx), plan, func(g *mapping.Group) error {
		s.read.Add(int64(len(g.Rows)))
		if ctx.Err() != nil {
			interrupted = true
			return s.write(skippedResults(g, "not validated: interrupted"))
		}
		return s.write(validateResults(g))
	})
	if err == nil && interrupted {
		err = ErrInterrupted
	}
	return s.finish(report.Summary{}, err)
}

// validateResults reports a group as valid, or invalid with every problem the
// file alone proves.
func validateResults(g *mapping.Group) []report.Result {
	if g.Valid() {
		if probs := fileProblems(g); len(probs) > 0 {
			return problemResults(g, probs)
		}
	}
	return invalidResults(g, report.Valid)
}

// fileProblems are failures the file alone proves, whatever the tenant holds:
// a company registration id while the file clears firstName, lastName or
// company (the service requires all three with it).
func fileProblems(g *mapping.Group) []string {
	if v, ok := g.Customer["b2b.companyRegistrationId"]; !ok || v.Clear {
		return nil
	}
	var cleared []string
	for _, f := range []string{"firstName", "lastName", "company"} {
		if v, ok := g.Customer[f]; ok && v.Clear {
			cleared = append(cleared, f)
		}
	}
	if len(cleared) == 0 {
		return nil
	}
	return []string{fmt.Sprintf("b2b.companyRegistrationId requires firstName, lastName and company, but the file clears %v", cleared)}
}

// Import syncs the input into the tenant (or plans it, with DryRun).
//
// Cancelling ctx (SIGINT/SIGTERM) stops feeding new customers; customers in
// flight get ShutdownTimeout to finish, then their requests are cancelled;
// every remaining row is reported as skipped, and the result is ErrInterrupted.
func Import(ctx context.Context, cfg Config) (report.Summary, error) {
	started := time.Now()
	defer softMemoryLimit(cfg.Input)()
	m, err := loadMapping(cfg.MappingFile, cfg.Table)
	if err != nil {
		return report.Summary{}, err
	}
	cfg.Concurrency = max(1, cfg.Concurrency)
	if cfg.RetryInitial <= 0 {
		cfg.RetryInitial = emporix.DefaultRetryInitial
	}
	// Prove the credentials and the read scope before any row is touched: a
	// refused token is a fatal error with nothing written. The check runs
	// while the input's first pass does; the journal is opened and the report
	// created only after it passed, and its error comes before the input's.
	pre := make(chan error, 1)
	go func() { pre <- preflight(ctx, cfg.Client) }()
	preErr := sync.OnceValue(func() error { return <-pre })
	command := "import"
	if cfg.DryRun {
		command = "import --dry-run"
	}
	s := newSession(cfg, command, started)
	defer s.closeInputs()
	var jr *journal
	var blog *bulkLog
	var sentBefore map[string]bool
	defer func() { jr.close(); blog.close() }()
	s.check = func(ctx context.Context, plan *mapping.Index) error {
		if err := preErr(); err != nil {
			return err
		}
		if !cfg.DryRun {
			var jerr error
			if jr, blog, sentBefore, jerr = s.openJournals(); jerr != nil {
				return jerr
			}
		}
		return checkPasswords(ctx, cfg, m, plan)
	}
	plan, err := s.prepare(ctx, m)
	if err != nil {
		if perr := preErr(); perr != nil {
			return report.Summary{}, perr
		}
		return report.Summary{}, err
	}
	sy := newSyncer(cfg, m)
	sy.mixins = hasMixins(plan.Binder.Schema())
	sy.sentBefore, sy.intents = sentBefore, blog
	p := newPipeline(ctx, s.cfg, s, sy, jr)
	p.bulk.log = blog
	if cfg.mirroring() {
		p.keys = &fileKeys{customerRows: plan.Rows}
	}
	runErr := p.run(plan)
	sum := report.Summary{DryRun: cfg.DryRun, BulkRequests: int(p.bulk.requests.Load())}
	if cfg.mirroring() {
		sum.Mirror, runErr = s.mirrorPhase(ctx, jr, p.keys, m.Match, s.inputRows(plan), runErr)
	}
	if jerr := jr.close(); jerr != nil && runErr == nil {
		// The last commit failed: what is done is in the report, but a
		// --resume would re-check the customers of that commit.
		s.out.fail(jerr, true)
		runErr = s.out.result(cfg.DryRun)
	}
	if cfg.DryRun && sy.deletes.total() > 0 && cfg.Stderr != nil {
		fmt.Fprintf(cfg.Stderr, "dry run: %d address deletions planned (--max-deletes %d)\n", sy.deletes.total(), cfg.MaxDeletes)
	}
	return s.finish(sum, runErr)
}

// openJournals opens the journal and, beside it, the batch log of creates
// (with the keys an interrupted run sent, under --resume).
func (s *session) openJournals() (*journal, *bulkLog, map[string]bool, error) {
	jr, err := openJournal(s.journalOpts())
	if err != nil {
		return nil, nil, nil, err
	}
	blog, sent, err := openBulkLog(bulkLogPath(jr.path), s.cfg.Resume)
	if err != nil {
		jr.close()
		return nil, nil, nil, err
	}
	return jr, blog, sent, nil
}

// journalOpts: the journal lives beside the reports (reports/.journal by
// default); a failing journal breaks the run's outputs.
func (s *session) journalOpts() journalOpts {
	dir := s.cfg.JournalDir
	if dir == "" {
		dir = filepath.Join(filepath.Dir(cmp.Or(s.cfg.Report, DefaultReportPath(s.cfg.Input, time.Time{}))), ".journal")
	}
	return journalOpts{dir: dir, input: s.cfg.Input, mapping: s.cfg.MappingFile, resume: s.cfg.Resume,
		addresses: s.cfg.AddressesFile, addrMapping: s.addrMappingFile(),
		repair: s.cfg.RepairJournal, interval: s.cfg.JournalCommitInterval, warn: s.cfg.Stderr, onFail: func(err error) { s.out.fail(err, true) }}
}

func newSyncer(cfg Config, m *mapping.Mapping) *syncer {
	return &syncer{
		api:               cfg.Client,
		match:             m.Match,
		mode:              cfg.Mode,
		dryRun:            cfg.DryRun,
		sendPasswordReset: cfg.SendPasswordReset,
		createAttempts:    1 + cfg.MaxRetries,
		retryInitial:      cfg.RetryInitial,
		deletes:           &deleteBudget{limit: cfg.MaxDeletes},
		policy: Policy{
			Activate:         cfg.Activate,
			ReplaceAddresses: cfg.ReplaceAddresses,
			ReplaceTags:      cfg.ReplaceTags,
			HasAddresses:     len(m.Addresses) > 0,
		},
	}
}

// hasMixins reports whether a schema writes customer mixins.
func hasMixins(s *mapping.Schema) bool {
	return slices.ContainsFunc(s.Customer, func(f *mapping.Field) bool { return f.Mixin != "" })
}
