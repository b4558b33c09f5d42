package report

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"

	"github.com/emporix-import/emporix-import/sheet"
)

const utf8BOM = "\uFEFF"

// csvSink streams one CSV file: csv.Writer → 64 KiB bufio → [encoder] → file.
type csvSink struct {
	f      *os.File
	enc    io.WriteCloser   // encoder, nil for UTF-8
	cm     *charmap.Charmap // single-byte target: unencodable runes become '?'
	buf    *bufio.Writer
	cw     *csv.Writer
	width  int  // number of source columns (neutralised only in the report)
	report bool // report: neutralise every cell; errors file: only the appended ones
	cells  []string
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
	s := &csvSink{f: f, report: report, width: len(header) - len(appendedCols(report))}
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
	s.cw = csv.NewWriter(s.buf) // reuses s.buf: it is already large enough
	if o.Delimiter != 0 {
		s.cw.Comma = o.Delimiter
	}
	if err := s.writeRow(header, ""); err != nil {
		_ = f.Close()
		_ = os.Remove(path)
		return nil, err
	}
	return s, nil
}

// writeRaw writes a source line exactly as read, then the appended cells.
func (s *csvSink) writeRaw(raw string, appended []string) error {
	var tail strings.Builder
	cw := csv.NewWriter(&tail)
	cw.Comma = s.cw.Comma
	cells := make([]string, len(appended))
	for i, c := range appended {
		cells[i] = sheet.Neutralise(c)
	}
	if err := cw.Write(cells); err != nil {
		return err
	}
	cw.Flush()
	line := raw + string(s.cw.Comma) + tail.String()
	if s.cm != nil {
		line = s.encodable(line)
	}
	s.cw.Flush()
	if err := s.cw.Error(); err != nil {
		return err
	}
	_, err := s.buf.WriteString(line)
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
	row := s.cells[:0]
	for i, c := range cells {
		if s.report || i >= s.width {
			c = sheet.Neutralise(c)
		}
		if s.cm != nil {
			c = s.encodable(c)
		}
		row = append(row, c)
	}
	s.cells = row
	return s.cw.Write(row)
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
	s.cw.Flush()
	errs := []error{s.cw.Error()}
	if s.enc != nil {
		errs = append(errs, s.enc.Close())
	}
	errs = append(errs, s.f.Close())
	return errors.Join(errs...)
}
