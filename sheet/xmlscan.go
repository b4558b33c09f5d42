package sheet

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"
)

// maxTag caps one XML tag (name and attributes) in bytes.
const maxTag = 64 << 10

// cellProblems are the defects found in a worksheet while scanning its XML,
// before excelize reads it: excelize would buffer an oversized cell whole,
// and it fails the whole sheet on a cell or row outside Excel's grid.
type cellProblems struct {
	rows    map[int][]Problem // by row number
	orphans []string          // r attributes of rows beyond the last Excel row
	sst     map[int]Problem   // defective shared strings, by index
	n       int
}

func newCellProblems() *cellProblems {
	return &cellProblems{rows: map[int][]Problem{}, sst: map[int]Problem{}}
}

func (c *cellProblems) count() error {
	c.n++
	if c.n > maxProblems {
		return fmt.Errorf("%w: more than %d defective cells", ErrCorrupt, maxProblems)
	}
	return nil
}

// xmlScanner streams one worksheet (or the shared strings) token by token
// with bounded memory: text nodes are cut at the cell limit, unknown entity
// references escaped, cells and rows outside the grid dropped. With out set it
// writes the repaired XML; dirty says whether a repair was needed. Without
// out the scan stops at the first repair needed.
type xmlScanner struct {
	in      *bufio.Reader
	out     io.Writer // nil = check only
	lim     Limits
	sstMode bool
	probs   *cellProblems
	dirty   bool

	row, col  int
	cellType  string
	inCell    bool
	elem      string // innermost text-bearing element: v, t or f
	cellText  int    // text bytes of the current cell (or shared string)
	rowText   int    // text bytes of the current row
	rowFull   bool   // rowText passed MaxRecord
	si        int    // shared string index
	skipDepth int    // > 0 while dropping an element
	drop      bool   // the start tag being handled is dropped
	text      []byte
}

func scanXML(in io.Reader, out io.Writer, lim Limits, sstMode bool, probs *cellProblems) (dirty bool, err error) {
	s := &xmlScanner{in: bufio.NewReaderSize(in, 64<<10), out: out, lim: lim, sstMode: sstMode, probs: probs, si: -1}
	for {
		if s.dirty && out == nil {
			return true, nil // a check only needs to know; the repair pass finds everything
		}
		eof, err := s.readText()
		if err != nil {
			return s.dirty, err
		}
		if eof {
			return s.dirty, nil
		}
		tag, err := s.readTag()
		if err != nil {
			return s.dirty, err
		}
		if err := s.handleTag(tag); err != nil {
			return s.dirty, err
		}
	}
}

func (s *xmlScanner) write(b []byte) error {
	if s.out == nil || s.skipDepth > 0 {
		return nil
	}
	_, err := s.out.Write(b)
	return err
}

// readText consumes text up to the next '<' (consumed too), keeping at most
// the bytes the context allows.
func (s *xmlScanner) readText() (eof bool, err error) {
	keep := s.textLimit()
	s.text = s.text[:0]
	total := 0
	for {
		chunk, rerr := s.in.ReadSlice('<')
		end := len(chunk)
		if rerr == nil {
			end--
		}
		total += end
		if room := keep - len(s.text); room > 0 && s.skipDepth == 0 {
			s.text = append(s.text, chunk[:min(end, room)]...)
		}
		switch {
		case rerr == bufio.ErrBufferFull:
			continue
		case rerr == io.EOF:
			return true, s.emitText(total)
		case rerr != nil:
			return false, fmt.Errorf("%w: %v", ErrCorrupt, rerr)
		}
		return false, s.emitText(total)
	}
}

// textLimit is how many bytes of the next text node are kept.
func (s *xmlScanner) textLimit() int {
	if s.rowFull {
		return 0
	}
	if s.valueContext() {
		return max(s.lim.MaxCell-s.cellText, 0)
	}
	return s.lim.MaxCell
}

func (s *xmlScanner) valueContext() bool {
	return (s.inCell || s.sstMode) && (s.elem == "v" || s.elem == "t")
}

