// Package sheet reads spreadsheet rows from CSV and XLSX files as a stream.
package sheet

import "io"

// Row is one data row as read from the file.
type Row struct {
	Seq   int      // 0-based position among the data rows returned (report order)
	Num   int      // row number as a spreadsheet user sees it (header row 1 → first data row 2)
	Cells []string // cells as read, as the user sees them (formatted dates and numbers)
	Err   error    // non-fatal problem with this row (ragged row, oversized field); the row is still returned
	// Raw is the row's text exactly as in a CSV file (decoded, without the line
	// break) when the row could not be parsed (broken quotes), so the errors
	// file can keep it for fixing. Empty otherwise.
	Raw string
}

// Reader streams data rows. Next returns io.EOF after the last row.
type Reader interface {
	Header() []string
	Next() (Row, error)
	io.Closer
}

// Options override what the readers would otherwise sniff or default.
type Options struct {
	Sheet     string // xlsx: sheet name; empty = first sheet
	HeaderRow int    // 1-based header row; 0 = 1
	Delimiter rune   // csv: 0 = sniff among , ; TAB |
	Encoding  string // csv: "" = sniff; any name LookupEncoding knows (utf-8, utf-16, windows-1252, ...)
}
