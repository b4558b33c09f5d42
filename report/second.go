package report

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/emporix-import/emporix-import/sheet"
)

// ColFile names the input file a row comes from; the report has it only when
// a run reads two files (customers and their addresses).
const ColFile = "import_file"

// second is the other input of a two-file run. Its rows share the report,
// where its columns follow the first file's (a column both files have is one
// report column), and have an errors file of their own, shaped like that input
// so that it can be fixed and re-imported with that input's mapping.
type second struct {
	file    string   // the input path; Result.File selects its rows
	label   string   // the report's import_file value of each file: base names
	first   string   //
	header  []string // its header as read
	union   []int    // per report source column: index into its cells, -1 = not its column
	keepErr []int
	src     sheet.Options
	errPath string
	errs    sink // nil until its first invalid/failed row
}

// WithSecondInput adds the rows of a second input file (the address file of a
// two-file import): header is its header as read, src how it was read (its
// errors file is written the same way, as CSV or XLSX after the file's own
// extension), name a word for its errors file: <report>.<name>.errors.<ext>.
func WithSecondInput(firstFile, file, name string, header []string, src sheet.Options) Option {
	return func(op *options) {
		op.second = &second{file: file, first: firstFile, label: name, header: append([]string(nil), header...), src: src}
	}
}

// SecondErrorsPath is the errors file of a second input of reportPath.
func SecondErrorsPath(reportPath, file, name string) string {
	ext := ".csv"
	switch strings.ToLower(filepath.Ext(file)) {
	case ".xlsx", ".xlsm":
		ext = ".xlsx"
	}
	return strings.TrimSuffix(reportPath, filepath.Ext(reportPath)) + "." + name + ".errors" + ext
}

// setupSecond extends the report's source columns by the second file's and
// removes a stale errors file of it.
func (w *Writer) setupSecond(sec *second) error {
	sec.errPath = SecondErrorsPath(w.path, sec.file, sec.label)
	sec.label = filepath.Base(sec.file)
	sec.first = filepath.Base(sec.first)
	if filepath.Ext(sec.errPath) == ".csv" {
		if err := checkCSVOptions(sec.src); err != nil {
			return fmt.Errorf("report %q: %w", sec.errPath, err)
		}
	}
	names := pick(w.header, w.keep, nil)
	for range names {
		sec.union = append(sec.union, -1)
	}
	for _, i := range keepColumns(sec.header, ownColumns) {
		if j := slices.Index(names, sec.header[i]); j >= 0 {
			sec.union[j] = i
			continue
		}
		names = append(names, sec.header[i])
		sec.union = append(sec.union, i)
	}
	sec.keepErr = keepColumns(sec.header, ownColumns)
	if err := os.Remove(sec.errPath); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("report: remove stale errors file: %w", err)
	}
	return nil
}

// secondHeader is the report's source header with a second input: the first
// file's columns, then the second's not among them, then import_file.
func (w *Writer) secondHeader() []string {
	names := pick(w.header, w.keep, nil)
	for j, i := range w.opts.second.union {
		if j >= len(names) {
			names = append(names, w.opts.second.header[i])
		}
	}
	return append(names, ColFile)
}

// sourceCells appends the report's source cells of r (and its import_file
// cell when the run reads two files).
func (w *Writer) sourceCells(row []string, r Result) []string {
	sec := w.opts.second
	if sec == nil {
		for _, i := range w.keep {
			row = append(row, cell(r.Cells, i))
		}
		return row
	}
	if r.File == sec.file {
		for _, i := range sec.union {
			row = append(row, cell(r.Cells, i))
		}
		return append(row, sec.label)
	}
	for j := range sec.union {
		if j < len(w.keep) {
			row = append(row, cell(r.Cells, w.keep[j]))
		} else {
			row = append(row, "")
		}
	}
	if r.Row == 0 {
		return append(row, "") // a mirror row comes from no input
	}
	return append(row, sec.first)
}

// writeSecondError writes an invalid or failed row of the second input to its errors file.
func (w *Writer) writeSecondError(r Result) error {
	sec := w.opts.second
	if sec.errs == nil {
		var err error
		header := pick(sec.header, sec.keepErr, ErrorsColumns)
		if filepath.Ext(sec.errPath) == ".csv" {
			sec.errs, err = newCSVSink(sec.errPath, sec.src, false, header)
		} else {
			sh := sec.src.Sheet
			if sh == "" {
				sh = "Sheet1"
			}
			sec.errs, err = newXLSXSink(sec.errPath, sh, sec.src.HeaderRow, false, header)
		}
		if err != nil {
			return err
		}
	}
	erow := make([]string, 0, len(sec.keepErr)+len(ErrorsColumns))
	for _, i := range sec.keepErr {
		erow = append(erow, cell(r.Cells, i))
	}
	erow = append(erow, strconv.Itoa(r.Row), r.Message)
	if err := sec.errs.writeRow(erow, ""); err != nil {
		return fmt.Errorf("report errors file %q: %w", sec.errPath, err)
	}
	return nil
}
