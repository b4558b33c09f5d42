package importer

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"sync"
	"testing"
)

// The batch log keeps, across a kill, the keys whose create was sent, minus
// those a create found already there; concurrent records stay whole lines.
func TestBulkLogIntentsAndExisted(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.bulk.jsonl")
	l, _, err := openBulkLog(path, false)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Go(func() {
			k := fmt.Sprintf("K%02d", i)
			if err := l.intend(k); err != nil {
				t.Error(err)
			}
			if i%10 == 0 {
				if err := l.existed(k); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if err := l.close(); err != nil {
		t.Fatal(err)
	}
	_, sent, err := openBulkLog(path, true)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for i := range 40 {
		if i%10 != 0 {
			want = append(want, fmt.Sprintf("K%02d", i))
		}
	}
	if got := slices.Sorted(maps.Keys(sent)); !slices.Equal(got, want) {
		t.Errorf("sent after reopen = %v, want %v", got, want)
	}
}

// A dry run has no log: recording is a no-op.
func TestBulkLogNilIsNoOp(t *testing.T) {
	var l *bulkLog
	if err := l.intend("K"); err != nil {
		t.Fatal(err)
	}
	if err := l.existed("K"); err != nil {
		t.Fatal(err)
	}
}

// Keys logged together are one record; a withdrawn key (logged ahead, never
// sent) no longer counts as sent after a reopen.
func TestBulkLogWithdrawn(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.bulk.jsonl")
	l, _, err := openBulkLog(path, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.intend("A", "B", "C"); err != nil {
		t.Fatal(err)
	}
	if err := l.withdraw("B"); err != nil {
		t.Fatal(err)
	}
	if err := l.close(); err != nil {
		t.Fatal(err)
	}
	_, sent, err := openBulkLog(path, true)
	if err != nil {
		t.Fatal(err)
	}
	if got := slices.Sorted(maps.Keys(sent)); !slices.Equal(got, []string{"A", "C"}) {
		t.Errorf("sent after reopen = %v, want [A C]", got)
	}
	var nilLog *bulkLog
	if err := nilLog.withdraw("K"); err != nil {
		t.Errorf("withdraw without a log: %v", err)
	}
}
