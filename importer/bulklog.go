package importer

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
)

// bulkLog records, beside the journal, the customers of each bulk import
// batch before it is sent (fsynced), so that --resume after a kill knows
// which existing customers the interrupted run created with their password,
// even though their completion never reached the journal. It holds match
// keys only, never an account.
type bulkLog struct {
	mu     sync.Mutex
	path   string
	resume bool
	good   int64    // resume: length of the complete records
	f      *os.File // opened at the first batch: a run without one leaves no file
}

type bulkRecord struct {
	Keys []string `json:"keys"`
}

// bulkLogPath is the companion of a journal file: x.jsonl → x.bulk.jsonl.
func bulkLogPath(journalPath string) string {
	return strings.TrimSuffix(journalPath, ".jsonl") + ".bulk.jsonl"
}

// openBulkLog prepares the log; with resume it returns the keys the earlier
// runs sent, and new records follow theirs.
func openBulkLog(path string, resume bool) (*bulkLog, map[string]bool, error) {
	l := &bulkLog{path: path, resume: resume}
	if !resume {
		if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
			return nil, nil, fmt.Errorf("journal: %w", err)
		}
		return l, nil, nil
	}
	sent, good, err := readBulkLog(path)
	if err != nil {
		return nil, nil, err
	}
	l.good = good
	return l, sent, nil
}

// open creates or continues the file. Caller holds l.mu.
func (l *bulkLog) open() error {
	f, err := os.OpenFile(l.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	if l.resume {
		// Cut a torn tail so the next record starts on a line of its own.
		if err := f.Truncate(l.good); err != nil {
			f.Close()
			return fmt.Errorf("journal: %w", err)
		}
	}
	l.f = f
	return nil
}

// readBulkLog reads the keys of every complete record; a torn last line (a
// kill mid-write) belongs to a batch that was never sent.
func readBulkLog(path string) (sent map[string]bool, good int64, err error) {
	sent = map[string]bool{}
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return sent, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("journal: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	for sc.Scan() {
		var r bulkRecord
		if json.Unmarshal(sc.Bytes(), &r) != nil {
			break
		}
		good += int64(len(sc.Bytes())) + 1
		for _, k := range r.Keys {
			sent[k] = true
		}
	}
	return sent, good, nil
}

// record makes the batch's keys durable.
func (l *bulkLog) record(batch []*bulkItem) error {
	r := bulkRecord{Keys: make([]string, len(batch))}
	for i, it := range batch {
		r.Keys[i] = it.g.Key
	}
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		if err := l.open(); err != nil {
			return err
		}
	}
	if _, err := l.f.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	if err := l.f.Sync(); err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	return nil
}

func (l *bulkLog) close() error {
	if l == nil || l.f == nil {
		return nil
	}
	return l.f.Close()
}
