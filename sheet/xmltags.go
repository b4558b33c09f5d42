package sheet

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
)

// readTag reads a tag after its '<' through its '>' and returns it without
// the '<'; comments and CDATA sections are read to their own terminators.
// A tag that fits in the reader's buffer is returned in place (valid until
// the next read), a longer one is gathered in s.tag.
func (s *xmlScanner) readTag() ([]byte, error) {
	tag, err := s.in.ReadSlice('>')
	copied := false
	for {
		if len(tag)+1 > maxTag {
			return nil, fmt.Errorf("%w: an XML tag longer than %d bytes", ErrCorrupt, maxTag)
		}
		switch {
		case err == bufio.ErrBufferFull:
		case err == io.EOF:
			return nil, fmt.Errorf("%w: the XML ends inside a tag", ErrCorrupt)
		case err != nil:
			return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
		case !unterminated(tag):
			return tag, nil
		}
		if !copied {
			s.tag, copied = append(s.tag[:0], tag...), true
		}
		var chunk []byte
		chunk, err = s.in.ReadSlice('>')
		s.tag = append(s.tag, chunk...)
		tag = s.tag
	}
}

// shortTag handles the next tag in place when it is one of the short tags
// most cells consist of (no prefix, no attributes: <v>, </v>, <t>, </t>,
// <is>, </is>, </c>), as handleTag would; ok is false when it is not.
func (s *xmlScanner) shortTag() (ok bool, err error) {
	b := s.in.buf[s.in.r:s.in.w]
	if s.skipDepth > 0 || len(b) < 4 {
		return false, nil
	}
	n := 0
	switch {
	case b[1] == '>' && (b[0] == 'v' || b[0] == 't' || b[0] == 'f'):
		s.elem, n = b[0], 2
	case b[0] == '/' && b[2] == '>' && (b[1] == 'v' || b[1] == 't' || b[1] == 'f'):
		s.elem, n = 0, 3
	case b[0] == '/' && b[1] == 'c' && b[2] == '>':
		s.inCell, s.elem, n = false, 0, 3
	case b[0] == 'i' && b[1] == 's' && b[2] == '>':
		n = 3
	case b[0] == '/' && b[1] == 'i' && b[2] == 's' && b[3] == '>':
		n = 4
	default:
		return false, nil
	}
	s.in.r += n
	return true, s.writeTag(b[:n])
}

// unterminated reports a comment or CDATA section cut at a '>' inside it.
func unterminated(tag []byte) bool {
	if len(tag) < 3 || tag[0] != '!' {
		return false
	}
	switch {
	case bytes.HasPrefix(tag, []byte("!--")):
		return !bytes.HasSuffix(tag, []byte("-->"))
	case bytes.HasPrefix(tag, []byte("![CDATA[")):
		return !bytes.HasSuffix(tag, []byte("]]>"))
	}
	return false
}

// handleTag handles a tag read without its '<'.
func (s *xmlScanner) handleTag(tag []byte) error {
	switch tag[0] {
	case '?':
		return s.writeTag(tag)
	case '!':
		switch {
		case bytes.HasPrefix(tag, []byte("!--")):
			return nil // comments carry no data
		case bytes.HasPrefix(tag, []byte("![CDATA[")):
			return s.cdata(tag)
		}
		return fmt.Errorf("%w: the sheet XML declares a DTD (entity declarations are not allowed)", ErrCorrupt)
	case '/':
		return s.endTag(localName(tag[1:]), tag)
	}
	selfClosing := len(tag) >= 2 && tag[len(tag)-2] == '/'
	if s.skipDepth > 0 {
		if !selfClosing {
			s.skipDepth++
		}
		return nil
	}
	s.drop = false
	if err := s.startTag(localName(tag), tag, selfClosing); err != nil || s.drop {
		return err
	}
	return s.writeTag(tag)
}

