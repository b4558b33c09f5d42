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

// csvReader reads CSV with encoding/csv (gocsv adds nothing for []string rows).
//
// Row numbers count records as a spreadsheet shows them: a cell with line
// breaks is one row, and a blank line, which encoding/csv skips, still counts
// as one (empty) row, as it does when Excel or LibreOffice open the file.
//
// A record with broken quotes is not trusted: each physical line it spans
// becomes a row of its own, reported invalid with its raw text, so no line of
// the file disappears into a quoted cell.
type csvReader struct {
	name     string
	lim      Limits
	file     io.Closer // nil for NewCSV
	cr       *csv.Reader
	buf      *recordBuffer
	header   []string
	rawWidth int // cell count of the header record, before dropping trailing empty names
	num      int // row number of the last record read
	lastLine int // physical line the last record ended on
	seq      int
	err      error // sticky: io.EOF or a fatal *Error
	enc      string
	delim    rune
	broken   *brokenLines // non-nil while returning the lines of a broken record
}

// CSVInfo is implemented by CSV readers: what was sniffed (or given).
type CSVInfo interface {
	Encoding() string // canonical name: utf-8, utf-16le, utf-16be, windows-1252, ...
	Delimiter() rune
}

func (c *csvReader) Encoding() string { return c.enc }
func (c *csvReader) Delimiter() rune  { return c.delim }

func openCSV(path string, opt Options, lim Limits) (Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &Error{File: path, Err: err}
	}
	r, err := newCSV(f, path, opt, lim)
	if err != nil {
		f.Close()
		return nil, err
	}
	r.file = f
	return r, nil
}

// NewCSV reads CSV from r with the default Limits; name is used in errors.
// Close does not close r.
func NewCSV(r io.Reader, name string, opt Options) (Reader, error) {
	return Limits{}.NewCSV(r, name, opt)
}

// NewCSV reads CSV from r with these limits; name is used in errors.
func (l Limits) NewCSV(r io.Reader, name string, opt Options) (Reader, error) {
	c, err := newCSV(r, name, opt, l.withDefaults())
	if err != nil {
		return nil, err
	}
	return c, nil
}

func newCSV(r io.Reader, name string, opt Options, lim Limits) (*csvReader, error) {
	if opt.HeaderRow < 0 {
		return nil, &Error{File: name, Err: fmt.Errorf("%w: header row %d must be 1 or more", ErrHeader, opt.HeaderRow)}
	}
	if opt.Delimiter != 0 && !validDelimiter(opt.Delimiter) {
		return nil, &Error{File: name, Err: fmt.Errorf("%w %q", ErrBadDelimiter, opt.Delimiter)}
	}
	src, te, err := decodeCSV(r, opt.Encoding)
	if err != nil {
		var fe *Error
		if errors.As(err, &fe) {
			fe.File = name
			return nil, fe
		}
		return nil, &Error{File: name, Err: err}
	}
	head, err := src.Peek(sniffSize)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return nil, &Error{File: name, Err: fmt.Errorf("decoding as %s: %w", te.name, err)}
	}
	truncated := len(head) == sniffSize
	var text io.Reader = src
	if bytes.IndexByte(head, '\n') < 0 && bytes.IndexByte(head, '\r') >= 0 {
		// Classic Mac line endings (old Excel for Mac exports): encoding/csv only splits on \n.
		text = crToLF{src}
		head = bytes.ReplaceAll(head, []byte{'\r'}, []byte{'\n'})
	}
	delim := opt.Delimiter
	if delim == 0 {
		delim = sniffDelimiter(head, headerRow(opt), truncated)
	}
	if te.strict {
		text = &utf8Guard{r: text, line: 1}
	}
	c := &csvReader{name: name, lim: lim, enc: te.name, delim: delim}
	c.buf = &recordBuffer{r: text, max: lim.MaxRecord, maxDelims: lim.MaxRecordCells}
	if delim < utf8.RuneSelf {
		c.buf.delim = byte(delim)
	}
	c.cr = csv.NewReader(c.buf)
	c.cr.Comma = delim
	c.cr.FieldsPerRecord = -1
	c.cr.ReuseRecord = true
	if err := c.readHeader(headerRow(opt)); err != nil {
		return nil, err
	}
	return c, nil
}

