package importer

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/emporix-import/emporix-import/report"
)

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestJournalRecordsSurviveReopen(t *testing.T) {
	dir := t.TempDir()
	input := filepath.Join(dir, "in.csv")
	writeFile(t, input, "customerNumber\nC1\n")
	jdir := filepath.Join(dir, "j")

	j, err := openJournal(jdir, input, "", false)
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
	path := filepath.Join(jdir, mustSHA(t, input)+".jsonl")
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"key":"TORN","rows":[{"seq":`)
	f.Close()

	j, err = openJournal(jdir, input, "", true)
	if err != nil {
		t.Fatal(err)
	}
	if len(j.done) != 200 {
		t.Fatalf("%d customers done after reopen, want 200", len(j.done))
	}
	if _, torn := j.done["TORN"]; torn {
		t.Fatal("torn record was loaded")
	}
	if err := j.record("AFTER", []report.Result{{Seq: 999, Status: report.Updated}}); err != nil {
		t.Fatal(err)
	}
	j.close()
	j, err = openJournal(jdir, input, "", true)
	if err != nil {
		t.Fatal(err)
	}
	defer j.close()
	got := j.replay("AFTER", func(int) (int, []string) { return 7, []string{"x"} })
	if len(got) != 1 || got[0].Status != report.Updated || got[0].Row != 7 || len(j.done) != 201 {
		t.Fatalf("after the torn tail: replay %+v, %d done", got, len(j.done))
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

func TestJournalResumeRefusals(t *testing.T) {
	dir := t.TempDir()
	input := filepath.Join(dir, "in.csv")
	mapping := filepath.Join(dir, "m.yaml")
	writeFile(t, input, "customerNumber\nC1\n")
	writeFile(t, mapping, "match: customerNumber\n")
	jdir := filepath.Join(dir, "j")

	if _, err := openJournal(jdir, input, mapping, true); !errors.Is(err, ErrResume) || !strings.Contains(err.Error(), "no journal") {
		t.Errorf("resume without a journal: %v", err)
	}
	j, err := openJournal(jdir, input, mapping, false)
	if err != nil {
		t.Fatal(err)
	}
	j.close()

	writeFile(t, mapping, "match: contactEmail\n")
	if _, err := openJournal(jdir, input, mapping, true); !errors.Is(err, ErrResume) || !strings.Contains(err.Error(), "mapping file changed") {
		t.Errorf("resume with a changed mapping: %v", err)
	}
	writeFile(t, mapping, "match: customerNumber\n")
	writeFile(t, input, "customerNumber\nC1\nC2\n")
	if _, err := openJournal(jdir, input, mapping, true); !errors.Is(err, ErrResume) || !strings.Contains(err.Error(), "changed since the interrupted run") {
		t.Errorf("resume with a changed input: %v", err)
	}
}