// cdata treats a CDATA section as text of the current element.
func (s *xmlScanner) cdata(tag []byte) error {
	body := tag[len("![CDATA[") : len(tag)-len("]]>")]
	if s.skipDepth > 0 {
		return nil
	}
	if limit := s.textLimit(); len(body) > limit {
		s.dirty = true
		body = safeCut(body[:limit])
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

func (s *xmlScanner) endTag(name, tag []byte) error {
	if s.skipDepth > 0 {
		s.skipDepth--
		return nil
	}
	switch string(name) {
	case "c":
		s.inCell, s.elem = false, 0
	case "v", "t", "f":
		s.elem = 0
	}
	return s.writeTag(tag)
}

func (s *xmlScanner) startTag(name, tag []byte, selfClosing bool) error {
	switch string(name) {
	case "si":
		if s.sstMode {
			s.si++
			s.cellText = 0
		}
	case "row":
		if !s.sstMode {
			return s.startRow(tag, selfClosing)
		}
	case "c":
		if !s.sstMode {
			return s.startCell(tag, selfClosing)
		}
	case "v", "t", "f":
		if !selfClosing {
			s.elem = name[0]
		}
	}
	return nil
}

func (s *xmlScanner) startRow(tag []byte, selfClosing bool) error {
	s.rowText, s.rowFull = 0, false
	r, ok := attr(tag, 'r')
	if !ok {
		s.row++
		return nil
	}
	n, ok := atoi(r)
	if ok && n >= 1 && n <= maxExcelRows {
		s.row = n
		return nil
	}
	// A row outside the grid: excelize would fail the whole sheet on it.
	s.dirty = true
	s.probs.orphans = append(s.probs.orphans, string(r))
	s.drop = true
	if !selfClosing {
		s.skipDepth = 1
	}
	return s.probs.count()
}

func (s *xmlScanner) startCell(tag []byte, selfClosing bool) error {
	ref, ok, t := cellAttrs(tag)
	s.shared = string(t) == "s"
	s.cellText = 0
	if !ok {
		s.col++
		s.inCell = !selfClosing
		return nil
	}
	col, row := splitRef(ref)
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
	err := s.problem(ErrCellRef, fmt.Sprintf("cell %s is outside the sheet (last column XFD, last row %d); its value is ignored", quoteShort(string(ref)), maxExcelRows))
	s.col = saved
	return err
}

// cellAttrs returns what attr returns for a cell's r and t attributes.
func cellAttrs(tag []byte) (ref []byte, refOK bool, typ []byte) {
	// Excel and excelize write r first: <c r="B2" s="1" t="s">. With no
	// white space in its value, no earlier t= can precede the rest.
	if len(tag) > 5 && string(tag[:5]) == `c r="` {
		if end := bytes.IndexByte(tag[5:], '"'); end >= 0 && !hasSpace(tag[5:5+end]) {
			typ, _ = attr(tag[5+end:], 't')
			return tag[5 : 5+end], true, typ
		}
	}
	ref, refOK = attr(tag, 'r')
	typ, _ = attr(tag, 't')
	return ref, refOK, typ
}

func hasSpace(b []byte) bool {
	for _, c := range b {
		if isSpace(c) {
			return true
		}
	}
	return false
}

// splitRef parses an A1 reference; 0 marks a part out of range or malformed.
func splitRef(ref []byte) (col, row int) {
	i := 0
	for i < len(ref) && ref[i] >= 'A' && ref[i] <= 'Z' {
		if col > maxExcelCols {
			return 0, 0
		}
		col = col*26 + int(ref[i]-'A'+1)
		i++
	}
	if i == 0 {
		return 0, 0
	}
	if digits := ref[i:]; len(digits) > 0 && len(digits) <= 7 {
		n := 0
		for _, c := range digits {
			if c < '0' || c > '9' {
				n = -1
				break
			}
			n = n*10 + int(c-'0')
		}
		if n >= 0 {
			return col, n
		}
	}
	n, ok := atoi(ref[i:]) // a sign, more digits, or not a number
	if !ok {
		return 0, 0
	}
	return col, n
}

// nameEnd marks the bytes that end an element name in a tag.
var nameEnd = [256]bool{' ': true, '\t': true, '\r': true, '\n': true, '/': true, '>': true}

// localName returns an element's name without its namespace prefix.
func localName(b []byte) []byte {
	start := -1 // index of the first ':'
	for i, c := range b {
		if nameEnd[c] {
			return b[start+1 : i]
		}
		if c == ':' && start < 0 {
			start = i
		}
	}
	return b[start+1:]
}

// attr returns the value of a one-letter attribute of a start tag: the
// first name=" or name=' after white space, wherever it lies (unescaped
// values are all the scanner needs: row numbers, cell references, cell
// types). The value lies in tag.
func attr(tag []byte, name byte) ([]byte, bool) {
	for e := bytes.IndexByte(tag, '='); e >= 0; {
		if e >= 2 && tag[e-1] == name && isSpace(tag[e-2]) && e+1 < len(tag) && (tag[e+1] == '"' || tag[e+1] == '\'') {
			end := bytes.IndexByte(tag[e+2:], tag[e+1])
			if end < 0 {
				return nil, false
			}
			return tag[e+2 : e+2+end], true
		}
		next := bytes.IndexByte(tag[e+1:], '=')
		if next < 0 {
			break
		}
		e += 1 + next
	}
	return nil, false
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }
