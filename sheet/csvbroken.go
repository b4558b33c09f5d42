package sheet

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// recordBuffer sits directly under encoding/csv. It keeps the bytes of the
// record being read, so that a record with broken quotes can be split back
// into its physical lines, and fails once the record grows past max bytes or
// maxDelims delimiters, so a 2 GB line or an unclosed quote cannot exhaust
// memory. Blank lines between records (which csv skips) are not kept.
type recordBuffer struct {
	r          io.Reader
	max        int
	maxDelims  int
	delim      byte  // 0 = do not count delimiters (non-ASCII delimiter)
	base       int64 // input offset of buf[0]
	buf        []byte
	started    bool // buf holds a record's first byte (leading blank lines are trimmed until then)
	eof        bool // the source is exhausted
	blankLines int  // blank lines trimmed or dropped since the last record
	lines      int  // newlines handed to csv
	drops      []lineDrop
	shift      int // lines dropped before every line csv can still report
	delims     int
	err        error
}

func (b *recordBuffer) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if len(b.buf) > b.max {
		b.err = fmt.Errorf("%w: longer than %d bytes", ErrRecordTooLarge, b.max)
		return 0, b.err
	}
	if b.delims > b.maxDelims {
		b.err = fmt.Errorf("%w: more than %d cells", ErrRecordTooLarge, b.maxDelims)
		return 0, b.err
	}
	for {
		n, err := b.r.Read(p)
		b.eof = b.eof || err == io.EOF
		if !b.started && len(b.buf) == 0 {
			// Blank lines before a record never reach csv, which would spend
			// a call on each (200 MB of them took a minute); lineAt adds them
			// back to the line numbers csv reports.
			k, lines := leadingBlank(p[:n])
			if lines > 0 {
				b.drops = append(b.drops, lineDrop{after: b.lines, n: lines})
				b.blankLines += lines
				n = copy(p, p[k:n])
			}
			if n == 0 && err == nil {
				continue
			}
		}
		b.lines += bytes.Count(p[:n], []byte{'\n'})
		b.buf = append(b.buf, p[:n]...)
		if b.delim != 0 {
			b.delims += bytes.Count(p[:n], []byte{b.delim})
		}
		b.trimBlank()
		return n, err
	}
}

// leadingBlank returns the bytes and the number of the complete blank lines
// at the start of p.
func leadingBlank(p []byte) (k, lines int) {
	for k < len(p) {
		switch {
		case p[k] == '\n':
			k++
		case p[k] == '\r' && k+1 < len(p) && p[k+1] == '\n':
			k += 2
		default:
			return k, lines
		}
		lines++
	}
	return k, lines
}

// lineDrop records n blank lines removed after csv had seen after lines.
type lineDrop struct{ after, n int }

// lineAt turns a line number csv reports into the file's line number.
func (b *recordBuffer) lineAt(l int) int {
	real := l + b.shift
	for _, d := range b.drops {
		if d.after < l {
			real += d.n
		}
	}
	return real
}

// forget folds the drops before csv line l into shift: csv reports no line
// before l any more.
func (b *recordBuffer) forget(l int) {
	keep := b.drops[:0]
	for _, d := range b.drops {
		if d.after < l {
			b.shift += d.n
		} else {
			keep = append(keep, d)
		}
	}
	b.drops = keep
}

// trimBlank drops the blank lines before a record's first byte.
func (b *recordBuffer) trimBlank() {
	for !b.started && len(b.buf) > 0 {
		switch {
		case b.buf[0] == '\n':
			b.drop(1)
		case len(b.buf) >= 2 && b.buf[0] == '\r' && b.buf[1] == '\n':
			b.drop(2)
		case b.buf[0] == '\r' && len(b.buf) == 1:
			return // wait for the next byte
		default:
			b.started = true
		}
	}
}

func (b *recordBuffer) drop(n int) {
	b.buf = b.buf[n:]
	b.base += int64(n)
	b.blankLines++
}

