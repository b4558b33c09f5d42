package sheet

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"
)

// MaxRecord caps the bytes of one CSV record (one row, possibly several
// physical lines). Past it reading fails: the file is not a CSV or a quote is
// never closed, and buffering on would exhaust memory.
var MaxRecord = 16 << 20

// MaxRecordFields caps the delimiters in one record, for the same reason: a
// long run of delimiters costs encoding/csv ~40 bytes each.
var MaxRecordFields = 1 << 16

// csvReader reads CSV with encoding/csv (gocsv adds nothing for []string rows).
//
// Row numbers count records as a spreadsheet shows them: a cell with line
// breaks is one row, and a blank line, which encoding/csv skips, still counts
// as one (empty) row, as it does when Excel or LibreOffice open the file.
type csvReader struct {
	name     string
	file     io.Closer // nil for NewCSV
	cr       *csv.Reader
	bounded  *boundedReader
	header   []string
	rawWidth int // cell count of the header record, before dropping trailing empty names
	num      int // row number of the last record read
	lastLine int // physical line the last record ended on
	seq      int
	err      error // sticky: io.EOF or a fatal *Error
	enc      string
	delim    rune
}

// CSVInfo is implemented by CSV readers: what was sniffed (or given).
type CSVInfo interface {
	Encoding() string // utf-8, utf-16le, utf-16be, windows-1252 or iso-8859-1
	Delimiter() rune
}

func (c *csvReader) Encoding() string { return c.enc }
func (c *csvReader) Delimiter() rune  { return c.delim }

func openCSV(path string, opt Options) (Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &Error{File: path, Err: err}
	}
	r, err := newCSV(f, path, opt)
	if err != nil {
		f.Close()
		return nil, err
	}
	r.file = f
	return r, nil
}

// NewCSV reads CSV from r; name is used in errors. Close does not close r.
func NewCSV(r io.Reader, name string, opt Options) (Reader, error) {
	c, err := newCSV(r, name, opt)
	if err != nil {
		return nil, err
	}
	return c, nil
}

func newCSV(r io.Reader, name string, opt Options) (*csvReader, error) {
	if opt.HeaderRow < 0 {
		return nil, &Error{File: name, Err: fmt.Errorf("%w: header row %d must be 1 or more", ErrHeader, opt.HeaderRow)}
	}
	if opt.Delimiter != 0 && !validDelimiter(opt.Delimiter) {
		return nil, &Error{File: name, Err: fmt.Errorf("%w %q", ErrBadDelimiter, opt.Delimiter)}
	}
	raw := bufio.NewReaderSize(r, sniffSize)
	head, err := raw.Peek(sniffSize)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return nil, &Error{File: name, Err: err}
	}
	enc, bomLen, err := sniffEncoding(head, opt.Encoding)
	if err != nil {
		return nil, &Error{File: name, Err: err}
	}
	if _, err := raw.Discard(bomLen); err != nil {
		return nil, &Error{File: name, Err: err}
	}
	text := raw
	if dec := decoder(enc); dec != nil {
		text = bufio.NewReaderSize(dec.Reader(raw), sniffSize)
	}
	head, err = text.Peek(sniffSize)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return nil, &Error{File: name, Err: fmt.Errorf("decoding as %s: %w", enc, err)}
	}
	truncated := len(head) == sniffSize
	var src io.Reader = text
	if bytes.IndexByte(head, '\n') < 0 && bytes.IndexByte(head, '\r') >= 0 {
		// Classic Mac line endings (old Excel for Mac exports): encoding/csv only splits on \n.
		src = crToLF{text}
		head = bytes.ReplaceAll(head, []byte{'\r'}, []byte{'\n'})
	}
	delim := opt.Delimiter
	if delim == 0 {
		delim = sniffDelimiter(head, headerRow(opt), truncated)
	}

	c := &csvReader{name: name, enc: enc, delim: delim}
	c.bounded = &boundedReader{r: src}
	if delim < utf8.RuneSelf {
		c.bounded.delim = byte(delim)
	}
	c.cr = csv.NewReader(c.bounded)
	c.cr.Comma = delim
	c.cr.FieldsPerRecord = -1
	c.cr.ReuseRecord = true
	if err := c.readHeader(headerRow(opt)); err != nil {
		return nil, err
	}
	return c, nil
}

func validDelimiter(r rune) bool {
	return r != '"' && r != '\r' && r != '\n' && utf8.ValidRune(r) && r != utf8.RuneError
}