// decodeCSV sniffs (or applies) the encoding and returns the decoded text.
func decodeCSV(r io.Reader, override string) (*bufio.Reader, textEncoding, error) {
	raw := bufio.NewReaderSize(r, sniffSize)
	head, err := raw.Peek(sniffSize)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return nil, textEncoding{}, err
	}
	te, err := sniffEncoding(head, override)
	if err != nil {
		return nil, te, err
	}
	if _, err := raw.Discard(te.bomLen); err != nil {
		return nil, te, err
	}
	if te.enc == nil {
		return raw, te, nil
	}
	return bufio.NewReaderSize(te.enc.NewDecoder().Reader(raw), sniffSize), te, nil
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
		if pe != nil {
			return &Error{File: c.name, Row: c.num + 1, Line: pe.StartLine, Err: fmt.Errorf("%w in the header or above it: %v", ErrMalformedQuote, pe.Err)}
		}
		if c.num < hr {
			continue // title lines above the header
		}
		if c.num > hr {
			return &Error{File: c.name, Row: hr, Err: fmt.Errorf("%w: header row is empty", ErrHeader)}
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
// malformed record: the row number is then not advanced, and c.broken holds
// its lines; err is io.EOF or fatal.
func (c *csvReader) read() (rec []string, pe *csv.ParseError, err error) {
	startLine := c.lastLine + 1 + c.buf.blankLines
	rec, err = c.cr.Read()
	var start, end int
	var malformed bool
	if err != nil { // AsType rather than As(&pe): pe would move to the heap on every read
		pe, malformed = errors.AsType[*csv.ParseError](err)
	}
	switch {
	case err == nil:
		first, _ := c.cr.FieldPos(0)
		last, _ := c.cr.FieldPos(len(rec) - 1)
		start, end = c.buf.lineAt(first), c.buf.lineAt(last)+strings.Count(rec[len(rec)-1], "\n")
		c.buf.forget(last)
	case malformed:
		raw := *pe
		pe = &csv.ParseError{StartLine: c.buf.lineAt(raw.StartLine), Line: c.buf.lineAt(raw.Line), Column: raw.Column, Err: raw.Err}
		c.buf.forget(raw.Line)
		unclosed := pe.Line > pe.StartLine && c.buf.atEnd(c.cr.InputOffset())
		c.breakRecord(pe.StartLine, pe, c.buf.take(c.cr.InputOffset()), nil)
		c.broken.unclosed = unclosed
		c.lastLine = pe.Line
		return nil, pe, nil
	case err == io.EOF:
		return nil, nil, err
	case errors.Is(err, ErrRecordTooLarge) && c.buf.openQuote():
		// An unclosed quote: every line after it would be one cell. Report
		// each line from the quote on as a row of its own instead.
		pe = &csv.ParseError{StartLine: startLine, Line: startLine, Err: csv.ErrQuote}
		c.breakRecord(startLine, pe, c.buf.takeAll(), c.buf.r)
		c.err = io.EOF // the rest of the file is read line by line
		return nil, pe, nil
	default:
		return nil, nil, c.fatal(err, startLine)
	}
	c.buf.markRecord(c.cr.InputOffset())
	// Each physical line csv skipped as blank is a row in a spreadsheet view.
	c.num += max(start-c.lastLine, 1)
	c.lastLine = max(end, start)
	return rec, nil, nil
}

func (c *csvReader) fatal(err error, startLine int) error {
	var fe *Error
	switch {
	case errors.As(err, &fe):
		fe.File = c.name
		return fe
	case errors.Is(err, ErrRecordTooLarge):
		return &Error{File: c.name, Line: startLine, Err: fmt.Errorf("%w (not a CSV file?)", err)}
	}
	return &Error{File: c.name, Err: fmt.Errorf("reading after line %d: %w", c.lastLine, err)}
}

func (c *csvReader) Header() []string { return c.header }

func (c *csvReader) Next() (Row, error) {
	for {
		if c.broken != nil {
			row, ok, err := c.nextBroken()
			if err != nil {
				c.err, c.broken = err, nil
				return Row{}, err
			}
			if ok {
				return row, nil
			}
			c.broken = nil
			continue
		}
		if c.err != nil {
			return Row{}, c.err
		}
		rec, pe, err := c.read()
		if err != nil {
			c.err = err
			return Row{}, err
		}
		if pe != nil || isBlank(rec) {
			continue // a broken record's lines come from c.broken
		}
		cells, problems := shape(rec, c.header, c.rawWidth, c.lim.MaxCell, nil)
		return c.row(cells, problems, ""), nil
	}
}

func (c *csvReader) row(cells []string, problems []Problem, raw string) Row {
	row := Row{Seq: c.seq, Num: c.num, Cells: cells, Raw: raw}
	if len(problems) > 0 {
		row.Err = &RowError{File: c.name, Row: c.num, Problems: problems}
	}
	c.seq++
	return row
}

func (c *csvReader) Close() error {
	c.err = &Error{File: c.name, Err: ErrClosed}
	c.broken = nil
	if c.file == nil {
		return nil
	}
	f := c.file
	c.file = nil
	return f.Close()
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
