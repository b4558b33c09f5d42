package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/emporix-import/emporix-import/internal/runlock"
	"github.com/emporix-import/emporix-import/mapping"
	"github.com/emporix-import/emporix-import/sheet"
)

// doctorSampleRows is how many input rows doctor maps and validates.
const doctorSampleRows = 100

// loadMapping loads --mapping now (its password fields decide which scopes are
// needed) and returns the line to print after the scopes.
func (d *doctor) loadMapping() checkResult {
	c := checkResult{Name: "mapping", Status: checkOK}
	if d.opts.mapping == "" {
		d.mapping = mapping.Default()
		c.Detail = "none given: the canonical column names are expected"
		return c
	}
	m, err := mapping.Load(d.opts.mapping)
	if err != nil {
		c.Status, c.Detail = checkFail, err.Error()
		c.Fix = "fix the mapping file at the line named (`emporix-import mapping init INPUT` prints a starter)"
		return c
	}
	d.mapping = m
	addr := 0
	for _, a := range m.Addresses {
		addr += len(a.Fields)
	}
	for _, f := range m.Customer {
		// Password hashes travel in account.* fields.
		if strings.HasPrefix(f.Field, "account.") {
			d.passwords = true
		}
	}
	c.Detail = fmt.Sprintf("%s: match by %s, %d customer fields, %d address blocks (%d fields)",
		d.opts.mapping, m.Match, len(m.Customer), len(m.Addresses), addr)
	return c
}

// checkInput maps and validates the first rows of --input with the mapping,
// exactly as validate would, without writing a report.
func (d *doctor) checkInput() {
	if d.opts.input == "" {
		return
	}
	c := checkResult{Name: "input", Status: checkFail}
	if d.mapping == nil {
		c.Status, c.Detail = checkSkip, "needs a valid mapping"
		d.add(c)
		return
	}
	rows, bad, first, err := sampleInput(d.opts.input, d.mapping)
	switch {
	case err != nil:
		c.Detail = err.Error()
		c.Fix = "check the file, its format and that the mapped columns exist"
	case bad > 0:
		c.Detail = fmt.Sprintf("%s: %d of the first %d rows invalid; first problem: %s", d.opts.input, bad, rows, first)
		c.Fix = "run `emporix-import validate` on the file for the full report"
	default:
		c.Status = checkOK
		c.Detail = fmt.Sprintf("%s: the first %d rows map and validate", d.opts.input, rows)
	}
	d.add(c)
}

func sampleInput(path string, m *mapping.Mapping) (rows, bad int, first string, err error) {
	r, err := sheet.Open(path, m.SheetOptions())
	if err != nil {
		return 0, 0, "", err
	}
	defer func() { _ = r.Close() }()
	b, err := m.Bind(path, r.Header())
	if err != nil {
		return 0, 0, "", err
	}
	for rows < doctorSampleRows {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return rows, bad, first, err
		}
		rows++
		if mr := b.Map(row); len(mr.Errors) > 0 {
			if bad == 0 {
				first = mr.Errors[0]
			}
			bad++
		}
	}
	return rows, bad, first, nil
}

// checkReportDir returns the report directory (existing or to be created).
func (d *doctor) checkReportDir() string {
	dir := "reports"
	if d.opts.report != "" {
		dir = filepath.Dir(d.opts.report)
	}
	d.add(dirCheck("report dir", dir, "choose a writable --report location or fix the directory's owner/mode"))
	return dir
}

func (d *doctor) checkJournal(reportDir string) {
	dir := filepath.Join(reportDir, ".journal")
	c := dirCheck("journal", dir, "the journal lives beside the report: make that directory writable (and persistent, for --resume)")
	if c.Status == checkOK {
		if n := countJournals(dir); n > 0 {
			c.Detail += fmt.Sprintf("; %d journal(s) present (--resume can continue them)", n)
		}
	}
	d.add(c)
}

func countJournals(dir string) int {
	m, _ := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	n := 0
	for _, f := range m {
		if !strings.HasSuffix(f, ".bulk.jsonl") { // a journal's log of creates, not a journal
			n++
		}
	}
	return n
}

// dirCheck proves dir writable by creating and removing a file in it; a
// missing dir is fine when its nearest existing parent is writable (the
// import creates it).
func dirCheck(name, dir, fix string) checkResult {
	c := checkResult{Name: name, Status: checkFail, Fix: fix}
	probe, missing := dir, false
	for {
		st, err := os.Stat(probe)
		if err == nil && st.IsDir() {
			break
		}
		if err == nil {
			c.Detail = probe + " exists and is not a directory"
			return c
		}
		if !errors.Is(err, fs.ErrNotExist) || filepath.Dir(probe) == probe {
			c.Detail = err.Error()
			return c
		}
		probe, missing = filepath.Dir(probe), true
	}
	f, err := os.CreateTemp(probe, ".emporix-import-doctor-*")
	if err != nil {
		c.Detail = fmt.Sprintf("%s is not writable: %v", probe, err)
		return c
	}
	_ = f.Close()
	_ = os.Remove(f.Name())
	c.Status, c.Fix = checkOK, ""
	c.Detail = dir + " is writable"
	if missing {
		c.Detail = fmt.Sprintf("%s will be created (%s is writable)", dir, probe)
	}
	return c
}

// checkLock takes the per-tenant run lock and drops it at once, proving the
// lock directory usable and telling whether an import holds it now. While
// doctor holds it (microseconds) an import starting that instant would exit 1.
func (d *doctor) checkLock() {
	c := checkResult{Name: "lock", Status: checkOK}
	if d.opts.tenant == "" {
		d.add(checkResult{Name: "lock", Status: checkSkip, Detail: "needs the tenant"})
		return
	}
	lock, err := runlock.Acquire(runlock.Dir(), d.opts.apiURL, d.opts.tenant,
		runlock.Holder{PID: os.Getpid(), Started: time.Now(), Input: "(emporix-import doctor)"})
	var busy *runlock.BusyError
	switch {
	case errors.As(err, &busy):
		c.Status, c.Detail = checkWarn, busy.Error()+": an import started now would exit 1"
	case err != nil:
		c.Status, c.Detail = checkFail, err.Error()
		c.Fix = "make " + runlock.Dir() + " writable (it lives in the system temp directory, $TMPDIR)"
	default:
		c.Detail = "free (" + runlock.Path(runlock.Dir(), d.opts.apiURL, d.opts.tenant) + ")"
		if err := lock.Release(); err != nil {
			c.Status, c.Detail = checkFail, "release: "+err.Error()
		}
	}
	d.add(c)
}