func (c *csvReader) readHeader(hr int) error {
	for {
		rec, pe, err := c.read()
		if err == io.EOF {
			if c.num == 0 {
				return &Error{File: c.name, Err: fmt.Errorf("%w: file is empty", ErrHeader)}
			}
			return &Error{File: c.name, Err: fmt.Errorf("%w: header row %d not found, the file has %d rows", ErrHeader, hr, c.num)}
		}
		if err != nil {
			return err
		}
		if c.num < hr {
			continue // title lines above the header
		}
		if c.num > hr {
			return &Error{File: c.name, Row: hr, Err: fmt.Errorf("%w: header row is empty", ErrHeader)}
		}
		if pe != nil {
			return &Error{File: c.name, Row: hr, Line: pe.Line, Err: fmt.Errorf("%w in header: %v", ErrMalformedQuote, pe.Err)}
		}
		h, err := makeHeader(rec)
		if err != nil {
			return &Error{File: c.name, Row: hr, Err: err}
		}
		c.header, c.rawWidth = h, len(rec)
		return nil
	}
}

// read reads the next record and advances the row number. pe is set for a
// malformed record that encoding/csv skipped past (reading can go on); err is
// io.EOF or fatal.
func (c *csvReader) read() (rec []string, pe *csv.ParseError, err error) {
	rec, err = c.cr.Read()
	var start, end int
	switch {
	case err == nil:
		start, _ = c.cr.FieldPos(0)
		last, _ := c.cr.FieldPos(len(rec) - 1)
		end = last + strings.Count(rec[len(rec)-1], "\n")
	case errors.As(err, &pe):
		start, end = pe.StartLine, pe.Line
		err = nil
	case err == io.EOF:
		return nil, nil, err
	case errors.Is(err, ErrRecordTooLarge):
		return nil, nil, &Error{File: c.name, Err: fmt.Errorf("record starting after line %d: %w (unclosed quote, or not a CSV file?)", c.lastLine, err)}
	default:
		return nil, nil, &Error{File: c.name, Err: fmt.Errorf("reading after line %d: %w", c.lastLine, err)}
	}
	c.bounded.markRecord(c.cr.InputOffset())
	// Each physical line csv skipped as blank is a row in a spreadsheet view.
	c.num += max(start-c.lastLine, 1)
	c.lastLine = max(end, start)
	return rec, pe, nil
}

func (c *csvReader) Header() []string { return c.header }

func (c *csvReader) Next() (Row, error) {
	if c.err != nil {
		return Row{}, c.err
	}
	for {
		rec, pe, err := c.read()
		if err != nil {
			c.err = err
			return Row{}, err
		}
		var problems []Problem
		rawWidth := c.rawWidth
		if pe != nil {
			problems = append(problems, Problem{Kind: ErrMalformedQuote,
				Detail: fmt.Sprintf("malformed quotes at line %d, byte %d: %v; the row may be cut short", pe.Line, pe.Column, pe.Err)})
			rawWidth = 0 // the cell count of a broken record says nothing more
		} else if isBlank(rec) {
			continue
		}
		cells, problems := shape(rec, c.header, rawWidth, problems)
		row := Row{Seq: c.seq, Num: c.num, Cells: cells}
		if len(problems) > 0 {
			row.Err = &RowError{File: c.name, Row: c.num, Problems: problems}
		}
		c.seq++
		return row, nil
	}
}

func (c *csvReader) Close() error {
	c.err = &Error{File: c.name, Err: ErrClosed}
	if c.file == nil {
		return nil
	}
	f := c.file
	c.file = nil
	return f.Close()
}

// boundedReader sits directly under encoding/csv and fails once the record
// being read grows past MaxRecord bytes or MaxRecordFields delimiters, so a
// 2 GB line or an unclosed quote cannot exhaust memory.
type boundedReader struct {
	r         io.Reader
	delim     byte  // 0 = do not count delimiters (non-ASCII delimiter)
	delivered int64 // bytes handed to csv
	mark      int64 // csv's input offset after the last record
	delims    int   // delimiters handed out since mark (approximate by csv's 4 KB buffer)
	err       error
}

func (b *boundedReader) markRecord(offset int64) {
	b.mark, b.delims = offset, 0
}

func (b *boundedReader) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if b.delivered-b.mark > int64(MaxRecord) {
		b.err = fmt.Errorf("%w: longer than %d bytes", ErrRecordTooLarge, MaxRecord)
		return 0, b.err
	}
	if b.delims > MaxRecordFields {
		b.err = fmt.Errorf("%w: more than %d cells", ErrRecordTooLarge, MaxRecordFields)
		return 0, b.err
	}
	n, err := b.r.Read(p)
	b.delivered += int64(n)
	if b.delim != 0 {
		b.delims += bytes.Count(p[:n], []byte{b.delim})
	}
	return n, err
}

// crToLF turns lone carriage returns into newlines.
type crToLF struct{ r io.Reader }

func (c crToLF) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	for i := range p[:n] {
		if p[i] == '\r' {
			p[i] = '\n'
		}
	}
	return n, err
}
