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
	in      *sliceReader
	out     io.Writer // nil = check only
	lim     Limits
	sstMode bool
	probs   *cellProblems
	dirty   bool

	row, col  int
	shared    bool // the current cell's value is a shared-string index (t="s")
	inCell    bool
	elem      byte // innermost text-bearing element: 'v', 't' or 'f'; 0 outside them
	cellText  int  // text bytes of the current cell (or shared string)
	rowText   int  // text bytes of the current row
	rowFull   bool // rowText passed MaxRecord
	si        int  // shared string index
	skipDepth int  // > 0 while dropping an element
	drop      bool // the start tag being handled is dropped
	// Buffers reused from token to token, so that a clean sheet costs no
	// allocation per cell: text or tags longer than the reader's buffer, and
	// text with escaped entity references.
	text, tag, esc []byte
}

// scanBufSize is the read buffer: tags and text nodes that fit in it are
// handled in place, without a copy.
const scanBufSize = 64 << 10

func scanXML(in io.Reader, out io.Writer, lim Limits, sstMode bool, probs *cellProblems) (dirty bool, err error) {
	return newXMLScanner(in, out, lim, sstMode, probs, scanBufSize).run()
}

func newXMLScanner(in io.Reader, out io.Writer, lim Limits, sstMode bool, probs *cellProblems, bufSize int) *xmlScanner {
	return &xmlScanner{in: newSliceReader(in, bufSize), out: out, lim: lim, sstMode: sstMode, probs: probs, si: -1}
}

func (s *xmlScanner) run() (dirty bool, err error) {
	for {
		if s.dirty && s.out == nil {
			return true, nil // a check only needs to know; the repair pass finds everything
		}
		eof, err := s.readText()
		if err != nil {
			return s.dirty, err
		}
		if eof {
			return s.dirty, nil
		}
		if ok, err := s.shortTag(); ok || err != nil {
			if err != nil {
				return s.dirty, err
			}
			continue
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

var lt = []byte{'<'}

// writeTag writes a tag read without its '<'.
func (s *xmlScanner) writeTag(b []byte) error {
	if s.out == nil {
		return nil
	}
	if err := s.write(lt); err != nil {
		return err
	}
	return s.write(b)
}

// readText consumes text up to the next '<' (consumed too), keeping at most
// the bytes the context allows.
func (s *xmlScanner) readText() (eof bool, err error) {
	if s.in.skip('<') {
		return false, nil // no text between two tags, the common case
	}
	keep := s.textLimit()
	chunk, rerr := s.in.ReadSlice('<')
	if rerr == nil {
		// The whole text node lies in the reader's buffer: use it in place.
		end := len(chunk) - 1
		if s.skipDepth > 0 {
			return false, nil
		}
		return false, s.emitText(chunk[:min(end, max(keep, 0))], end)
	}
	s.text = s.text[:0]
	total := 0
	for {
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
			chunk, rerr = s.in.ReadSlice('<')
			continue
		case rerr == io.EOF:
			return true, s.emitText(s.text, total)
		case rerr != nil:
			return false, fmt.Errorf("%w: %v", ErrCorrupt, rerr)
		}
		return false, s.emitText(s.text, total)
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
	return (s.inCell || s.sstMode) && (s.elem == 'v' || s.elem == 't')
}

// emitText handles a text node of total bytes of which kept were kept.
func (s *xmlScanner) emitText(kept []byte, total int) error {
	if s.skipDepth > 0 || total == 0 {
		return nil
	}
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

// checkEntities escapes entity references XML does not predefine (excelize
// would turn the cell empty or stop reading) and records a row problem.
// Text whose references are all allowed is returned as it is.
func (s *xmlScanner) checkEntities(b []byte) ([]byte, error) {
	i := bytes.IndexByte(b, '&')
	for i >= 0 {
		if _, ok := entityAt(b[i+1:]); !ok {
			break
		}
		next := bytes.IndexByte(b[i+1:], '&')
		if next < 0 {
			return b, nil
		}
		i += 1 + next
	}
	if i < 0 {
		return b, nil
	}
	out := append(s.esc[:0], b[:i]...)
	for ; i < len(b); i++ {
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
	s.esc = out
	return out, nil
}

// entityAt reads the entity name after '&' and reports whether it is one of
// XML's own or a character reference.
func entityAt(b []byte) ([]byte, bool) {
	end := bytes.IndexByte(b[:min(len(b), 32)], ';')
	if end < 0 {
		return b[:min(len(b), 10)], false
	}
	name := b[:end]
	if len(name) > 1 && name[0] == '#' {
		if name[1] == 'x' || name[1] == 'X' {
			return name, isUint32(name[2:], 16)
		}
		return name, isUint32(name[1:], 10)
	}
	switch string(name) {
	case "lt", "gt", "amp", "quot", "apos":
		return name, true
	}
	return name, false
}

// isUint32 reports whether strconv.ParseUint(string(b), base, 32) would
// succeed (base 10 or 16: digits only, no sign, no underscores).
func isUint32(b []byte, base uint64) bool {
	if len(b) == 0 {
		return false
	}
	var n uint64
	for _, c := range b {
		var d uint64
		switch {
		case c >= '0' && c <= '9':
			d = uint64(c - '0')
		case base == 16 && c >= 'a' && c <= 'f':
			d = uint64(c-'a') + 10
		case base == 16 && c >= 'A' && c <= 'F':
			d = uint64(c-'A') + 10
		default:
			return false
		}
		if n = n*base + d; n > 1<<32-1 {
			return false
		}
	}
	return true
}

// atoi is strconv.Atoi without converting b to a string: an optional sign,
// then decimal digits.
func atoi(b []byte) (int, bool) {
	if len(b) >= 19 { // may overflow: let strconv decide (rare)
		n, err := strconv.Atoi(string(b))
		return n, err == nil
	}
	neg := len(b) > 0 && b[0] == '-'
	if len(b) > 0 && (b[0] == '+' || b[0] == '-') {
		b = b[1:]
	}
	if len(b) == 0 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// noteValue checks a shared-string reference against the defective strings.
func (s *xmlScanner) noteValue(v []byte) error {
	if s.sstMode || s.elem != 'v' || !s.shared || len(s.probs.sst) == 0 {
		return nil
	}
	idx, ok := atoi(bytes.TrimSpace(v))
	if !ok {
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
