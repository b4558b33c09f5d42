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
	"time"

	"github.com/emporix-import/emporix-import/mapping"
	"github.com/emporix-import/emporix-import/report"
)

// journal is the crash-safe record of completed customers: an append-only
// JSONL file named by the input's content hash, so that --resume skips the
// customers that are done.
//
// Workers never wait for an fsync: a record goes to an in-memory buffer,
// which the worker hands to the kernel (one write, no fsync) once commitEvery
// records are waiting; a committer goroutine writes the buffer out and
// fsyncs every commit interval (commitInterval, or sooner once commitEvery
// records are waiting). Durability bound: a killed run (kill -9) loses fewer
// than commitEvery records, a crash of the machine those since the last
// fsync, so --resume re-checks at most the customers in flight plus one
// commit interval (200 ms or 256 customers, whichever ends first).
// Re-checking is safe: sync is idempotent (find before create, addresses
// matched by content).
type journal struct {
	path string
	f    *os.File

	mu      sync.Mutex // guards buf, pending, dirty, err
	buf     *bufio.Writer
	pending int   // records buffered, not yet handed to the kernel
	dirty   bool  // written to the kernel since the last fsync
	err     error // first write or fsync error; sticky

	every     int
	interval  time.Duration
	kick      chan struct{} // wakes the committer early (capacity 1)
	quit      chan struct{}
	stopped   chan struct{}
	onFail    func(error) // told once about the first write or fsync error
	failOnce  sync.Once
	closeOnce sync.Once
	closeErr  error

	index map[keyHash]span // resume only: done customers → their line
	// mirrored lists the customers an earlier mirror phase of this input
	// deactivated or deleted (resume only); their lines are in index too.
	mirrored []string
}

// Commit interval defaults: both bound what a kill can lose.
const (
	commitInterval = 200 * time.Millisecond
	commitEvery    = 256
)

// keyHash identifies a group key in the resume index (128 bits of SHA-256:
// the index holds no keys and no rows, only where each done customer's line is).
type keyHash [16]byte

func hashKey(key string) keyHash {
	sum := sha256.Sum256([]byte(key))
	return keyHash(sum[:16])
}

// span is a journal line's place in the file, without its newline.
type span struct {
	off int64
	n   int32
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

// JournalError reports a damaged journal line; --resume --repair-journal
// truncates the journal there.
type JournalError struct {
	Path string
	Line int
	Err  error
}

func (e *JournalError) Error() string {
	return fmt.Sprintf("%v: journal %s: line %d is corrupt (%v); run with --resume --repair-journal to truncate the journal there (the customers recorded from that line on are re-checked)",
		ErrResume, e.Path, e.Line, e.Err)
}

func (e *JournalError) Unwrap() error { return ErrResume }

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

// journalOpts is how one run opens its journal.
type journalOpts struct {
	dir, input, mapping string
	// addresses, addrMapping: the address file of a two-file run and its
	// mapping; they join the mapping's hash, so --resume notices their change.
	addresses, addrMapping string
	resume, repair         bool
	interval               time.Duration // commit interval; 0 = commitInterval
	warn                   io.Writer     // notes about a repaired journal; may be nil
	onFail                 func(error)
}

// openJournal starts a new journal for the input, or with resume re-opens the
// journal of the same input content and mapping and indexes what is done.
// Either way the file is written afresh, header first: a resumed journal is
// copied (its good lines) to a new file that replaces it.
func openJournal(o journalOpts) (*journal, error) {
	sum, err := fileSHA256(o.input)
	if err != nil {
		return nil, err
	}
	mapSum := ""
	if o.mapping != "" {
		// A preset is hashed by its text, so a changed built-in mapping is noticed too.
		src, err := mapping.ReadSource(o.mapping)
		if err != nil {
			return nil, err
		}
		mapSum = stringSHA256(string(src))
	}
	if o.addresses != "" {
		if mapSum, err = addressesSHA(mapSum, o.addresses, o.addrMapping); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(o.dir, 0o755); err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	path := filepath.Join(o.dir, sum+".jsonl")
	abs, _ := filepath.Abs(o.input)
	// last remembers which content this input path had when it last ran, to
	// tell "the file changed" apart from "never imported".
	last := filepath.Join(o.dir, "last-"+stringSHA256(abs))
	hdr := journalHeader{Version: 1, Input: o.input, SHA256: sum, Mapping: mapSum}

	var j *journal
	if o.resume {
		j, err = resumeJournal(path, hdr, o)
		if errors.Is(err, os.ErrNotExist) {
			if prev, perr := os.ReadFile(last); perr == nil && string(prev) != sum {
				return nil, fmt.Errorf("%w: %s changed since the interrupted run (sha256 was %.12s…, now %.12s…); run without --resume to import it afresh",
					ErrResume, o.input, prev, sum)
			}
			return nil, fmt.Errorf("%w: no journal for %s in %s; run without --resume", ErrResume, o.input, o.dir)
		}
	} else {
		j, err = newJournal(path, hdr)
	}
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(last, []byte(sum), 0o644); err != nil {
		j.f.Close()
		return nil, fmt.Errorf("journal: %w", err)
	}
	j.onFail = o.onFail
	if o.interval > 0 {
		j.interval = o.interval
	}
	j.start()
	return j, nil
}

// addressesSHA folds the address file and its mapping into the mapping's hash.
func addressesSHA(mapSum, file, mappingFile string) (string, error) {
	fileSum, err := fileSHA256(file)
	if err != nil {
		return "", err
	}
	var src []byte
	if mappingFile != "" {
		if src, err = mapping.ReadSource(mappingFile); err != nil {
			return "", err
		}
	}
	return stringSHA256(mapSum + "\x00" + fileSum + "\x00" + string(src)), nil
}

// newJournal creates (or truncates) path with the header only.
func newJournal(path string, hdr journalHeader) (*journal, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	j := newJournalFile(path, f)
	b, _ := json.Marshal(hdr)
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return nil, fmt.Errorf("journal %s: %w", path, err)
	}
	return j, nil
}

func newJournalFile(path string, f *os.File) *journal {
	return &journal{path: path, f: f, buf: bufio.NewWriterSize(f, 64<<10),
		every: commitEvery, interval: commitInterval,
		kick: make(chan struct{}, 1), quit: make(chan struct{}), stopped: make(chan struct{})}
}

// start runs the committer.
func (j *journal) start() {
	go func() {
		defer close(j.stopped)
		t := time.NewTicker(j.interval)
		defer t.Stop()
		for {
			select {
			case <-j.quit:
				return
			case <-t.C:
			case <-j.kick:
			}
			j.commit()
		}
	}()
}

// commit writes the buffered records out and fsyncs them. The fsync runs
// outside the lock: workers keep appending to the buffer meanwhile.
func (j *journal) commit() error {
	j.mu.Lock()
	if j.err != nil {
		j.mu.Unlock()
		return j.err
	}
	err := j.buf.Flush()
	needSync := j.dirty || j.pending > 0
	j.pending, j.dirty = 0, false
	j.mu.Unlock()
	if err == nil && needSync {
		err = j.f.Sync()
	}
	if err != nil {
		return j.fail(err)
	}
	return nil
}

// fail records the first error and tells onFail about it.
func (j *journal) fail(err error) error {
	err = fmt.Errorf("journal %s: %w", j.path, err)
	j.mu.Lock()
	if j.err == nil {
		j.err = err
	}
	err = j.err
	j.mu.Unlock()
	j.failOnce.Do(func() {
		if j.onFail != nil {
			j.onFail(err)
		}
	})
	return err
}

// record notes a completed customer. It never waits for the disk; it fails
// only once the journal has failed (then nothing more is recorded).
func (j *journal) record(key string, results []report.Result) error {
	e := journalEntry{Key: key, Rows: make([]journalRow, len(results))}
	for i, r := range results {
		e.Rows[i] = journalRow{Seq: r.Seq, Status: r.Status, Customer: r.CustomerNumber,
			AddressIDs: r.AddressIDs, Changes: r.Changes, Message: r.Message}
	}
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	j.mu.Lock()
	if j.err != nil {
		err := j.err
		j.mu.Unlock()
		return err
	}
	_, werr := j.buf.Write(b)
	j.pending++
	full := j.pending >= j.every
	if full && werr == nil {
		// A kill -9 loses only what is still in this buffer.
		werr = j.buf.Flush()
		j.pending, j.dirty = 0, true
	}
	j.mu.Unlock()
	if werr != nil {
		return j.fail(werr)
	}
	if full {
		select {
		case j.kick <- struct{}{}:
		default:
		}
	}
	return nil
}

// mirrorPrefix starts the journal key of a customer the mirror phase acted
// on; no input's match key holds a NUL.
const mirrorPrefix = "\x00mirror\x00"

// recordMirror notes a customer the mirror phase deactivated or deleted.
func (j *journal) recordMirror(r report.Result) error {
	return j.record(mirrorPrefix+r.CustomerNumber, []report.Result{r})
}

// hasMirrored reports whether an earlier mirror phase acted on the customer
// (nil-safe: a dry run has no journal).
func (j *journal) hasMirrored(number string) bool {
	if j == nil {
		return false
	}
	_, ok := j.index[hashKey(mirrorPrefix+number)]
	return ok
}

// mirroredResults returns the rows of the customers an earlier mirror phase
// acted on, by customer number.
func (j *journal) mirroredResults() (map[string]report.Result, error) {
	if j == nil {
		return nil, nil
	}
	out := make(map[string]report.Result, len(j.mirrored))
	for _, n := range j.mirrored {
		rs, err := j.replay(mirrorPrefix+n, func(int) (int, []string) { return 0, nil })
		if err != nil {
			return nil, err
		}
		if len(rs) == 1 {
			out[n] = rs[0]
		}
	}
	return out, nil
}

// replay returns the results of a customer an earlier run completed, or nil.
// Its line is read back from the file: the index holds only where it is.
func (j *journal) replay(key string, cells func(seq int) (int, []string)) ([]report.Result, error) {
	sp, ok := j.index[hashKey(key)]
	if !ok {
		return nil, nil
	}
	line := make([]byte, sp.n)
	if _, err := j.f.ReadAt(line, sp.off); err != nil {
		return nil, fmt.Errorf("journal %s: %w", j.path, err)
	}
	var e journalEntry
	if err := json.Unmarshal(line, &e); err != nil || e.Key != key {
		return nil, fmt.Errorf("journal %s: the record at byte %d changed during the run", j.path, sp.off)
	}
	out := make([]report.Result, len(e.Rows))
	for i, r := range e.Rows {
		num, c := cells(r.Seq)
		out[i] = report.Result{Seq: r.Seq, Row: num, Cells: c, Status: r.Status, CustomerNumber: r.Customer,
			AddressIDs: r.AddressIDs, Changes: r.Changes, Message: r.Message}
	}
	return out, nil
}

// close commits what is buffered and closes the file; later calls return
// the first call's result.
func (j *journal) close() error {
	if j == nil {
		return nil
	}
	j.closeOnce.Do(func() {
		close(j.quit)
		<-j.stopped
		j.closeErr = j.commit()
		if cerr := j.f.Close(); j.closeErr == nil && cerr != nil {
			j.closeErr = fmt.Errorf("journal %s: %w", j.path, cerr)
		}
	})
	return j.closeErr
}
