package sheet

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
)

// Spool keeps the rows of one pass over an input in a temporary file, so that
// a later pass replays them without opening, decoding and parsing the input
// again (for XLSX, the parse is most of the cost). The later pass also sees
// exactly the rows the first one saw, even if the file changes meanwhile.
//
// Each row is one record: its length, then the row number, the cells, the
// raw text and the row error, all length-prefixed (uvarints). The file is
// unlinked as soon as it is created where the OS allows it, so a killed run
// leaves nothing behind; otherwise Close removes it.
type Spool struct {
	f       *os.File
	w       *bufio.Writer
	path    string // still to remove on Close; "" once unlinked
	header  []string
	rows    int
	scratch []byte
	prefix  [binary.MaxVarintLen64]byte
}

// NewSpool creates an empty spool in dir ("" = the system's temporary
// directory, $TMPDIR on Unix) for rows under header.
func NewSpool(dir string, header []string) (*Spool, error) {
	f, err := os.CreateTemp(dir, "emporix-import-rows-*")
	if err != nil {
		return nil, spoolError(err)
	}
	s := &Spool{f: f, w: bufio.NewWriterSize(f, 64<<10), path: f.Name(), header: slices.Clone(header)}
	if os.Remove(s.path) == nil {
		s.path = ""
	}
	return s, nil
}

func spoolError(err error) error {
	return fmt.Errorf("keeping the rows in a temporary file (set TMPDIR to use another directory): %w", err)
}

// Rows is the number of rows added.
func (s *Spool) Rows() int { return s.rows }

// Add appends a row.
func (s *Spool) Add(r Row) error {
	b := appendRowRecord(s.scratch[:0], r)
	if _, err := s.w.Write(binary.AppendUvarint(s.prefix[:0], uint64(len(b)))); err != nil {
		return spoolError(err)
	}
	if _, err := s.w.Write(b); err != nil {
		return spoolError(err)
	}
	s.scratch = b
	s.rows++
	return nil
}

// Replay flushes what was added and returns a reader of the rows from the
// first, with Seq counted from 0. Replays are independent of each other; rows
// added after a Replay are not part of it.
func (s *Spool) Replay() (Reader, error) {
	if err := s.w.Flush(); err != nil {
		return nil, spoolError(err)
	}
	st, err := s.f.Stat()
	if err != nil {
		return nil, spoolError(err)
	}
	sec := io.NewSectionReader(s.f, 0, st.Size())
	return &spoolReader{in: bufio.NewReaderSize(sec, 64<<10), header: s.header, rows: s.rows}, nil
}

// Close closes and removes the spool.
func (s *Spool) Close() error {
	err := s.f.Close()
	if s.path != "" {
		err = errors.Join(err, os.Remove(s.path))
		s.path = ""
	}
	return err
}

type spoolReader struct {
	in     *bufio.Reader
	header []string
	rows   int // rows in this replay
	seq    int
	buf    []byte
}

func (r *spoolReader) Header() []string { return r.header }
func (r *spoolReader) Close() error     { r.rows = r.seq; return nil }

func (r *spoolReader) Next() (Row, error) {
	if r.seq >= r.rows {
		return Row{}, io.EOF
	}
	n, err := binary.ReadUvarint(r.in)
	if err != nil {
		return Row{}, r.corrupt(err)
	}
	if n > uint64(maxRecordLimit) {
		return Row{}, r.corrupt(fmt.Errorf("record of %d bytes", n))
	}
	if cap(r.buf) < int(n) {
		r.buf = make([]byte, n)
	}
	r.buf = r.buf[:n]
	if _, err := io.ReadFull(r.in, r.buf); err != nil {
		return Row{}, r.corrupt(err)
	}
	row, err := decodeRow(string(r.buf)) // one string per row: the cells share it
	if err != nil {
		return Row{}, r.corrupt(err)
	}
	row.Seq = r.seq
	r.seq++
	return row, nil
}

func (r *spoolReader) corrupt(err error) error {
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("reading the temporary copy of the rows at row %d: %w", r.seq+1, err)
}

// maxRecordLimit bounds a spooled record: a row is at most the record limit
// of the readers plus its framing, so anything larger is damage.
const maxRecordLimit = 1 << 30

// rowKinds are the problem kinds a spooled row error keeps by identity.
var rowKinds = []error{ErrRagged, ErrFieldTooLarge, ErrMalformedQuote, ErrInvalidUTF8, ErrControlChar, ErrBadXML, ErrCellRef}

const (
	errNone  = 0
	errRow   = 1 // a *RowError
	errOther = 2 // any other error, kept as its text
	kindNil  = 254
	kindText = 255
)

