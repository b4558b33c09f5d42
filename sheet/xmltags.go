package sheet

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strconv"
)

// readTag reads a tag after its '<' through its '>'; comments and CDATA
// sections are read to their own terminators.
func (s *xmlScanner) readTag() ([]byte, error) {
	tag := []byte{'<'}
	for {
		chunk, err := s.in.ReadSlice('>')
		tag = append(tag, chunk...)
		if len(tag) > maxTag {
			return nil, fmt.Errorf("%w: an XML tag longer than %d bytes", ErrCorrupt, maxTag)
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

func (s *xmlScanner) handleTag(tag []byte) error {
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
		return s.endTag(localName(tag[2:]), tag)
	}
	selfClosing := bytes.HasSuffix(tag, []byte("/>"))
	if s.skipDepth > 0 {
		if !selfClosing {
			s.skipDepth++
		}
		return nil
	}
	name := localName(tag[1:])
	s.drop = false
	if err := s.startTag(name, tag, selfClosing); err != nil || s.drop {
		return err
	}
	return s.write(tag)
}

// cdata treats a CDATA section as text of the current element.
func (s *xmlScanner) cdata(tag []byte) error {
	body := tag[len("<![CDATA[") : len(tag)-len("]]>")]
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

func (s *xmlScanner) endTag(name string, tag []byte) error {
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

func (s *xmlScanner) startTag(name string, tag []byte, selfClosing bool) error {
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

func (s *xmlScanner) startRow(tag []byte, selfClosing bool) error {
	s.rowText, s.rowFull = 0, false
	r, ok := attr(tag, "r")
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

func (s *xmlScanner) startCell(tag []byte, selfClosing bool) error {
	s.cellType, _ = attr(tag, "t")
	s.cellText = 0
	ref, ok := attr(tag, "r")
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
	err := s.problem(ErrCellRef, fmt.Sprintf("cell %s is outside the sheet (last column XFD, last row %d); its value is ignored", quoteShort(ref), maxExcelRows))
	s.col = saved
	return err
}

// splitRef parses an A1 reference; 0 marks a part out of range or malformed.
func splitRef(ref string) (col, row int) {
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

// localName returns an element's name without its namespace prefix.
func localName(b []byte) string {
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
func attr(tag []byte, name string) (string, bool) {
	for i := 0; i < len(tag); {
		j := bytes.Index(tag[i:], []byte(name+"="))
		if j < 0 {
			return "", false
		}
		j += i
		i = j + len(name) + 1
		if j == 0 || !isSpace(tag[j-1]) || i >= len(tag) || (tag[i] != '"' && tag[i] != '\'') {
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

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }
