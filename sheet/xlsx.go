package sheet

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/xuri/excelize/v2"
)

// xlsxReader streams a worksheet with excelize's Rows iterator, after the
// sheet XML was scanned (and if need be repaired) with bounded memory.
//
// Rows yields every row number in turn, including the ones missing from the
// sheet XML (as empty rows), so counting Next calls gives the row number a
// spreadsheet user sees.
type xlsxReader struct {
	name    string
	sheet   string
	lim     Limits
	f       *excelize.File
	rows    *excelize.Rows
	probs   *cellProblems
	header  []string
	num     int // row number of the last row read
	seq     int
	orphans int   // orphan rows returned
	err     error // sticky: io.EOF or a fatal *Error
}

func xlsxOptions(lim Limits) excelize.Options {
	return excelize.Options{UnzipSizeLimit: lim.MaxUnzip, UnzipXMLSizeLimit: lim.SpillXML}
}

func openXLSX(path string, opt Options, lim Limits) (Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &Error{File: path, Err: err}
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, &Error{File: path, Err: err}
	}
	return newXLSX(f, st.Size(), path, opt, lim)
}

// NewXLSX reads a workbook from r with the default Limits; name is used in
// errors. The whole input is read into memory first (a zip needs random
// access), so prefer Open for files.
func NewXLSX(r io.Reader, name string, opt Options) (Reader, error) {
	return Limits{}.NewXLSX(r, name, opt)
}

// NewXLSX reads a workbook from r with these limits.
func (l Limits) NewXLSX(r io.Reader, name string, opt Options) (Reader, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, &Error{File: name, Err: err}
	}
	return newXLSX(bytes.NewReader(b), int64(len(b)), name, opt, l.withDefaults())
}

// newXLSX checks the workbook before excelize opens it: an OLE file is a
// password-protected or legacy workbook; the zip must be sane; the sheet
// XML is scanned and, when it holds oversized or malformed cells, repaired
// into a copy so excelize never buffers them.
func newXLSX(ra io.ReaderAt, size int64, name string, opt Options, lim Limits) (Reader, error) {
	if opt.HeaderRow < 0 {
		return nil, &Error{File: name, Err: fmt.Errorf("%w: header row %d must be 1 or more", ErrHeader, opt.HeaderRow)}
	}
	if err := checkOLE(ra, size); err != nil {
		return nil, &Error{File: name, Err: err}
	}
	zr, err := zip.NewReader(ra, size)
	if err != nil {
		return nil, openError(name, err, lim)
	}
	if err := checkZip(zr, lim); err != nil {
		return nil, &Error{File: name, Err: err}
	}
	sheetName, part, err := chooseSheet(zr, opt.Sheet)
	if err != nil {
		return nil, &Error{File: name, Err: err}
	}
	probs, repaired, err := repairSheet(zr, part, lim)
	if err != nil {
		return nil, &Error{File: name, Sheet: sheetName, Err: err}
	}
	var src io.Reader = io.NewSectionReader(ra, 0, size)
	if repaired != nil {
		src = bytes.NewReader(repaired)
	}
	var f *excelize.File
	err = safely(func() (err error) {
		f, err = excelize.OpenReader(src, xlsxOptions(lim))
		return err
	})
	if err != nil {
		closeQuietly(f)
		return nil, openError(name, err, lim)
	}
	x := &xlsxReader{name: name, sheet: sheetName, lim: lim, f: f, probs: probs}
	if err := x.start(headerRow(opt)); err != nil {
		x.Close()
		return nil, err
	}
	return x, nil
}

func openError(name string, err error, lim Limits) error {
	switch {
	case strings.Contains(err.Error(), "unzip size exceeds"):
		return &Error{File: name, Err: fmt.Errorf("%w: more than the %d bytes allowed (zip bomb?)", ErrTooLarge, lim.MaxUnzip)}
	case errors.Is(err, zip.ErrFormat), errors.Is(err, zip.ErrAlgorithm), errors.Is(err, zip.ErrChecksum):
		return &Error{File: name, Err: fmt.Errorf("%w: not an xlsx workbook (%v); save it from Excel as .xlsx, or export it as .csv", ErrCorrupt, err)}
	case errors.Is(err, ErrCorrupt):
		return &Error{File: name, Err: err}
	}
	return &Error{File: name, Err: fmt.Errorf("opening workbook: %w", err)}
}

// chooseSheet picks the sheet (first, or by name as Excel matches it) and its part.
func chooseSheet(zr *zip.Reader, want string) (string, string, error) {
	names, parts, err := sheetParts(zr)
	if err != nil {
		return "", "", err
	}
	if len(names) == 0 {
		return "", "", fmt.Errorf("%w: the workbook has no sheets", ErrCorrupt)
	}
	if want == "" {
		return names[0], parts[0], nil
	}
	got := findSheet(names, want)
	if got == "" {
		return "", "", fmt.Errorf("%w %q; the workbook has %s", ErrUnknownSheet, want, quoteList(names))
	}
	return got, parts[slices.Index(names, got)], nil
}

func (x *xlsxReader) start(hr int) error {
	err := safely(func() (err error) {
		x.rows, err = x.f.Rows(x.sheet)
		return err
	})
	if err != nil {
		return &Error{File: x.name, Sheet: x.sheet, Err: err}
	}
	return x.readHeader(hr)
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
			return x.nextOrphan()
		}
		found := x.found(x.num)
		if isBlank(cols) && len(found) == 0 {
			continue
		}
		// excelize ends a row at its last non-empty cell: short rows are normal, not ragged.
		cells, problems := shape(cols, x.header, 0, x.lim.MaxCell, found)
		return x.row(x.num, cells, problems), nil
	}
}

func (x *xlsxReader) row(num int, cells []string, problems []Problem) Row {
	row := Row{Seq: x.seq, Num: num, Cells: cells}
	if len(problems) > 0 {
		row.Err = &RowError{File: x.name, Sheet: x.sheet, Row: num, Problems: problems}
	}
	x.seq++
	return row
}

// found returns the problems the XML scan recorded for a row, named after the header.
func (x *xlsxReader) found(num int) []Problem {
	ps := x.probs.rows[num]
	for i := range ps {
		if c := ps[i].Col; c >= 1 && c <= len(x.header) {
			ps[i].Name = x.header[c-1]
		}
	}
	return ps
}

// nextOrphan returns the rows whose number lies beyond the grid (dropped
// from the XML) after the others, so that no row goes unreported.
func (x *xlsxReader) nextOrphan() (Row, error) {
	if x.orphans >= len(x.probs.orphans) {
		x.err = io.EOF
		return Row{}, io.EOF
	}
	r := x.probs.orphans[x.orphans]
	x.orphans++
	num := max(x.num, maxExcelRows) + x.orphans
	p := Problem{Kind: ErrCellRef, Detail: fmt.Sprintf("row number %s is outside the sheet (last row %d); its cells are ignored", quoteShort(r), maxExcelRows)}
	return x.row(num, make([]string, len(x.header)), []Problem{p}), nil
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
