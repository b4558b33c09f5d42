package sheet

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"
)

// XLSXUnzipSizeLimit caps the total uncompressed size of a workbook; a larger
// one (a zip bomb, or simply too big) is refused with ErrTooLarge.
var XLSXUnzipSizeLimit int64 = 1 << 30

// XLSXUnzipXMLSizeLimit is the size above which excelize spills a worksheet or
// the shared strings to a temporary file and streams it, instead of holding
// it in memory. Lower means less memory; excelize's default is 16 MiB.
var XLSXUnzipXMLSizeLimit int64 = 16 << 20

// xlsxReader streams a worksheet with excelize's Rows iterator.
//
// Rows yields every row number in turn, including the ones missing from the
// sheet XML (as empty rows), so counting Next calls gives the row number a
// spreadsheet user sees.
type xlsxReader struct {
	name   string
	sheet  string
	f      *excelize.File
	rows   *excelize.Rows
	header []string
	num    int // row number of the last row read
	seq    int
	err    error // sticky: io.EOF or a fatal *Error
}

func xlsxOptions() excelize.Options {
	return excelize.Options{
		UnzipSizeLimit:    XLSXUnzipSizeLimit,
		UnzipXMLSizeLimit: min(XLSXUnzipXMLSizeLimit, XLSXUnzipSizeLimit),
	}
}

func openXLSX(path string, opt Options) (Reader, error) {
	var f *excelize.File
	err := safely(func() (err error) {
		f, err = excelize.OpenFile(path, xlsxOptions())
		return err
	})
	if err != nil {
		closeQuietly(f)
		return nil, openError(path, err)
	}
	return newXLSX(f, path, opt)
}

// NewXLSX reads a workbook from r; name is used in errors. The whole input is
// read into memory first (excelize needs random access), so prefer Open for files.
func NewXLSX(r io.Reader, name string, opt Options) (Reader, error) {
	var f *excelize.File
	err := safely(func() (err error) {
		f, err = excelize.OpenReader(r, xlsxOptions())
		return err
	})
	if err != nil {
		closeQuietly(f)
		return nil, openError(name, err)
	}
	return newXLSX(f, name, opt)
}

func openError(name string, err error) error {
	switch {
	case strings.Contains(err.Error(), "unzip size exceeds"):
		return &Error{File: name, Err: fmt.Errorf("%w: more than the %d bytes allowed (zip bomb?)", ErrTooLarge, XLSXUnzipSizeLimit)}
	case errors.Is(err, zip.ErrFormat), errors.Is(err, zip.ErrAlgorithm), errors.Is(err, zip.ErrChecksum):
		return &Error{File: name, Err: fmt.Errorf("%w: not an xlsx workbook: %v", ErrCorrupt, err)}
	case errors.Is(err, ErrCorrupt):
		return &Error{File: name, Err: err}
	}
	return &Error{File: name, Err: fmt.Errorf("opening workbook: %w", err)}
}

func newXLSX(f *excelize.File, name string, opt Options) (r Reader, err error) {
	x := &xlsxReader{name: name, f: f}
	defer func() {
		if err != nil {
			x.Close()
		}
	}()
	if opt.HeaderRow < 0 {
		return nil, &Error{File: name, Err: fmt.Errorf("%w: header row %d must be 1 or more", ErrHeader, opt.HeaderRow)}
	}
	var sheets []string
	if err := safely(func() error { sheets = f.GetSheetList(); return nil }); err != nil {
		return nil, &Error{File: name, Err: err}
	}
	if len(sheets) == 0 {
		return nil, &Error{File: name, Err: fmt.Errorf("%w: the workbook has no sheets", ErrCorrupt)}
	}
	x.sheet = sheets[0]
	if opt.Sheet != "" {
		x.sheet = findSheet(sheets, opt.Sheet)
		if x.sheet == "" {
			return nil, &Error{File: name, Err: fmt.Errorf("%w %q; the workbook has %s", ErrUnknownSheet, opt.Sheet, quoteList(sheets))}
		}
	}
	err = safely(func() (err error) {
		x.rows, err = f.Rows(x.sheet)
		return err
	})
	if err != nil {
		return nil, &Error{File: name, Sheet: x.sheet, Err: err}
	}
	if err := x.readHeader(headerRow(opt)); err != nil {
		return nil, err
	}
	return x, nil
}

// findSheet matches exactly, then case-insensitively as Excel does.
func findSheet(sheets []string, want string) string {
	for _, s := range sheets {
		if s == want {
			return s
		}
	}
	for _, s := range sheets {
		if strings.EqualFold(s, want) {
			return s
		}
	}
	return ""
}

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}

func (x *xlsxReader) readHeader(hr int) error {
	for {
		cols, ok, err := x.advance()
		if err != nil {
			return err
		}
		if !ok {
			if x.num == 0 {
				return &Error{File: x.name, Sheet: x.sheet, Err: fmt.Errorf("%w: the sheet is empty", ErrHeader)}
			}
			return &Error{File: x.name, Sheet: x.sheet, Err: fmt.Errorf("%w: header row %d not found, the sheet has %d rows", ErrHeader, hr, x.num)}
		}
		if x.num < hr {
			continue
		}
		h, err := makeHeader(cols)
		if err != nil {
			return &Error{File: x.name, Sheet: x.sheet, Row: x.num, Err: err}
		}
		x.header = h
		return nil
	}
}

// advance moves to the next row number; ok is false after the last row.
func (x *xlsxReader) advance() (cols []string, ok bool, err error) {
	err = safely(func() (err error) {
		if !x.rows.Next() {
			return x.rows.Error()
		}
		ok = true
		x.num++
		cols, err = x.rows.Columns()
		return err
	})
	if err != nil {
		if !errors.Is(err, ErrCorrupt) {
			err = fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
		return nil, false, &Error{File: x.name, Sheet: x.sheet, Row: x.num, Err: err}
	}
	return cols, ok, nil
}

func (x *xlsxReader) Header() []string { return x.header }

func (x *xlsxReader) Next() (Row, error) {
	if x.err != nil {
		return Row{}, x.err
	}
	for {
		cols, ok, err := x.advance()
		if err != nil {
			x.err = err
			return Row{}, err
		}
		if !ok {
			x.err = io.EOF
			return Row{}, io.EOF
		}
		if isBlank(cols) {
			continue
		}
		// excelize ends a row at its last non-empty cell: short rows are normal, not ragged.
		cells, problems := shape(cols, x.header, 0, nil)
		row := Row{Seq: x.seq, Num: x.num, Cells: cells}
		if len(problems) > 0 {
			row.Err = &RowError{File: x.name, Sheet: x.sheet, Row: x.num, Problems: problems}
		}
		x.seq++
		return row, nil
	}
}

// Close closes the row iterator and the workbook, which removes excelize's temporary files.
func (x *xlsxReader) Close() error {
	x.err = &Error{File: x.name, Sheet: x.sheet, Err: ErrClosed}
	var errs []error
	if x.rows != nil {
		// Rows.Close also reports a stored iteration error (already returned by Next).
		_ = safely(x.rows.Close)
		x.rows = nil
	}
	if x.f != nil {
		if err := safely(x.f.Close); err != nil {
			errs = append(errs, &Error{File: x.name, Err: err})
		}
		x.f = nil
	}
	return errors.Join(errs...)
}

func closeQuietly(f *excelize.File) {
	if f != nil {
		_ = safely(f.Close)
	}
}

// safely runs fn, turning a panic inside excelize (malformed workbooks have
// triggered some) into ErrCorrupt instead of crashing the import.
func safely(fn func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %v", ErrCorrupt, p)
		}
	}()
	return fn()
}