func (s *xmlScanner) emitText(total int) error {
	if s.skipDepth > 0 || total == 0 {
		return nil
	}
	kept := s.text
	if total > len(kept) {
		s.dirty = true
		kept = safeCut(kept)
		if s.valueContext() && !s.rowFull {
			msg := fmt.Sprintf("cell has more than %d bytes; truncated", s.lim.MaxCell)
			if err := s.problem(ErrFieldTooLarge, msg); err != nil {
				return err
			}
		}
	}
	kept, err := s.checkEntities(kept)
	if err != nil {
		return err
	}
	if s.valueContext() {
		s.cellText += len(kept)
		if err := s.noteValue(kept); err != nil {
			return err
		}
	}
	if s.inCell && !s.sstMode {
		s.rowText += len(kept)
		if s.rowText > s.lim.MaxRecord && !s.rowFull {
			s.rowFull = true
			msg := fmt.Sprintf("the row holds more than %d bytes of text; the rest of it is ignored", s.lim.MaxRecord)
			if err := s.problem(ErrFieldTooLarge, msg); err != nil {
				return err
			}
		}
	}
	return s.write(kept)
}

// safeCut drops a partial entity reference or UTF-8 sequence at the end of b.
func safeCut(b []byte) []byte {
	if i := bytes.LastIndexByte(b, '&'); i >= 0 && len(b)-i <= 12 && bytes.IndexByte(b[i:], ';') < 0 {
		b = b[:i]
	}
	for len(b) > 0 && !utf8.Valid(b[max(len(b)-utf8.UTFMax, 0):]) {
		b = b[:len(b)-1]
	}
	return b
}

var xmlEntities = []string{"lt", "gt", "amp", "quot", "apos"}

// checkEntities escapes entity references XML does not predefine (excelize
// would turn the cell empty or stop reading) and records a row problem.
func (s *xmlScanner) checkEntities(b []byte) ([]byte, error) {
	if bytes.IndexByte(b, '&') < 0 {
		return b, nil
	}
	var out []byte
	for i := 0; i < len(b); i++ {
		if b[i] != '&' {
			out = append(out, b[i])
			continue
		}
		name, ok := entityAt(b[i+1:])
		if ok {
			out = append(out, '&')
			continue
		}
		s.dirty = true
		out = append(out, "&amp;"...)
		if err := s.problem(ErrBadXML, fmt.Sprintf("XML entity reference &%s; is not allowed in a cell; kept as text", name)); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// entityAt reads the entity name after '&' and reports whether it is one of
// XML's own or a character reference.
func entityAt(b []byte) (string, bool) {
	end := bytes.IndexByte(b[:min(len(b), 32)], ';')
	if end < 0 {
		return string(b[:min(len(b), 10)]), false
	}
	name := string(b[:end])
	if len(name) > 1 && name[0] == '#' {
		var err error
		if name[1] == 'x' || name[1] == 'X' {
			_, err = strconv.ParseUint(name[2:], 16, 32)
		} else {
			_, err = strconv.ParseUint(name[1:], 10, 32)
		}
		return name, err == nil
	}
	for _, e := range xmlEntities {
		if name == e {
			return name, true
		}
	}
	return name, false
}

// noteValue checks a shared-string reference against the defective strings.
func (s *xmlScanner) noteValue(v []byte) error {
	if s.sstMode || s.elem != "v" || s.cellType != "s" {
		return nil
	}
	idx, err := strconv.Atoi(string(bytes.TrimSpace(v)))
	if err != nil {
		return nil
	}
	if p, ok := s.probs.sst[idx]; ok {
		return s.problem(p.Kind, p.Detail)
	}
	return nil
}

// problem records a defect of the current cell (or shared string).
func (s *xmlScanner) problem(kind error, detail string) error {
	if s.sstMode {
		if _, ok := s.probs.sst[s.si]; !ok {
			s.probs.sst[s.si] = Problem{Kind: kind, Detail: detail}
			return s.probs.count()
		}
		return nil
	}
	if len(s.probs.rows[s.row]) >= 20 {
		return nil // the row is invalid already; the first problems explain it
	}
	s.probs.rows[s.row] = append(s.probs.rows[s.row], Problem{Kind: kind, Col: s.col, Detail: detail})
	return s.probs.count()
}
