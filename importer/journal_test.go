package importer

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emporix-import/emporix-import/report"
)

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func mustSHA(t *testing.T, path string) string {
	t.Helper()
	s, err := fileSHA256(path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// journalFixture is an input and its journal directory.
type journalFixture struct {
	input, jdir, path string
}

func newJournalFixture(t *testing.T) journalFixture {
	dir := t.TempDir()
	input := filepath.Join(dir, "in.csv")
	writeFile(t, input, "customerNumber\nC1\n")
	jdir := filepath.Join(dir, "j")
	return journalFixture{input: input, jdir: jdir, path: filepath.Join(jdir, mustSHA(t, input)+".jsonl")}
}

func (fx journalFixture) open(resume, repair bool) (*journal, error) {
	return openJournal(journalOpts{dir: fx.jdir, input: fx.input, resume: resume, repair: repair})
}

// write records n customers K0…K(n-1) in a fresh journal.
func (fx journalFixture) write(t *testing.T, n int) {
	t.Helper()
	j, err := fx.open(false, false)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if err := j.record(fmt.Sprintf("K%d", i), []report.Result{{Seq: i, Status: report.Created}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.close(); err != nil {
		t.Fatal(err)
	}
}

func (fx journalFixture) lines(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(fx.path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

func TestJournalRecordsSurviveReopen(t *testing.T) {
	fx := newJournalFixture(t)
	j, err := fx.open(false, false)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range 25 {
				key := fmt.Sprintf("K%d-%d", w, i)
				if err := j.record(key, []report.Result{{Seq: w*100 + i, Status: report.Created, CustomerNumber: key}}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	j.close()

	// A kill -9 mid-write leaves a torn last line: it is ignored and cut off.
	f, _ := os.OpenFile(fx.path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"key":"TORN","rows":[{"seq":`)
	f.Close()

	j, err = fx.open(true, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(j.index) != 200 {
		t.Fatalf("%d customers done after reopen, want 200", len(j.index))
	}
	if _, torn := j.index[hashKey("TORN")]; torn {
		t.Fatal("torn record was loaded")
	}
	if err := j.record("AFTER", []report.Result{{Seq: 999, Status: report.Updated}}); err != nil {
		t.Fatal(err)
	}
	j.close()
	j, err = fx.open(true, false)
	if err != nil {
		t.Fatal(err)
	}
	defer j.close()
	got, err := j.replay("AFTER", func(int) (int, []string) { return 7, []string{"x"} })
	if err != nil || len(got) != 1 || got[0].Status != report.Updated || got[0].Row != 7 || len(j.index) != 201 {
		t.Fatalf("after the torn tail: replay %+v (%v), %d done", got, err, len(j.index))
	}
	got, err = j.replay("K3-7", func(int) (int, []string) { return 0, nil })
	if err != nil || len(got) != 1 || got[0].CustomerNumber != "K3-7" || got[0].Seq != 307 {
		t.Fatalf("replay K3-7: %+v (%v)", got, err)
	}
	if got, err := j.replay("NEVER", nil); got != nil || err != nil {
		t.Fatalf("replay of an unknown key: %+v (%v)", got, err)
	}
}

// A record is buffered, never written or fsynced by the worker: until a
// commit the file holds only the header.
func TestJournalRecordDoesNotWaitForTheDisk(t *testing.T) {
	fx := newJournalFixture(t)
	j, err := fx.open(false, false)
	if err != nil {
		t.Fatal(err)
	}
	j.every = 1 << 30 // only an explicit commit writes
	for i := range 100 {
		if err := j.record(fmt.Sprintf("K%d", i), []report.Result{{Seq: i, Status: report.Unchanged}}); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(fx.lines(t)); n != 1 {
		t.Fatalf("%d lines on disk before a commit, want the header only", n)
	}
	if err := j.commit(); err != nil {
		t.Fatal(err)
	}
	if n := len(fx.lines(t)); n != 101 {
		t.Fatalf("%d lines on disk after a commit, want 101", n)
	}
	j.close()
}

func TestJournalCommitsAfterEveryNRecords(t *testing.T) {
	fx := newJournalFixture(t)
	j, err := fx.open(false, false)
	if err != nil {
		t.Fatal(err)
	}
	defer j.close()
	for i := range commitEvery {
		j.record(fmt.Sprintf("K%d", i), []report.Result{{Seq: i, Status: report.Unchanged}})
	}
	// The committer was kicked: wait for it (the ticker may also fire; either way it commits).
	for range 500 {
		if len(fx.lines(t)) == commitEvery+1 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%d lines on disk, want %d", len(fx.lines(t)), commitEvery+1)
}

func TestJournalDamage(t *testing.T) {
	t.Run("a corrupt line in the middle names the line", func(t *testing.T) {
		fx := newJournalFixture(t)
		fx.write(t, 10)
		lines := fx.lines(t)
		lines[5] = "garbage"
		writeFile(t, fx.path, strings.Join(lines, "\n")+"\n")
		_, err := fx.open(true, false)
		var je *JournalError
		if !errors.As(err, &je) || je.Line != 6 || !errors.Is(err, ErrResume) || !strings.Contains(err.Error(), "--repair-journal") {
			t.Fatalf("err = %v, want a JournalError at line 6 suggesting --repair-journal", err)
		}
		if got := fx.lines(t); len(got) != 11 || got[5] != "garbage" {
			t.Fatal("a refused resume changed the journal")
		}
		j, err := fx.open(true, true)
		if err != nil {
			t.Fatal(err)
		}
		if len(j.index) != 4 {
			t.Errorf("%d customers done after the repair, want the 4 before the damage", len(j.index))
		}
		j.close()
		if got := fx.lines(t); len(got) != 5 || !strings.HasPrefix(got[0], `{"v":1`) {
			t.Errorf("repaired journal: %q", got)
		}
		j, err = fx.open(true, false) // repaired for good
		if err != nil {
			t.Fatal(err)
		}
		j.close()
	})
	t.Run("an empty journal is treated as absent", func(t *testing.T) {
		fx := newJournalFixture(t)
		fx.write(t, 0)
		writeFile(t, fx.path, "")
		_, err := fx.open(true, false)
		if !errors.Is(err, ErrResume) || !strings.Contains(err.Error(), "no journal") {
			t.Fatalf("err = %v, want no journal", err)
		}
	})
	t.Run("a damaged header is repaired by rewriting it", func(t *testing.T) {
		fx := newJournalFixture(t)
		fx.write(t, 3)
		lines := fx.lines(t)
		lines[0] = "{}"
		writeFile(t, fx.path, strings.Join(lines, "\n")+"\n")
		if _, err := fx.open(true, false); !errors.As(err, new(*JournalError)) {
			t.Fatalf("err = %v, want a JournalError at line 1", err)
		}
		j, err := fx.open(true, true)
		if err != nil {
			t.Fatal(err)
		}
		j.record("NEW", []report.Result{{Seq: 9, Status: report.Created}})
		j.close()
		got := fx.lines(t)
		if len(got) != 2 || !strings.HasPrefix(got[0], `{"v":1`) || !strings.Contains(got[1], "NEW") {
			t.Fatalf("journal after repairing the header: %q", got)
		}
	})
}

func TestJournalFailureIsSticky(t *testing.T) {
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skip("no /dev/full")
	}
	var told []error
	j := newJournalFile("/dev/full", full)
	j.onFail = func(err error) { told = append(told, err) }
	if err := j.record("K", []report.Result{{Seq: 0, Status: report.Created}}); err != nil {
		t.Fatalf("record before the disk is touched: %v", err)
	}
	if err := j.commit(); err == nil || !strings.Contains(err.Error(), "no space left") {
		t.Fatalf("commit on a full disk: %v", err)
	}
	if err := j.record("L", []report.Result{{Seq: 1, Status: report.Created}}); err == nil {
		t.Fatal("record after a failed commit succeeded")
	}
	if len(told) != 1 {
		t.Fatalf("onFail called %d times, want once", len(told))
	}
	full.Close()
}

func TestJournalResumeRefusals(t *testing.T) {
	dir := t.TempDir()
	input := filepath.Join(dir, "in.csv")
	mapping := filepath.Join(dir, "m.yaml")
	writeFile(t, input, "customerNumber\nC1\n")
	writeFile(t, mapping, "match: customerNumber\n")
	jdir := filepath.Join(dir, "j")
	open := func(resume bool) (*journal, error) {
		return openJournal(journalOpts{dir: jdir, input: input, mapping: mapping, resume: resume})
	}
	if _, err := open(true); !errors.Is(err, ErrResume) || !strings.Contains(err.Error(), "no journal") {
		t.Errorf("resume without a journal: %v", err)
	}
	j, err := open(false)
	if err != nil {
		t.Fatal(err)
	}
	j.close()

	writeFile(t, mapping, "match: contactEmail\n")
	if _, err := open(true); !errors.Is(err, ErrResume) || !strings.Contains(err.Error(), "mapping file changed") {
		t.Errorf("resume with a changed mapping: %v", err)
	}
	writeFile(t, mapping, "match: customerNumber\n")
	writeFile(t, input, "customerNumber\nC1\nC2\n")
	if _, err := open(true); !errors.Is(err, ErrResume) || !strings.Contains(err.Error(), "changed since the interrupted run") {
		t.Errorf("resume with a changed input: %v", err)
	}
}
