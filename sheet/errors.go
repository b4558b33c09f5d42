package sheet

import (
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
)

// Sentinel errors. Fatal errors are *Error and row problems are *RowError; both
// unwrap to these so callers can use errors.Is.
var (
	ErrUnsupportedFormat = errors.New("unsupported file type")
	ErrUnknownEncoding   = errors.New("unknown encoding")
	ErrBadDelimiter      = errors.New("invalid delimiter")
	ErrUnknownSheet      = errors.New("no such sheet")
	ErrHeader            = errors.New("invalid header")
	ErrRecordTooLarge    = errors.New("record too large")
	ErrTooLarge          = errors.New("file too large when uncompressed")
	ErrCorrupt           = errors.New("corrupt file")
	ErrClosed            = errors.New("reader closed")
	ErrMixedEncoding     = errors.New("mixed encodings")
	ErrEncrypted         = errors.New("password-protected workbook")

	ErrRagged         = errors.New("ragged row")
	ErrFieldTooLarge  = errors.New("cell too large")
	ErrMalformedQuote = errors.New("malformed quote")
	ErrInvalidUTF8    = errors.New("invalid UTF-8")
	ErrControlChar    = errors.New("control character")
	ErrBadXML         = errors.New("invalid cell XML")
	ErrCellRef        = errors.New("cell outside the sheet")
)

// Error is a fatal problem with a file: reading cannot start or continue.
type Error struct {
	File  string
	Sheet string // xlsx only
	Row   int    // spreadsheet row number, 0 when not row specific
	Line  int    // csv physical line, 0 when unknown
	Err   error
}

func (e *Error) Error() string {
	cause := e.Err.Error()
	if pe, ok := e.Err.(*fs.PathError); ok && pe.Path == e.File {
		// The os error names the file already: "open FILE: no such file".
		if e.Sheet == "" && e.Row == 0 && e.Line == 0 {
			return cause
		}
		cause = pe.Op + ": " + pe.Err.Error()
	}
	var b strings.Builder
	b.WriteString(e.File)
	if e.Sheet != "" {
		fmt.Fprintf(&b, ": sheet %q", e.Sheet)
	}
	if e.Row > 0 {
		fmt.Fprintf(&b, ": row %d", e.Row)
	}
	switch {
	case e.Line > 0 && e.Row > 0:
		fmt.Fprintf(&b, " (line %d)", e.Line)
	case e.Line > 0:
		fmt.Fprintf(&b, ": line %d", e.Line)
	}
	b.WriteString(": ")
	b.WriteString(cause)
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Problem is one non-fatal defect of a row.
type Problem struct {
	Kind   error  // one of the row-level sentinels: ErrRagged, ErrFieldTooLarge, ErrMalformedQuote, ...
	Col    int    // 1-based column, 0 = the whole row
	Name   string // header name of Col, if any
	Detail string
}

func (p Problem) String() string {
	if p.Col == 0 {
		return p.Detail
	}
	if p.Name != "" {
		return fmt.Sprintf("column %s (%q): %s", ColumnLetter(p.Col), p.Name, p.Detail)
	}
	return fmt.Sprintf("column %s: %s", ColumnLetter(p.Col), p.Detail)
}

// RowError is set as Row.Err when a row was read but is defective. The row is
// still returned (padded or truncated to the header width) so it can be reported.
type RowError struct {
	File     string
	Sheet    string // xlsx only
	Row      int
	Problems []Problem
}

func (e *RowError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Sheet != "" {
		fmt.Fprintf(&b, ": sheet %q", e.Sheet)
	}
	fmt.Fprintf(&b, ": row %d: ", e.Row)
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.String())
	}
	return b.String()
}

// Unwrap exposes the problem kinds, so errors.Is(row.Err, ErrRagged) works.
func (e *RowError) Unwrap() []error {
	kinds := make([]error, len(e.Problems))
	for i, p := range e.Problems {
		kinds[i] = p.Kind
	}
	return kinds
}

// ColumnLetter returns the spreadsheet column name of a 1-based index (1 → A, 27 → AA).
func ColumnLetter(col int) string {
	if col <= 0 {
		return strconv.Itoa(col)
	}
	var buf [8]byte
	i := len(buf)
	for col > 0 && i > 0 {
		col--
		i--
		buf[i] = byte('A' + col%26)
		col /= 26
	}
	return string(buf[i:])
}

// quoteShort quotes s for an error message, eliding the middle of long values.
func quoteShort(s string) string {
	const max = 40
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return strconv.Quote(s)
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }
