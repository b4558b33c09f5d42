package importer

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// resumeJournal copies the good lines of the journal at path to a new file
// that starts with hdr and replaces it, indexing the customers done. An empty
// journal is treated as absent (os.ErrNotExist). A torn last line (a kill
// mid-write) is dropped; a damaged line before the last is a *JournalError
// unless o.repair, which truncates the journal at it.
func resumeJournal(path string, hdr journalHeader, o journalOpts) (*journal, error) {
	old, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer old.Close()
	if st, err := old.Stat(); err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	} else if st.Size() == 0 {
		return nil, os.ErrNotExist
	}
	j, err := newJournal(path+".tmp", hdr)
	if err != nil {
		return nil, err
	}
	j.path = path
	j.index = map[keyHash]span{}
	if err := j.copyDone(bufio.NewReaderSize(old, 64<<10), path, hdr, o); err != nil {
		j.f.Close()
		os.Remove(path + ".tmp")
		return nil, err
	}
	if err := j.f.Sync(); err != nil {
		j.f.Close()
		return nil, fmt.Errorf("journal %s: %w", path, err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		j.f.Close()
		return nil, fmt.Errorf("journal: %w", err)
	}
	return j, nil
}

// copyDone checks the old journal's header, then appends its complete
// entries to j (whose file holds the new header) and indexes them.
func (j *journal) copyDone(r *bufio.Reader, path string, hdr journalHeader, o journalOpts) error {
	off, err := j.f.Seek(0, io.SeekEnd)
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	w := bufio.NewWriterSize(j.f, 64<<10)
	for n := 1; ; n++ {
		line, rerr := r.ReadBytes('\n')
		if rerr != nil && rerr != io.EOF {
			return fmt.Errorf("journal %s: %w", path, rerr)
		}
		if len(line) == 0 && rerr == io.EOF {
			break
		}
		body := bytes.TrimSuffix(line, []byte("\n"))
		key, perr := parseJournalLine(body, n, hdr)
		if perr != nil {
			if errors.Is(perr, ErrResume) {
				return perr
			}
			if _, peek := r.Peek(1); peek == io.EOF {
				break // the torn tail of a killed run: that customer is re-checked
			}
			if !o.repair {
				return &JournalError{Path: path, Line: n, Err: perr}
			}
			if o.warn != nil {
				fmt.Fprintf(o.warn, "journal %s: truncated at the damaged line %d (--repair-journal); the customers recorded from there on are re-checked\n", path, n)
			}
			break
		}
		if n == 1 {
			continue // the new file has its own header
		}
		if _, err := w.Write(line[:len(body)]); err != nil {
			return fmt.Errorf("journal %s: %w", path, err)
		}
		w.WriteByte('\n')
		j.index[hashKey(key)] = span{off: off, n: int32(len(body))}
		if number, ok := strings.CutPrefix(key, mirrorPrefix); ok {
			j.mirrored = append(j.mirrored, number)
		}
		off += int64(len(body)) + 1
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("journal %s: %w", path, err)
	}
	return nil
}

// parseJournalLine checks line n: the header (same version and mapping) or a
// customer entry, whose key it returns. A header from another mapping wraps
// ErrResume; anything unreadable is a plain error.
func parseJournalLine(line []byte, n int, want journalHeader) (string, error) {
	if n == 1 {
		var h journalHeader
		if err := json.Unmarshal(line, &h); err != nil {
			return "", err
		}
		if h.Version != 1 {
			return "", fmt.Errorf("unknown journal version %d", h.Version)
		}
		if h.Mapping != want.Mapping {
			return "", fmt.Errorf("%w: the mapping file changed since the interrupted run (or, with --addresses-file, the address file or its mapping); run without --resume", ErrResume)
		}
		return "", nil
	}
	var e journalEntry
	if err := json.Unmarshal(line, &e); err != nil {
		return "", err
	}
	if e.Key == "" {
		return "", errors.New("no customer key")
	}
	return e.Key, nil
}
