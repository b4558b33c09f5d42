package report

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/xuri/excelize/v2"

	"github.com/emporix-import/emporix-import/sheet"
)

// Report columns appended after the source columns. Their names are part of
// the tool's contract: scripts read them.
const (
	ColRow            = "import_row"
	ColStatus         = "import_status"
	ColCustomerNumber = "import_customer_number"
	ColAddressIDs     = "import_address_ids"
	ColChanges        = "import_changes"
	ColMessage        = "import_message"
	// ColSourceRow, in the errors file, holds each row's number in the
	// original input; a run reading a file with this column numbers its rows by it.
	ColSourceRow = "import_source_row"
)

// ReportColumns are the columns the report appends, in order.
var ReportColumns = []string{ColRow, ColStatus, ColCustomerNumber, ColAddressIDs, ColChanges, ColMessage}

// ErrorsColumns are the columns the errors file appends after the source columns.
var ErrorsColumns = []string{ColSourceRow, ColMessage}

// ownColumns are the columns this tool appends to its files. A source column
// named like one of them comes from a report or errors file being re-imported:
// it is dropped, not repeated, so re-importing never grows the columns.
var ownColumns = []string{ColRow, ColStatus, ColCustomerNumber, ColAddressIDs, ColChanges, ColMessage, ColSourceRow}

// ErrClosed is returned by Write and Close after Close.
var ErrClosed = errors.New("report: writer is closed")

// DuplicateError reports a second Write for the same Seq.
type DuplicateError struct{ Seq int }

func (e *DuplicateError) Error() string {
	return fmt.Sprintf("report: result for seq %d written twice", e.Seq)
}

// MissingError reports, at Close, the Seqs below the highest received that never arrived.
type MissingError struct {
	Seqs  []int // the first few missing Seqs, ascending
	Count int   // how many are missing in total
}

func (e *MissingError) Error() string {
	s := make([]string, len(e.Seqs))
	for i, q := range e.Seqs {
		s[i] = strconv.Itoa(q)
	}
	more := ""
	if e.Count > len(e.Seqs) {
		more = fmt.Sprintf(" and %d more", e.Count-len(e.Seqs))
	}
	return fmt.Sprintf("report: incomplete, %d result(s) never written: seq %s%s", e.Count, strings.Join(s, ", "), more)
}

// Option tunes Create.
type Option func(*options)

type options struct {
	src    sheet.Options
	errSrc *sheet.Options // the errors file's; nil = src
	second *second        // the other input of a two-file run
	secret map[int]bool   // source column indexes holding credentials
}

// Redacted replaces a credential in the report.
const Redacted = "[redacted]"

// WithSecretColumns names the source columns (by index in the header) that
// hold credentials such as password hashes: the report shows them as
// [redacted], while the errors file, made for re-import, keeps them. With any
// such column both files are created readable by the owner only (0600).
func WithSecretColumns(idx []int) Option {
	return func(op *options) {
		if len(idx) == 0 {
			return
		}
		op.secret = map[int]bool{}
		for _, i := range idx {
			op.secret[i] = true
		}
	}
}

// redact replaces the credentials among the report's source cells of r (a
// row of the main input: the cells follow w.keep).
func (w *Writer) redact(row []string, r Result) {
	if len(w.opts.secret) == 0 || w.opts.second != nil && r.File == w.opts.second.file {
		return
	}
	for j, i := range w.keep {
		if w.opts.secret[i] && j < len(row) && row[j] != "" {
			row[j] = Redacted
		}
	}
}

