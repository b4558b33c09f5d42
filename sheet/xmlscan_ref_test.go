package sheet

// The scanner as it was before it was made allocation-free, kept verbatim
// (renamed) as the reference of the differential fuzz test: the fast one
// must find the same defects and write the same repaired XML.

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"
)

// refMaxTag caps one XML tag (name and attributes) in bytes.
const refMaxTag = 64 << 10

// refScanner streams one worksheet (or the shared strings) token by token
// with bounded memory: text nodes are cut at the cell limit, unknown entity
// references escaped, cells and rows outside the grid dropped. With out set it
// writes the repaired XML; dirty says whether a repair was needed. Without
// out the scan stops at the first repair needed.
type refScanner struct {
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

func refScanXML(in io.Reader, out io.Writer, lim Limits, sstMode bool, probs *cellProblems) (dirty bool, err error) {
	s := &refScanner{in: bufio.NewReaderSize(in, 64<<10), out: out, lim: lim, sstMode: sstMode, probs: probs, si: -1}
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

func (s *refScanner) write(b []byte) error {
	if s.out == nil || s.skipDepth > 0 {
		return nil
	}
	_, err := s.out.Write(b)
	return err
}

// readText consumes text up to the next '<' (consumed too), keeping at most
// the bytes the context allows.
func (s *refScanner) readText() (eof bool, err error) {
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
func (s *refScanner) textLimit() int {
	if s.rowFull {
		return 0
	}
	if s.valueContext() {
		return max(s.lim.MaxCell-s.cellText, 0)
	}
	return s.lim.MaxCell
}

func (s *refScanner) valueContext() bool {
	return (s.inCell || s.sstMode) && (s.elem == "v" || s.elem == "t")
}

func (s *refScanner) emitText(total int) error {
	if s.skipDepth > 0 || total == 0 {
		return nil
	}
	kept := s.text
	if total > len(kept) {
		s.dirty = true
		kept = refSafeCut(kept)
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

// refSafeCut drops a partial entity reference or UTF-8 sequence at the end of b.
func refSafeCut(b []byte) []byte {
	if i := bytes.LastIndexByte(b, '&'); i >= 0 && len(b)-i <= 12 && bytes.IndexByte(b[i:], ';') < 0 {
		b = b[:i]
	}
	for len(b) > 0 && !utf8.Valid(b[max(len(b)-utf8.UTFMax, 0):]) {
		b = b[:len(b)-1]
	}
	return b
}

var refXMLEntities = []string{"lt", "gt", "amp", "quot", "apos"}

// checkEntities escapes entity references XML does not predefine (excelize
// would turn the cell empty or stop reading) and records a row problem.
func (s *refScanner) checkEntities(b []byte) ([]byte, error) {
	if bytes.IndexByte(b, '&') < 0 {
		return b, nil
	}
	var out []byte
	for i := 0; i < len(b); i++ {
		if b[i] != '&' {
			out = append(out, b[i])
			continue
		}
		name, ok := refEntityAt(b[i+1:])
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

// refEntityAt reads the entity name after '&' and reports whether it is one of
// XML's own or a character reference.
func refEntityAt(b []byte) (string, bool) {
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
	for _, e := range refXMLEntities {
		if name == e {
			return name, true
		}
	}
	return name, false
}

// noteValue checks a shared-string reference against the defective strings.
func (s *refScanner) noteValue(v []byte) error {
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
func (s *refScanner) problem(kind error, detail string) error {
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

// readTag reads a tag after its '<' through its '>'; comments and CDATA
// sections are read to their own terminators.
func (s *refScanner) readTag() ([]byte, error) {
	tag := []byte{'<'}
	for {
		chunk, err := s.in.ReadSlice('>')
		tag = append(tag, chunk...)
		if len(tag) > refMaxTag {
			return nil, fmt.Errorf("%w: an XML tag longer than %d bytes", ErrCorrupt, refMaxTag)
		}
		switch {
		case err == bufio.ErrBufferFull:
			continue
		case err == io.EOF:
			return nil, fmt.Errorf("%w: the XML ends inside a tag", ErrCorrupt)
		case err != nil:
			return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
		switch {
		case bytes.HasPrefix(tag, []byte("<!--")) && !bytes.HasSuffix(tag, []byte("-->")):
			continue
		case bytes.HasPrefix(tag, []byte("<![CDATA[")) && !bytes.HasSuffix(tag, []byte("]]>")):
			continue
		}
		return tag, nil
	}
}

func (s *refScanner) handleTag(tag []byte) error {
	switch {
	case bytes.HasPrefix(tag, []byte("<?")):
		return s.write(tag)
	case bytes.HasPrefix(tag, []byte("<!--")):
		return nil // comments carry no data
	case bytes.HasPrefix(tag, []byte("<![CDATA[")):
		return s.cdata(tag)
	case bytes.HasPrefix(tag, []byte("<!")):
		return fmt.Errorf("%w: the sheet XML declares a DTD (entity declarations are not allowed)", ErrCorrupt)
	case bytes.HasPrefix(tag, []byte("</")):
		return s.endTag(refLocalName(tag[2:]), tag)
	}
	selfClosing := bytes.HasSuffix(tag, []byte("/>"))
	if s.skipDepth > 0 {
		if !selfClosing {
			s.skipDepth++
		}
		return nil
	}
	name := refLocalName(tag[1:])
	s.drop = false
	if err := s.startTag(name, tag, selfClosing); err != nil || s.drop {
		return err
	}
	return s.write(tag)
}

// cdata treats a CDATA section as text of the current element.
func (s *refScanner) cdata(tag []byte) error {
	body := tag[len("<![CDATA[") : len(tag)-len("]]>")]
	if s.skipDepth > 0 {
		return nil
	}
	if limit := s.textLimit(); len(body) > limit {
		s.dirty = true
		body = refSafeCut(body[:limit])
		if s.valueContext() {
			if err := s.problem(ErrFieldTooLarge, fmt.Sprintf("cell has more than %d bytes; truncated", s.lim.MaxCell)); err != nil {
				return err
			}
		}
	}
	if s.valueContext() {
		s.cellText += len(body)
	}
	if err := s.write([]byte("<![CDATA[")); err != nil {
		return err
	}
	if err := s.write(body); err != nil {
		return err
	}
	return s.write([]byte("]]>"))
}

func (s *refScanner) endTag(name string, tag []byte) error {
	if s.skipDepth > 0 {
		s.skipDepth--
		return nil
	}
	switch name {
	case "c":
		s.inCell, s.elem = false, ""
	case "v", "t", "f":
		s.elem = ""
	}
	return s.write(tag)
}

func (s *refScanner) startTag(name string, tag []byte, selfClosing bool) error {
	switch {
	case name == "si" && s.sstMode:
		s.si++
		s.cellText = 0
	case name == "row" && !s.sstMode:
		return s.startRow(tag, selfClosing)
	case name == "c" && !s.sstMode:
		return s.startCell(tag, selfClosing)
	case name == "v" || name == "t" || name == "f":
		if !selfClosing {
			s.elem = name
		}
	}
	return nil
}

func (s *refScanner) startRow(tag []byte, selfClosing bool) error {
	s.rowText, s.rowFull = 0, false
	r, ok := refAttr(tag, "r")
	if !ok {
		s.row++
		return nil
	}
	n, err := strconv.Atoi(r)
	if err == nil && n >= 1 && n <= maxExcelRows {
		s.row = n
		return nil
	}
	// A row outside the grid: excelize would fail the whole sheet on it.
	s.dirty = true
	s.probs.orphans = append(s.probs.orphans, r)
	s.drop = true
	if !selfClosing {
		s.skipDepth = 1
	}
	return s.probs.count()
}

func (s *refScanner) startCell(tag []byte, selfClosing bool) error {
	s.cellType, _ = refAttr(tag, "t")
	s.cellText = 0
	ref, ok := refAttr(tag, "r")
	if !ok {
		s.col++
		s.inCell = !selfClosing
		return nil
	}
	col, row := refSplitRef(ref)
	if col >= 1 && col <= maxExcelCols && row >= 1 && row <= maxExcelRows {
		s.col = col
		s.inCell = !selfClosing
		return nil
	}
	s.dirty, s.drop = true, true
	if !selfClosing {
		s.skipDepth = 1
	}
	saved := s.col
	s.col = 0
	err := s.problem(ErrCellRef, fmt.Sprintf("cell %s is outside the sheet (last column XFD, last row %d); its value is ignored", quoteShort(ref), maxExcelRows))
	s.col = saved
	return err
}

// refSplitRef parses an A1 reference; 0 marks a part out of range or malformed.
func refSplitRef(ref string) (col, row int) {
	i := 0
	for i < len(ref) && ref[i] >= 'A' && ref[i] <= 'Z' {
		if col > maxExcelCols {
			return 0, 0
		}
		col = col*26 + int(ref[i]-'A'+1)
		i++
	}
	n, err := strconv.Atoi(ref[i:])
	if i == 0 || err != nil {
		return 0, 0
	}
	return col, n
}

// refLocalName returns an element's name without its namespace prefix.
func refLocalName(b []byte) string {
	end := bytes.IndexAny(b, " \t\r\n/>")
	if end < 0 {
		end = len(b)
	}
	name := b[:end]
	if i := bytes.IndexByte(name, ':'); i >= 0 {
		name = name[i+1:]
	}
	return string(name)
}

// attr returns an attribute value of a start tag (unescaped values are all
// the scanner needs: row numbers, cell references, cell types).
func refAttr(tag []byte, name string) (string, bool) {
	for i := 0; i < len(tag); {
		j := bytes.Index(tag[i:], []byte(name+"="))
		if j < 0 {
			return "", false
		}
		j += i
		i = j + len(name) + 1
		if j == 0 || !refIsSpace(tag[j-1]) || i >= len(tag) || (tag[i] != '"' && tag[i] != '\'') {
			continue
		}
		q := tag[i]
		end := bytes.IndexByte(tag[i+1:], q)
		if end < 0 {
			return "", false
		}
		return string(tag[i+1 : i+1+end]), true
	}
	return "", false
}

func refIsSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }
