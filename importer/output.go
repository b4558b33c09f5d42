package importer

import (
	"fmt"
	"sync"
	"sync/atomic"
)

// OutputError stops an import whose report, errors file or journal can no
// longer be written: no new write is issued once it happens (customers in
// flight finish and are journalled where possible), and it states what
// reached the tenant, since the report cannot.
type OutputError struct {
	Err        error
	DryRun     bool
	Changed    int64 // customers this run wrote to (created included)
	Created    int64
	Journalled int64 // completed customers recorded in the journal
	Journal    bool  // the journal itself failed
	Finished   bool  // every write was done; only finishing the output failed
}

func (e *OutputError) Error() string {
	if e.DryRun {
		return fmt.Sprintf("%v: stopped at once; nothing was written to the tenant (dry run)", e.Err)
	}
	resume := "run again with --resume once the output is fixed: it skips the customers journalled"
	stopped := "stopped issuing writes at once"
	if e.Finished {
		stopped = "the import itself had finished"
	}
	if e.Journal {
		resume = "run again with --resume once the journal's disk is fixed: it re-checks every customer after the journal's last good record"
	}
	return fmt.Sprintf("%v: %s; %d customer(s) reached the tenant in this run (%d created, %d updated), %d completed customer(s) journalled; %s",
		e.Err, stopped, e.Changed, e.Created, e.Changed-e.Created, e.Journalled, resume)
}

func (e *OutputError) Unwrap() error { return e.Err }

// outputs tracks whether the run's outputs still work.
type outputs struct {
	once   sync.Once
	err    error
	broken chan struct{} // closed at the first output failure
	isJr   bool
	// What reached the tenant, counted from the outcomes (the report may be the broken output).
	changed, created, journalled atomic.Int64
}

func newOutputs() *outputs { return &outputs{broken: make(chan struct{})} }

// fail records the first output failure; journal says the journal failed.
func (o *outputs) fail(err error, journal bool) {
	o.once.Do(func() {
		o.err, o.isJr = err, journal
		close(o.broken)
	})
}

func (o *outputs) failed() bool {
	select {
	case <-o.broken:
		return true
	default:
		return false
	}
}

// result is the run's error for a broken output, or nil.
func (o *outputs) result(dryRun bool) error {
	if !o.failed() {
		return nil
	}
	return &OutputError{Err: o.err, DryRun: dryRun, Changed: o.changed.Load(), Created: o.created.Load(),
		Journalled: o.journalled.Load(), Journal: o.isJr}
}