// appendRowRecord appends a row's record without its length prefix.
func appendRowRecord(b []byte, r Row) []byte {
	b = binary.AppendUvarint(b, uint64(r.Num))
	b = binary.AppendUvarint(b, uint64(len(r.Cells)))
	for _, c := range r.Cells {
		b = appendString(b, c)
	}
	b = appendString(b, r.Raw)
	return appendRowErr(b, r.Err)
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendRowErr(b []byte, err error) []byte {
	re, ok := err.(*RowError)
	switch {
	case err == nil:
		return append(b, errNone)
	case !ok:
		return appendString(append(b, errOther), err.Error())
	}
	b = append(b, errRow)
	b = appendString(b, re.File)
	b = appendString(b, re.Sheet)
	b = binary.AppendUvarint(b, uint64(re.Row))
	b = binary.AppendUvarint(b, uint64(len(re.Problems)))
	for _, p := range re.Problems {
		if k := slices.Index(rowKinds, p.Kind); k >= 0 {
			b = append(b, byte(k))
		} else if p.Kind == nil {
			b = append(b, kindNil)
		} else {
			b = appendString(append(b, kindText), p.Kind.Error())
		}
		b = binary.AppendUvarint(b, uint64(p.Col))
		b = appendString(b, p.Name)
		b = appendString(b, p.Detail)
	}
	return b
}

// decoder reads the fields of one record, remembering the first error.
type decoder struct {
	s   string
	err error
}

func (d *decoder) uint() int {
	var x uint64
	for shift := 0; ; shift += 7 {
		if len(d.s) == 0 || shift > 63 {
			d.fail()
			return 0
		}
		c := d.s[0]
		d.s = d.s[1:]
		x |= uint64(c&0x7f) << shift
		if c < 0x80 {
			break
		}
	}
	if x > 1<<40 {
		d.fail()
		return 0
	}
	return int(x)
}

func (d *decoder) byte() byte {
	if len(d.s) == 0 {
		d.fail()
		return 0
	}
	c := d.s[0]
	d.s = d.s[1:]
	return c
}

func (d *decoder) str() string {
	n := d.uint()
	if n > len(d.s) {
		d.fail()
		return ""
	}
	v := d.s[:n]
	d.s = d.s[n:]
	return v
}

var errMalformed = errors.New("malformed record")

func (d *decoder) fail() {
	if d.err == nil {
		d.err = errMalformed
	}
	d.s = ""
}

func decodeRow(s string) (Row, error) {
	num, i := uvarintAt(s, 0)
	n, i := uvarintAt(s, i)
	if i < 0 || n > len(s)-i { // every cell takes at least one byte
		return Row{}, errMalformed
	}
	r := Row{Num: num, Cells: make([]string, n)}
	for k := range r.Cells {
		r.Cells[k], i = stringAt(s, i)
	}
	r.Raw, i = stringAt(s, i)
	if i < 0 {
		return Row{}, errMalformed
	}
	if i < len(s) && s[i] == errNone { // the common case
		if i+1 != len(s) {
			return Row{}, errMalformed
		}
		return r, nil
	}
	d := &decoder{s: s[i:]}
	r.Err = d.rowErr()
	if d.err == nil && len(d.s) > 0 {
		d.fail()
	}
	return r, d.err
}

// uvarintAt reads a uvarint at s[i:]: its value and the index after it; the
// index is -1 (and stays so) when the data is malformed.
func uvarintAt(s string, i int) (v, next int) {
	if i < 0 {
		return 0, -1
	}
	var x uint64
	for shift := 0; shift < 64; shift += 7 {
		if i >= len(s) {
			return 0, -1
		}
		c := s[i]
		i++
		x |= uint64(c&0x7f) << shift
		if c < 0x80 {
			if x > 1<<40 {
				return 0, -1
			}
			return int(x), i
		}
	}
	return 0, -1
}

// stringAt reads a length-prefixed string at s[i:], as uvarintAt reads a number.
func stringAt(s string, i int) (string, int) {
	n, i := uvarintAt(s, i)
	if i < 0 || n > len(s)-i {
		return "", -1
	}
	return s[i : i+n], i + n
}

func (d *decoder) rowErr() error {
	switch d.byte() {
	case errNone:
		return nil
	case errOther:
		return errors.New(d.str())
	case errRow:
	default:
		d.fail()
		return nil
	}
	re := &RowError{File: d.str(), Sheet: d.str(), Row: d.uint()}
	n := d.uint()
	if n > len(d.s) {
		d.fail()
		return nil
	}
	re.Problems = make([]Problem, n)
	for i := range re.Problems {
		p := &re.Problems[i]
		if k := d.byte(); int(k) < len(rowKinds) {
			p.Kind = rowKinds[k]
		} else if k == kindText {
			p.Kind = errors.New(d.str())
		} else if k != kindNil {
			d.fail()
		}
		p.Col, p.Name, p.Detail = d.uint(), d.str(), d.str()
	}
	return re
}
