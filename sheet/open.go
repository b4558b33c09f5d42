package sheet

import (
	"fmt"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// Open opens a CSV (.csv, .txt, .tsv) or XLSX (.xlsx, .xlsm) file for
// streaming, with the default Limits. The caller must Close the reader.
func Open(path string, opt Options) (Reader, error) { return Limits{}.Open(path, opt) }

func open(path string, opt Options, lim Limits) (Reader, error) {
	if opt.HeaderRow < 0 {
		return nil, &Error{File: path, Err: fmt.Errorf("%w: header row %d must be 1 or more", ErrHeader, opt.HeaderRow)}
	}
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".csv", ".txt", ".tsv":
		return openCSV(path, opt, lim)
	case ".xlsx", ".xlsm":
		return openXLSX(path, opt, lim)
	case ".xls":
		return nil, &Error{File: path, Err: fmt.Errorf("%w %q: legacy Excel 97-2003 workbook; save it as .xlsx or .csv", ErrUnsupportedFormat, ext)}
	default:
		return nil, &Error{File: path, Err: fmt.Errorf("%w %q (want .csv, .tsv, .txt, .xlsx or .xlsm)", ErrUnsupportedFormat, ext)}
	}
}

func headerRow(opt Options) int {
	if opt.HeaderRow <= 0 {
		return 1
	}
	return opt.HeaderRow
}

// makeHeader trims the header cells and drops trailing empty ones (exports
// often end every line with a delimiter). Remaining empty or duplicate names
// are an error naming the columns.
func makeHeader(raw []string) ([]string, error) {
	h := make([]string, len(raw))
	for i, c := range raw {
		h[i] = strings.TrimSpace(strings.TrimPrefix(c, "\ufeff"))
	}
	for len(h) > 0 && h[len(h)-1] == "" {
		h = h[:len(h)-1]
	}
	if len(h) == 0 {
		return nil, fmt.Errorf("%w: header row is empty", ErrHeader)
	}
	var problems []string
	var empty []string
	seen := make(map[string]int, len(h))
	for i, name := range h {
		col := ColumnLetter(i + 1)
		if name == "" {
			empty = append(empty, col)
			continue
		}
		if first, ok := seen[name]; ok {
			problems = append(problems, fmt.Sprintf("duplicate column name %q in columns %s and %s", name, ColumnLetter(first+1), col))
			continue
		}
		seen[name] = i
	}
	if len(empty) > 0 {
		problems = append([]string{"empty column name in column " + strings.Join(empty, ", ")}, problems...)
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%w: %s", ErrHeader, strings.Join(problems, "; "))
	}
	return h, nil
}

// isBlank reports whether every cell is empty or white space.
func isBlank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// shape fits raw cells to the header width and records the problems shared by
// both formats: values beyond the header, oversized cells, invalid UTF-8,
// control characters. rawWidth is the cell count a well-formed row has (0 = do
// not check the count; xlsx rows end at their last non-empty cell).
func shape(raw, header []string, rawWidth, maxCell int, problems []Problem) ([]string, []Problem) {
	width := len(header)
	cells := make([]string, width)
	copy(cells, raw)
	if rawWidth > 0 && len(raw) != rawWidth {
		detail := fmt.Sprintf("has %d cells, header has %d", len(raw), rawWidth)
		if len(raw) > width {
			detail += " (extra: " + extraText(raw[width:]) + ")"
		}
		problems = append(problems, Problem{Kind: ErrRagged, Detail: detail})
	} else if len(raw) > width {
		for i, c := range raw[width:] {
			if strings.TrimSpace(c) != "" {
				problems = append(problems, Problem{Kind: ErrRagged, Col: width + i + 1,
					Detail: "value " + quoteShort(c) + " in a column without header"})
			}
		}
	}
	for i, c := range cells {
		if len(c) <= maxCell && plainCell(c) {
			continue // the common case, in one pass over the cell
		}
		if len(c) > maxCell {
			cut := maxCell
			for cut > 0 && !utf8.RuneStart(c[cut]) {
				cut--
			}
			// Clone so the truncated cell does not pin the huge original.
			cells[i] = strings.Clone(c[:cut])
			problems = append(problems, Problem{Kind: ErrFieldTooLarge, Col: i + 1, Name: header[i],
				Detail: fmt.Sprintf("cell has %d bytes, more than the %d allowed; truncated", len(c), maxCell)})
			c = cells[i]
		}
		if !utf8.ValidString(c) {
			cells[i] = strings.ToValidUTF8(c, "\uFFFD")
			problems = append(problems, Problem{Kind: ErrInvalidUTF8, Col: i + 1, Name: header[i],
				Detail: "invalid UTF-8 (wrong encoding? set the input encoding)"})
		}
		if at, r := controlChar(cells[i]); at >= 0 {
			problems = append(problems, Problem{Kind: ErrControlChar, Col: i + 1, Name: header[i],
				Detail: fmt.Sprintf("control character U+%04X at byte %d (not allowed in any field)", r, at)})
		}
	}
	return cells, problems
}

// controlChar finds the first C0 control character other than TAB, LF and CR
// (and DEL): no Emporix field holds one, and NUL truncates strings in C-based
// tools downstream.
func controlChar(s string) (int, rune) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F {
			return i, rune(c)
		}
	}
	return -1, 0
}

// plainCell reports whether s is valid UTF-8 without a control character
// (see controlChar; control characters are all ASCII).
func plainCell(s string) bool {
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return false
		}
		i += size
	}
	return true
}

func extraText(extra []string) string {
	const maxShown = 5
	parts := make([]string, 0, min(len(extra), maxShown)+1)
	for i, c := range extra {
		if i == maxShown {
			parts = append(parts, fmt.Sprintf("… %d more", len(extra)-maxShown))
			break
		}
		parts = append(parts, quoteShort(c))
	}
	return strings.Join(parts, ", ")
}
