package report

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	stdunicode "unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"

	"github.com/emporix-import/emporix-import/sheet"
)

const utf8BOM = "\uFEFF"

// csvSink streams one CSV file: rows → 64 KiB bufio → [encoder] → file. Rows
// are written as encoding/csv.Writer writes them (see appendField), in a
// reused line buffer: no per-cell string for a neutralised cell.
type csvSink struct {
	f      *os.File
	enc    io.WriteCloser   // encoder, nil for UTF-8
	cm     *charmap.Charmap // single-byte target: unencodable runes become '?'
	buf    *bufio.Writer
	comma  rune
	width  int  // number of source columns (neutralised only in the report)
	report bool // report: neutralise every cell; errors file: only the appended ones
	line   []byte
}

func checkCSVOptions(o sheet.Options) error {
	if _, err := csvEncoding(o.Encoding); err != nil {
		return err
	}
	if d := o.Delimiter; d == '"' || d == '\r' || d == '\n' || d == utf8.RuneError || !utf8.ValidRune(d) {
		return fmt.Errorf("invalid CSV delimiter %q", d)
	}
	return nil
}

// csvEncoding resolves the input's encoding name; nil means UTF-8. A UTF-16
// file is written with a BOM whatever its byte order was.
func csvEncoding(name string) (encoding.Encoding, error) {
	if strings.TrimSpace(name) == "" {
		return nil, nil
	}
	canon, enc, err := sheet.LookupEncoding(name)
	switch {
	case err != nil:
		return nil, fmt.Errorf("CSV encoding: %w", err)
	case canon == sheet.EncUTF8:
		return nil, nil
	case canon == sheet.EncUTF16LE:
		return unicode.UTF16(unicode.LittleEndian, unicode.UseBOM), nil
	case canon == sheet.EncUTF16BE:
		return unicode.UTF16(unicode.BigEndian, unicode.UseBOM), nil
	}
	return enc, nil
}

// newCSVSink creates path and writes header. UTF-8 files start with a BOM so
// that Excel shows umlauts; the readers of this project strip it. Characters a
// legacy encoding cannot hold become '?' rather than failing the run.
func newCSVSink(path string, o sheet.Options, report bool, header []string) (*csvSink, error) {
	enc, err := csvEncoding(o.Encoding)
	if err != nil {
		return nil, err
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("create report: %w", err)
	}
	s := &csvSink{f: f, report: report, width: len(header) - len(appendedCols(report)), comma: ','}
	s.cm, _ = enc.(*charmap.Charmap)
	var out io.Writer = f
	if enc != nil {
		s.enc = transform.NewWriter(f, enc.NewEncoder())
		out = s.enc
	}
	s.buf = bufio.NewWriterSize(out, 64<<10)
	if enc == nil {
		_, _ = s.buf.WriteString(utf8BOM)
	}
	if o.Delimiter != 0 {
		s.comma = o.Delimiter
	}
	if err := s.writeRow(header, ""); err != nil {
		_ = f.Close()
		_ = os.Remove(path)
		return nil, err
	}
	return s, nil
}

// writeRaw writes a source line exactly as read, then the appended cells
// (neutralised, quoted as writeRow quotes them).
func (s *csvSink) writeRaw(raw string, appended []string) error {
	line := append(s.line[:0], raw...)
	for _, c := range appended {
		line = utf8.AppendRune(line, s.comma)
		prefix := ""
		if sheet.IsFormula(c) {
			prefix = "'"
		}
		line = appendField(line, s.comma, prefix, c)
	}
	s.line = append(line, '\n')
	out := string(s.line)
	if s.cm != nil {
		out = s.encodable(out)
	}
	_, err := s.buf.WriteString(out)
	return err
}

func appendedCols(report bool) []string {
	if report {
		return ReportColumns
	}
	return ErrorsColumns
}

// writeRow neutralises formulas: every cell of the report; in the errors file
// only the appended cells, since its source cells must stay exactly as read to
// re-import (they came from the user's own file, so they add no new risk).
func (s *csvSink) writeRow(cells []string, _ Status) error {
	line := s.line[:0]
	for i, c := range cells {
		if i > 0 {
			line = utf8.AppendRune(line, s.comma)
		}
		prefix := ""
		if s.report || i >= s.width {
			if sheet.IsFormula(c) {
				prefix = "'" // as sheet.Neutralise, written before the cell
			}
		}
		if s.cm != nil {
			c, prefix = s.encodable(prefix+c), ""
		}
		line = appendField(line, s.comma, prefix, c)
	}
	s.line = append(line, '\n')
	_, err := s.buf.Write(s.line)
	return err
}

// appendField appends the field prefix+f exactly as encoding/csv.Writer (with
// UseCRLF false) writes it: quoted when it is `\.`, holds a quote, CR, LF or
// the delimiter, or starts with a space; inside quotes a quote is doubled and
// all else is verbatim. prefix is "" or "'" (a neutralised formula).
func appendField(line []byte, comma rune, prefix, f string) []byte {
	if !fieldNeedsQuotes(comma, prefix, f) {
		return append(append(line, prefix...), f...)
	}
	line = append(append(line, '"'), prefix...)
	for {
		i := strings.IndexByte(f, '"')
		if i < 0 {
			break
		}
		line = append(append(line, f[:i+1]...), '"')
		f = f[i+1:]
	}
	return append(append(line, f...), '"')
}

// fieldNeedsQuotes is encoding/csv.Writer's rule for the field prefix+f.
func fieldNeedsQuotes(comma rune, prefix, f string) bool {
	switch {
	case prefix == "" && f == "":
		return false
	case prefix == "" && f == `\.`:
		return true
	case prefix != "" && comma == '\'':
		return true
	}
	if comma < utf8.RuneSelf {
		d := byte(comma)
		for i := 0; i < len(f); i++ {
			if c := f[i]; c == d || c <= '"' && (c == '"' || c == '\n' || c == '\r') {
				return true
			}
		}
	} else if strings.ContainsRune(f, comma) || strings.ContainsAny(f, "\"\r\n") {
		return true
	}
	if prefix != "" {
		return false // the apostrophe is no space
	}
	r, _ := utf8.DecodeRuneInString(f)
	return stdunicode.IsSpace(r)
}

// encodable replaces the runes the target charmap lacks with '?' (the x/text
// replacement would be the invisible SUB control character).
func (s *csvSink) encodable(c string) string {
	for _, r := range c {
		if _, ok := s.cm.EncodeRune(r); !ok {
			return strings.Map(func(r rune) rune {
				if _, ok := s.cm.EncodeRune(r); ok {
					return r
				}
				return '?'
			}, c)
		}
	}
	return c
}

func (s *csvSink) close(Summary) error {
	errs := []error{s.buf.Flush()}
	if s.enc != nil {
		errs = append(errs, s.enc.Close())
	}
	errs = append(errs, s.f.Close())
	return errors.Join(errs...)
}
