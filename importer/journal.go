package importer

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/emporix-import/emporix-import/mapping"
	"github.com/emporix-import/emporix-import/report"
)

// journal is the crash-safe record of completed customers: an
// append-only JSONL file named by the input's content hash, fsynced after each
// completed customer, so a --resume after kill -9 skips exactly the customers
// that are done. The customer in flight at the crash has no record: it is
// simply synced again, and sync is idempotent (find before create, addresses
// matched by content).
type journal struct {
	mu      sync.Mutex // guards writes and written
	written uint64     // records written so far
	syncMu  sync.Mutex // one fsync at a time
	synced  uint64     // records covered by the last fsync; guarded by syncMu
	f       *os.File
	done    map[string][]journalRow // group key → its rows' results (resume only)
}

type journalHeader struct {
	Version int    `json:"v"`
	Input   string `json:"input"`
	SHA256  string `json:"sha256"`
	Mapping string `json:"mapping_sha256"`
}

type journalEntry struct {
	Key  string       `json:"key"`
	Rows []journalRow `json:"rows"`
}

type journalRow struct {
	Seq        int           `json:"seq"`
	Status     report.Status `json:"status"`
	Customer   string        `json:"customer,omitempty"`
	AddressIDs []string      `json:"addresses,omitempty"`
	Changes    []string      `json:"changes,omitempty"`
	Message    string        `json:"message,omitempty"`
}

// ErrResume is returned when --resume cannot continue the earlier run.
var ErrResume = errors.New("cannot resume")

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func stringSHA256(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// openJournal starts a new journal for input, or with resume re-opens the
// journal of the same input content and mapping and loads what is done.
func openJournal(dir, input, mappingFile string, resume bool) (*journal, error) {
	sum, err := fileSHA256(input)
	if err != nil {
		return nil, err
	}
	mapSum := ""
	if mappingFile != "" {
		// A preset is hashed by its text, so a changed built-in mapping is noticed too.
		src, err := mapping.ReadSource(mappingFile)
		if err != nil {
			return nil, err
		}
		mapSum = stringSHA256(string(src))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	path := filepath.Join(dir, sum+".jsonl")
	abs, _ := filepath.Abs(input)
	// last remembers which content this input path had when it last ran, to
	// tell "the file changed" apart from "never imported".
	last := filepath.Join(dir, "last-"+stringSHA256(abs))
	hdr := journalHeader{Version: 1, Input: input, SHA256: sum, Mapping: mapSum}

	if !resume {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
		if err != nil {
			return nil, fmt.Errorf("journal: %w", err)
		}
		j := &journal{f: f}
		if err := j.append(hdr); err != nil {
			f.Close()
			return nil, err
		}
		if err := os.WriteFile(last, []byte(sum), 0o644); err != nil {
			f.Close()
			return nil, fmt.Errorf("journal: %w", err)
		}
		return j, nil
	}

	j, got, err := loadJournal(path)
	if errors.Is(err, os.ErrNotExist) {
		if prev, perr := os.ReadFile(last); perr == nil && string(prev) != sum {
			return nil, fmt.Errorf("%w: %s changed since the interrupted run (sha256 was %.12s…, now %.12s…); run without --resume to import it afresh",
				ErrResume, input, prev, sum)
		}
		return nil, fmt.Errorf("%w: no journal for %s in %s; run without --resume", ErrResume, input, dir)
	}
	if err != nil {
		return nil, err
	}
	if got.Mapping != mapSum {
		j.f.Close()
		return nil, fmt.Errorf("%w: the mapping file changed since the interrupted run; run without --resume", ErrResume)
	}
	return j, nil
}

// loadJournal reads every complete entry; a torn last line (kill -9 mid-write)
// is ignored, which is safe: that customer is synced again.
func loadJournal(path string) (*journal, journalHeader, error) {
	var hdr journalHeader
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND, 0o644)
	if err != nil {
		return nil, hdr, err
	}
	j := &journal{f: f, done: map[string][]journalRow{}}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 64*1024*1024)
	first := true
	var good int64
	for sc.Scan() {
		line := sc.Bytes()
		if first {
			first = false
			if err := json.Unmarshal(line, &hdr); err != nil || hdr.Version != 1 {
				f.Close()
				return nil, hdr, fmt.Errorf("%w: journal %s is unreadable", ErrResume, path)
			}
			good += int64(len(line)) + 1
			continue
		}
		var e journalEntry
		if err := json.Unmarshal(line, &e); err != nil {
			break
		}
		good += int64(len(line)) + 1
		j.done[e.Key] = e.Rows
	}
	// Cut a torn tail so new entries start on a fresh line.
	if err := f.Truncate(good); err != nil {
		f.Close()
		return nil, hdr, fmt.Errorf("journal: %w", err)
	}
	return j, hdr, nil
}

func (j *journal) append(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	j.mu.Lock()
	_, err = j.f.Write(b)
	j.written++
	mine := j.written
	j.mu.Unlock()
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	// Group commit: a record is durable once an fsync that started after it
	// was written has finished. Workers waiting here share one fsync, so the
	// journal costs one fsync per round of workers, not one per customer.
	j.syncMu.Lock()
	defer j.syncMu.Unlock()
	if j.synced >= mine {
		return nil
	}
	j.mu.Lock()
	covered := j.written
	j.mu.Unlock()
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	j.synced = covered
	return nil
}

// record notes a completed customer.
func (j *journal) record(key string, results []report.Result) error {
	e := journalEntry{Key: key, Rows: make([]journalRow, len(results))}
	for i, r := range results {
		e.Rows[i] = journalRow{Seq: r.Seq, Status: r.Status, Customer: r.CustomerNumber,
			AddressIDs: r.AddressIDs, Changes: r.Changes, Message: r.Message}
	}
	return j.append(e)
}

// replay returns the results of a customer an earlier run completed, or nil.
func (j *journal) replay(key string, cells func(seq int) (int, []string)) []report.Result {
	rows, ok := j.done[key]
	if !ok {
		return nil
	}
	out := make([]report.Result, len(rows))
	for i, r := range rows {
		num, c := cells(r.Seq)
		out[i] = report.Result{Seq: r.Seq, Row: num, Cells: c, Status: r.Status, CustomerNumber: r.Customer,
			AddressIDs: r.AddressIDs, Changes: r.Changes, Message: r.Message}
	}
	return out
}

func (j *journal) close() error {
	if j == nil {
		return nil
	}
	return j.f.Close()
}
