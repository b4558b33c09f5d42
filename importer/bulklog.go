package importer

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
)

// bulkLog records, beside the journal, every create before it is sent
// (fsynced): the customers of each bulk import batch and each single POST.
// A --resume after a kill thus knows which existing customers the
// interrupted run created (with their password, and still owing --activate),
// even though their completion never reached the journal. A create answered
// 409 at once (the customer existed) is recorded too, so that it is not
// taken for this run's. It holds match keys only, never an account.
type bulkLog struct {
	mu      sync.Mutex // guards f and written
	path    string
	resume  bool
	good    int64    // resume: length of the complete records
	f       *os.File // opened at the first record: a run without one leaves no file
	written int64    // records written so far
	// syncMu lets one fsync run at a time; the writers that queue behind it
	// share the next one (group commit), so concurrent creates cost one
	// fsync per round, not one each.
	syncMu sync.Mutex
	synced int64 // records known durable; guarded by syncMu
}

// bulkRecord is one line: keys about to be created, keys whose create
// found the customer already there (existed), or keys logged ahead of their
// create that the run did not send after all (withdrawn).
type bulkRecord struct {
	Keys      []string `json:"keys,omitempty"`
	Existed   []string `json:"existed,omitempty"`
	Withdrawn []string `json:"withdrawn,omitempty"`
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
		for _, k := range slices.Concat(r.Existed, r.Withdrawn) {
			delete(sent, k)
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
	return l.append(r)
}

// intend makes the creates of keys durable before they are sent: one
// record and one fsync for all of them.
func (l *bulkLog) intend(keys ...string) error {
	return l.append(bulkRecord{Keys: keys})
}

// withdraw records that the create of key, logged ahead, was not sent. It
// does not wait for an fsync: until the record is durable, the key counts as
// sent, as it would after a kill between an intent and its create.
func (l *bulkLog) withdraw(key string) error {
	if l == nil {
		return nil
	}
	_, err := l.write(bulkRecord{Withdrawn: []string{key}})
	return err
}

// existed makes durable that a create found its customer already there.
func (l *bulkLog) existed(key string) error {
	return l.append(bulkRecord{Existed: []string{key}})
}

// append writes one record and returns once it is on disk; without a log
// (a dry run) it does nothing.
func (l *bulkLog) append(r bulkRecord) error {
	if l == nil {
		return nil
	}
	seq, err := l.write(r)
	if err != nil {
		return err
	}
	return l.syncTo(seq)
}

// write writes one record and returns its sequence number.
func (l *bulkLog) write(r bulkRecord) (int64, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return 0, fmt.Errorf("journal: %w", err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		if err := l.open(); err != nil {
			return 0, err
		}
	}
	if _, err := l.f.Write(append(b, '\n')); err != nil {
		return 0, fmt.Errorf("journal: %w", err)
	}
	l.written++
	return l.written, nil
}

// syncTo returns once record seq is durable: done already by an fsync that
// began after it was written, or by one this call makes for every record
// written so far.
func (l *bulkLog) syncTo(seq int64) error {
	l.syncMu.Lock()
	defer l.syncMu.Unlock()
	if l.synced >= seq {
		return nil
	}
	l.mu.Lock()
	upTo, f := l.written, l.f
	l.mu.Unlock()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	l.synced = upTo
	return nil
}

func (l *bulkLog) close() error {
	if l == nil || l.f == nil {
		return nil
	}
	return l.f.Close()
}