// private restricts a file holding credentials to its owner.
func (o *options) private(path string) error {
	if len(o.secret) == 0 {
		return nil
	}
	if err := os.Chmod(path, 0o600); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

// WithSource makes the files look like the input, so that the errors file can
// be re-imported with the same mapping: the input's reader options, where the
// zero values that mean "sniff" or "first" for reading mean the defaults for
// writing: sheet "Sheet1", header row 1, delimiter ',', UTF-8 with a BOM.
func WithSource(src sheet.Options) Option { return func(op *options) { op.src = src } }

// WithErrorsSource sets the errors file's options apart from the report's:
// the input as it was actually read (its sniffed encoding and delimiter), so
// that the file re-imports like the input, while the report keeps the dialect
// the mapping asks for.
func WithErrorsSource(src sheet.Options) Option { return func(op *options) { op.errSrc = &src } }

func (o options) errorsSource() sheet.Options {
	if o.errSrc != nil {
		return *o.errSrc
	}
	return o.src
}

// sink is one output file (report or errors, CSV or XLSX).
type sink interface {
	writeRow(cells []string, st Status) error
	close(s Summary) error
}

// Writer writes the report and its errors companion. It is safe for concurrent
// use; results may arrive in any order and are written in Seq order.
//
// The errors file is created lazily, on the first invalid or failed row: a run
// without such rows leaves no errors file (Create removes a stale one left at the
// same path by an earlier run), so its presence alone means "something to fix".
type Writer struct {
	path, errPath string
	ext           string
	header        []string
	keep          []int // indexes of the source columns kept (stale import_* columns dropped)
	keepErr       []int
	opts          options

	mu       sync.Mutex
	rep      sink
	errs     sink // nil until the first invalid/failed row
	next     int  // next Seq to write
	maxSeq   int
	pending  map[int]Result
	counts   map[Status]int
	closed   bool
	stickErr error
	rowBuf   []string // reused per row: sinks do not keep the slice
	errBuf   []string
}

// Create opens a report at path (.csv or .xlsx), creating its directory if
// needed. header is the source header as read.
func Create(path string, header []string, opts ...Option) (*Writer, error) {
	var o options
	for _, f := range opts {
		f(&o)
	}
	ext := strings.ToLower(filepath.Ext(path))
	if ext != ".csv" && ext != ".xlsx" {
		return nil, fmt.Errorf("report %q: unsupported extension %q (want .csv or .xlsx)", path, filepath.Ext(path))
	}
	if ext == ".csv" {
		for _, src := range []sheet.Options{o.src, o.errorsSource()} {
			if err := checkCSVOptions(src); err != nil {
				return nil, fmt.Errorf("report %q: %w", path, err)
			}
		}
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("report: create directory: %w", err)
		}
	}
	w := &Writer{
		path:    path,
		errPath: ErrorsPath(path),
		ext:     ext,
		header:  append([]string(nil), header...),
		opts:    o,
		maxSeq:  -1,
		pending: make(map[int]Result),
		counts:  make(map[Status]int),
	}
	w.keep = keepColumns(header, ownColumns)
	w.keepErr = keepColumns(header, ownColumns)
	if n := max(len(w.reportHeader()), len(w.errorsHeader())); ext == ".xlsx" && n > excelize.MaxColumns {
		return nil, fmt.Errorf("report %q: %d columns (the input's %d plus the report's own) do not fit in an XLSX sheet, which holds %d; "+
			"write the report as CSV (--report with a .csv name)", path, n, len(w.keep), excelize.MaxColumns)
	}
	if err := os.Remove(w.errPath); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("report: remove stale errors file: %w", err)
	}
	if o.second != nil {
		if err := w.setupSecond(o.second); err != nil {
			return nil, err
		}
	}
	var err error
	if ext == ".csv" {
		w.rep, err = newCSVSink(path, o.src, true, w.reportHeader())
	} else {
		w.rep, err = newXLSXSink(path, "Report", 1, true, w.reportHeader())
	}
	if err != nil {
		return nil, err
	}
	if err := o.private(path); err != nil {
		_ = w.rep.close(Summary{})
		return nil, err
	}
	return w, nil
}

// ErrorsPath returns the errors companion of a report path: x.csv → x.errors.csv.
func ErrorsPath(reportPath string) string {
	ext := filepath.Ext(reportPath)
	return strings.TrimSuffix(reportPath, ext) + ".errors" + ext
}

// keepColumns returns the indexes of header columns not named like one of
// appended: re-importing an errors file must not grow a second import_row.
func keepColumns(header, appended []string) []int {
	keep := make([]int, 0, len(header))
	for i, h := range header {
		drop := false
		for _, a := range appended {
			if h == a {
				drop = true
				break
			}
		}
		if !drop {
			keep = append(keep, i)
		}
	}
	return keep
}

func pick(header []string, keep []int, extra []string) []string {
	out := make([]string, 0, len(keep)+len(extra))
	for _, i := range keep {
		out = append(out, header[i])
	}
	return append(out, extra...)
}

func (w *Writer) reportHeader() []string {
	if w.opts.second != nil {
		return append(w.secondHeader(), ReportColumns...)
	}
	return pick(w.header, w.keep, ReportColumns)
}
func (w *Writer) errorsHeader() []string { return pick(w.header, w.keepErr, ErrorsColumns) }

// Path is the report path.
func (w *Writer) Path() string { return w.path }

// ErrorsPath is the errors file path, or "" while no invalid/failed row was written.
func (w *Writer) ErrorsPath() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.errs == nil {
		return ""
	}
	return w.errPath
}

// ErrorsPaths lists the errors files written so far: the input's, then the
// second input's.
func (w *Writer) ErrorsPaths() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	if w.errs != nil {
		out = append(out, w.errPath)
	}
	if sec := w.opts.second; sec != nil && sec.errs != nil {
		out = append(out, sec.errPath)
	}
	return out
}

// Counts returns the number of rows written per status so far.
func (w *Writer) Counts() map[Status]int {
	w.mu.Lock()
	defer w.mu.Unlock()
	c := make(map[Status]int, len(w.counts))
	for k, v := range w.counts {
		c[k] = v
	}
	return c
}