// markRecord forgets the bytes up to offset, where csv's next record starts.
func (b *recordBuffer) markRecord(offset int64) {
	k := min(max(int(offset-b.base), 0), len(b.buf))
	rest := b.buf[k:]
	if cap(b.buf) > 4*len(rest)+64<<10 {
		rest = bytes.Clone(rest) // do not pin a huge record's array
	}
	b.buf, b.base, b.started, b.blankLines, b.delims = rest, offset, false, 0, 0
	if b.delim != 0 {
		b.delims = bytes.Count(rest, []byte{b.delim})
	}
	b.trimBlank()
}

// atEnd reports whether offset is the end of the input.
func (b *recordBuffer) atEnd(offset int64) bool { return b.eof && offset >= b.base+int64(len(b.buf)) }

// take returns the text of the record that ends at offset and forgets it.
func (b *recordBuffer) take(offset int64) string {
	k := min(max(int(offset-b.base), 0), len(b.buf))
	s := string(b.buf[:k])
	b.markRecord(offset)
	return s
}

// takeAll returns everything buffered (csv will not read again).
func (b *recordBuffer) takeAll() string {
	s := string(b.buf)
	b.buf = nil
	return s
}

// openQuote reports whether the buffered record's first line ends inside
// quotes: the record is an unclosed quoted cell, not an overlong line.
func (b *recordBuffer) openQuote() bool {
	first := b.buf
	if i := bytes.IndexByte(first, '\n'); i >= 0 {
		first = first[:i]
	}
	return bytes.Count(first, []byte{'"'})%2 == 1
}

// brokenLines returns the physical lines of a record with broken quotes, one
// invalid row each.
type brokenLines struct {
	lines    *bufio.Reader
	pe       *csv.ParseError
	quoteRow int  // row number of the quote's line
	line     int  // physical line number of the next line
	toEOF    bool // the rest of the file follows the quote's lines
	unclosed bool // the quote ran to the end of the file
}

// breakRecord switches Next to returning the lines of raw (and, when rest is
// not nil, every further line of the file) as invalid rows.
func (c *csvReader) breakRecord(startLine int, pe *csv.ParseError, raw string, rest io.Reader) {
	var src io.Reader = strings.NewReader(raw)
	if rest != nil {
		src = io.MultiReader(src, rest)
	}
	// Blank lines csv skipped before the record are rows in a spreadsheet view.
	c.num += max(startLine-1-c.lastLine, 0)
	c.broken = &brokenLines{lines: bufio.NewReaderSize(src, 64<<10), pe: pe, quoteRow: c.num + 1,
		line: startLine, toEOF: rest != nil}
}

func (c *csvReader) nextBroken() (Row, bool, error) {
	b := c.broken
	for {
		text, err := readLine(b.lines, c.lim.MaxRecord)
		if err == io.EOF {
			return Row{}, false, nil
		}
		if err != nil {
			return Row{}, false, c.fatal(err, b.line)
		}
		line := b.line
		b.line++
		c.num++
		var p Problem
		switch {
		case line == b.pe.StartLine:
			p = Problem{Kind: ErrMalformedQuote, Detail: b.quoteDetail()}
		case strings.TrimSpace(text) == "":
			continue
		default:
			p = Problem{Kind: ErrMalformedQuote, Detail: fmt.Sprintf(
				"line %d follows the broken quote on line %d (row %d) and may belong to it; fix that quote and re-import",
				line, b.pe.StartLine, b.quoteRow)}
		}
		cells, problems := shape(lenientSplit(text, c.delim), c.header, 0, c.lim.MaxCell, []Problem{p})
		return c.row(cells, problems, text), true, nil
	}
}

