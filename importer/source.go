package importer

import (
	"errors"
	"strconv"
	"strings"

	"github.com/emporix-import/emporix-import/report"
	"github.com/emporix-import/emporix-import/sheet"
)

// openInput opens the input for the mapping layer's passes. A file carrying
// the errors file's import_source_row column (an errors file being
// re-imported) keeps the row numbers of the original file: each row is
// numbered by that cell, in the report, the messages and the next errors file.
// detected receives what the CSV reader sniffed (encoding, delimiter), so
// that the errors file can be written the way the input was.
func openInput(path string, opts sheet.Options, detected *sheet.Options) (sheet.Reader, error) {
	rd, err := sheet.Open(path, opts)
	if err != nil {
		return nil, err
	}
	if detected != nil {
		*detected = writeOptions(opts, rd)
	}
	for i, h := range rd.Header() {
		if h == report.ColSourceRow {
			return &sourceRows{Reader: rd, col: i}, nil
		}
	}
	return rd, nil
}

// writeOptions are the options that write a file like the one rd reads: the
// given overrides, completed with what was sniffed.
func writeOptions(opts sheet.Options, rd sheet.Reader) sheet.Options {
	info, ok := rd.(sheet.CSVInfo)
	if !ok {
		return opts
	}
	opts.Delimiter = info.Delimiter()
	switch enc := info.Encoding(); enc {
	case sheet.EncUTF16LE, sheet.EncUTF16BE:
		opts.Encoding = "utf-16" // written with a BOM, which tells readers the byte order
	default:
		opts.Encoding = enc
	}
	return opts
}

// sourceRows numbers rows by their import_source_row cell when it holds a
// row number; other rows (added by hand, say) keep their own number.
type sourceRows struct {
	sheet.Reader
	col int
}

func (s *sourceRows) Next() (sheet.Row, error) {
	r, err := s.Reader.Next()
	if err != nil || s.col >= len(r.Cells) {
		return r, err
	}
	n, perr := strconv.Atoi(strings.TrimSpace(r.Cells[s.col]))
	if perr != nil || n < 1 {
		return r, nil
	}
	r.Num = n
	var re *sheet.RowError
	if errors.As(r.Err, &re) {
		re.Row = n
	}
	return r, nil
}