// Write records one result. Results are buffered until every lower Seq has
// arrived, so memory grows only with how far out of order they come.
func (w *Writer) Write(r Result) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case w.closed:
		return ErrClosed
	case w.stickErr != nil:
		return w.stickErr
	case r.Seq < 0:
		return fmt.Errorf("report: negative seq %d", r.Seq)
	case r.Seq < w.next:
		return &DuplicateError{Seq: r.Seq}
	}
	if _, dup := w.pending[r.Seq]; dup {
		return &DuplicateError{Seq: r.Seq}
	}
	if r.Seq > w.maxSeq {
		w.maxSeq = r.Seq
	}
	if r.Seq != w.next {
		w.pending[r.Seq] = r
		return nil
	}
	if err := w.emit(r); err != nil {
		return err
	}
	for {
		p, ok := w.pending[w.next]
		if !ok {
			return nil
		}
		delete(w.pending, w.next)
		if err := w.emit(p); err != nil {
			return err
		}
	}
}

// emit writes r to the report (and errors file) and advances next. w.mu is held.
func (w *Writer) emit(r Result) error {
	w.next = r.Seq + 1
	if err := w.writeResult(r); err != nil {
		w.stickErr = err
		return err
	}
	return nil
}

func (w *Writer) writeResult(r Result) error {
	row := w.sourceCells(w.rowBuf[:0], r)
	w.redact(row, r)
	row = append(row, rowNumber(r.Row), string(r.Status), r.CustomerNumber,
		strings.Join(r.AddressIDs, ";"), strings.Join(r.Changes, ";"), r.Message)
	w.rowBuf = row
	if err := w.rep.writeRow(row, r.Status); err != nil {
		return fmt.Errorf("report %q: %w", w.path, err)
	}
	w.counts[r.Status]++
	// The errors file is for fixing and re-importing input rows; a mirror
	// row has no source cells to fix.
	if r.Status != Invalid && r.Status != Failed || r.Row == 0 {
		return nil
	}
	if w.opts.second != nil && r.File == w.opts.second.file {
		return w.writeSecondError(r)
	}
	if w.errs == nil {
		var err error
		if w.ext == ".csv" {
			w.errs, err = newCSVSink(w.errPath, w.opts.errorsSource(), false, w.errorsHeader())
		} else {
			w.errs, err = newXLSXSink(w.errPath, w.errSheet(), w.opts.errorsSource().HeaderRow, false, w.errorsHeader())
		}
		if err == nil {
			err = w.opts.private(w.errPath)
		}
		if err != nil {
			return err
		}
	}
	erow := w.errBuf[:0]
	for _, i := range w.keepErr {
		erow = append(erow, cell(r.Cells, i))
	}
	erow = append(erow, strconv.Itoa(r.Row), r.Message)
	w.errBuf = erow
	var err error
	if cs, ok := w.errs.(*csvSink); ok && r.Raw != "" && len(w.keepErr) == len(w.header) {
		// A row that could not be parsed keeps its text exactly, to be fixed there.
		err = cs.writeRaw(r.Raw, erow[len(w.keepErr):])
	} else {
		err = w.errs.writeRow(erow, "")
	}
	if err != nil {
		return fmt.Errorf("report errors file %q: %w", w.errPath, err)
	}
	return nil
}

// rowNumber is the import_row cell: empty for a row that is not an input row.
func rowNumber(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

func (w *Writer) errSheet() string {
	if sh := w.opts.errorsSource().Sheet; sh != "" {
		return sh
	}
	return "Sheet1"
}

// cell pads ragged rows: a missing cell (or index -1) reads as empty, extra cells are dropped.
func cell(cells []string, i int) string {
	if i >= 0 && i < len(cells) {
		return cells[i]
	}
	return ""
}

// Close writes the buffered results and finishes both files. s feeds the XLSX
// Summary sheet; when s.Counts is nil the writer's own counts are used. If some
// Seq below the highest received never arrived, the rows that did arrive are
// still written, in order, and a *MissingError names the gaps.
func (w *Writer) Close(s Summary) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return ErrClosed
	}
	w.closed = true

	var missing *MissingError
	if len(w.pending) > 0 {
		missing = &MissingError{}
		for seq := w.next; seq <= w.maxSeq; seq++ {
			p, ok := w.pending[seq]
			if !ok {
				missing.Count++
				if len(missing.Seqs) < 10 {
					missing.Seqs = append(missing.Seqs, seq)
				}
				continue
			}
			if w.stickErr == nil {
				if err := w.writeResult(p); err != nil {
					w.stickErr = err
				}
			}
		}
		w.pending = nil
	}

	if s.Counts == nil {
		s.Counts = w.counts
	}
	if s.Report == "" {
		s.Report = w.path
	}
	if s.ErrorsFile == "" && w.errs != nil {
		s.ErrorsFile = w.errPath
	}
	errs := []error{w.stickErr}
	if err := w.rep.close(s); err != nil {
		errs = append(errs, fmt.Errorf("report %q: %w", w.path, err))
	}
	if w.errs != nil {
		if err := w.errs.close(s); err != nil {
			errs = append(errs, fmt.Errorf("report errors file %q: %w", w.errPath, err))
		}
	}
	if sec := w.opts.second; sec != nil && sec.errs != nil {
		if err := sec.errs.close(s); err != nil {
			errs = append(errs, fmt.Errorf("report errors file %q: %w", sec.errPath, err))
		}
	}
	if missing != nil {
		errs = append(errs, missing)
	}
	return errors.Join(errs...)
}