func (b *brokenLines) quoteDetail() string {
	switch {
	case b.toEOF || b.unclosed:
		return fmt.Sprintf("the quote on line %d is never closed, so the rest of the file would be one cell; "+
			"each following line is reported as an invalid row", b.pe.StartLine)
	case b.pe.Line > b.pe.StartLine:
		return fmt.Sprintf("malformed quotes from line %d to line %d (%v at line %d, byte %d); "+
			"each of these lines is reported as an invalid row", b.pe.StartLine, b.pe.Line, b.pe.Err, b.pe.Line, b.pe.Column)
	}
	return fmt.Sprintf("malformed quotes at line %d, byte %d: %v", b.pe.Line, b.pe.Column, b.pe.Err)
}

// readLine reads one line without its line break, failing past max bytes.
func readLine(r *bufio.Reader, maxLen int) (string, error) {
	var line []byte
	for {
		chunk, err := r.ReadSlice('\n')
		line = append(line, chunk...)
		if len(line) > maxLen {
			return "", fmt.Errorf("%w: longer than %d bytes", ErrRecordTooLarge, maxLen)
		}
		switch {
		case err == bufio.ErrBufferFull:
			continue
		case err == io.EOF && len(line) > 0:
			return string(line), nil
		case err != nil:
			return "", err
		}
		line = bytes.TrimSuffix(line[:len(line)-1], []byte{'\r'})
		return string(line), nil
	}
}

// lenientSplit parses one line with lazy quotes, for display in the report;
// when a stray quote swallows delimiters, splitting at every delimiter shows
// more of the line.
func lenientSplit(text string, delim rune) []string {
	plain := strings.Split(text, string(delim))
	cr := csv.NewReader(strings.NewReader(text))
	cr.Comma, cr.LazyQuotes, cr.FieldsPerRecord = delim, true, -1
	if rec, err := cr.Read(); err == nil && len(rec) >= len(plain) {
		return rec
	}
	return plain
}

// utf8Guard checks text sniffed as UTF-8 as it streams by. An invalid byte
// past the sniff window means the file mixes encodings: reading stops with an
// error naming the line rather than garbling or guessing.
type utf8Guard struct {
	r     io.Reader
	line  int
	carry [utf8.UTFMax]byte
	nc    int
	err   error
}

func (g *utf8Guard) Read(p []byte) (int, error) {
	for {
		if g.err != nil {
			return 0, g.err
		}
		if len(p) < 2*utf8.UTFMax {
			return g.r.Read(p) // csv always reads 4 KiB; not worth the bookkeeping
		}
		n := copy(p, g.carry[:g.nc])
		m, err := g.r.Read(p[n:])
		n += m
		keep := 0
		if err == nil {
			keep = incompleteTail(p[:n])
		}
		valid := p[:n-keep]
		if i := firstInvalidUTF8(valid); i >= 0 {
			line := g.line + bytes.Count(valid[:i], []byte{'\n'})
			g.err = mixedError(valid[i], line)
			if i == 0 {
				return 0, g.err
			}
			return i, nil
		}
		g.line += bytes.Count(valid, []byte{'\n'})
		g.nc = copy(g.carry[:], p[n-keep:n])
		if len(valid) > 0 || err != nil {
			return len(valid), err
		}
	}
}

// incompleteTail returns how many bytes at the end of b start a rune that is
// not complete yet.
func incompleteTail(b []byte) int {
	for i := 1; i < utf8.UTFMax && i <= len(b); i++ {
		if utf8.RuneStart(b[len(b)-i]) {
			if !utf8.FullRune(b[len(b)-i:]) {
				return i
			}
			return 0
		}
	}
	return 0
}

// firstInvalidUTF8 returns the offset of the first invalid UTF-8 sequence in b, or -1.
func firstInvalidUTF8(b []byte) int {
	if utf8.Valid(b) { // the common case; utf8.Valid takes ASCII 8 bytes at a time
		return -1
	}
	for i := 0; i < len(b); {
		if b[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size <= 1 {
			return i
		}
		i += size
	}
	return -1
}
