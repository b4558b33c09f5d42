package sheet

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

// sniffSize is how much of the file the encoding and delimiter sniffers look at.
const sniffSize = 64 << 10

var (
	bomUTF8    = []byte{0xEF, 0xBB, 0xBF}
	bomUTF16LE = []byte{0xFF, 0xFE}
	bomUTF16BE = []byte{0xFE, 0xFF}
)

// textEncoding is what the sniffer (or the override) decided.
type textEncoding struct {
	name   string            // canonical name, as CSVInfo reports it
	enc    encoding.Encoding // nil for UTF-8: no transform
	bomLen int               // BOM bytes to skip
	// strict: the encoding was sniffed as UTF-8, so an invalid byte later in
	// the file means the file mixes encodings, which is fatal. With an explicit
	// utf-8 override invalid bytes are row errors instead.
	strict bool
}

// sniffEncoding picks the encoding of head (the first bytes of the file).
// override is Options.Encoding.
func sniffEncoding(head []byte, override string) (textEncoding, error) {
	if strings.TrimSpace(override) != "" {
		return overrideEncoding(head, override)
	}
	switch {
	case bytes.HasPrefix(head, bomUTF8):
		return textEncoding{name: EncUTF8, bomLen: len(bomUTF8), strict: true}, nil
	case bytes.HasPrefix(head, bomUTF16LE):
		return utf16Encoding(unicode.LittleEndian, 2), nil
	case bytes.HasPrefix(head, bomUTF16BE):
		return utf16Encoding(unicode.BigEndian, 2), nil
	}
	bad := invalidUTF8At(head)
	if bad < 0 {
		return textEncoding{name: EncUTF8, strict: true}, nil
	}
	if hasMultiByteUTF8(head) {
		return textEncoding{}, mixedError(head[bad], 1+bytes.Count(head[:bad], []byte{'\n'}))
	}
	return textEncoding{name: EncWindows1252, enc: charmap.Windows1252}, nil
}

func overrideEncoding(head []byte, override string) (textEncoding, error) {
	name, enc, err := LookupEncoding(override)
	if err != nil {
		return textEncoding{}, err
	}
	switch name {
	case EncUTF8:
		if bytes.HasPrefix(head, bomUTF8) {
			return textEncoding{name: EncUTF8, bomLen: len(bomUTF8)}, nil
		}
		return textEncoding{name: EncUTF8}, nil
	case EncUTF16:
		// The BOM decides the byte order; without one, little endian as Windows writes it.
		if bytes.HasPrefix(head, bomUTF16BE) {
			return utf16Encoding(unicode.BigEndian, 2), nil
		}
		return utf16Encoding(unicode.LittleEndian, bomLenIf(head, bomUTF16LE)), nil
	case EncUTF16LE:
		return utf16Encoding(unicode.LittleEndian, bomLenIf(head, bomUTF16LE)), nil
	case EncUTF16BE:
		return utf16Encoding(unicode.BigEndian, bomLenIf(head, bomUTF16BE)), nil
	}
	return textEncoding{name: name, enc: enc}, nil
}

func bomLenIf(head, bom []byte) int {
	if bytes.HasPrefix(head, bom) {
		return len(bom)
	}
	return 0
}

func utf16Encoding(order unicode.Endianness, bomLen int) textEncoding {
	name := EncUTF16LE
	if order == unicode.BigEndian {
		name = EncUTF16BE
	}
	return textEncoding{name: name, enc: unicode.UTF16(order, unicode.IgnoreBOM), bomLen: bomLen}
}

// invalidUTF8At returns the offset of the first invalid UTF-8 sequence in b,
// or -1, tolerating a rune cut off at the end of a full sniff window.
func invalidUTF8At(b []byte) int {
	if len(b) >= sniffSize {
		b = b[:len(b)-incompleteTail(b)]
	}
	return firstInvalidUTF8(b)
}

// hasMultiByteUTF8 reports whether b holds at least one valid non-ASCII UTF-8
// sequence: then invalid bytes beside it mean mixed encodings, not a
// single-byte file.
func hasMultiByteUTF8(b []byte) bool {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if size > 1 && r != utf8.RuneError {
			return true
		}
		i += max(size, 1)
	}
	return false
}

// mixedError names the line of an invalid byte and the override.
func mixedError(bad byte, line int) error {
	return &Error{Line: line, Err: fmt.Errorf("%w: byte 0x%02X is not UTF-8, but the file also holds UTF-8 text; "+
		"convert the file to UTF-8, or set the input encoding (mapping input.encoding: windows-1252) to read every byte as one character",
		ErrMixedEncoding, bad)}
}

// delimiters are the sniffed candidates, in tie-break order.
var delimiters = []byte{',', ';', '\t', '|'}

// sniffDelimiter picks the delimiter from decoded text: the candidate that
// occurs (outside quotes) in the header row and most consistently as often in
// the following rows; ties go to the higher count, then to the list order.
// headerRow is 1-based and counts blank lines, as the reader does.
func sniffDelimiter(text []byte, headerRow int, truncated bool) rune {
	recs := splitRecords(text, truncated)
	var sample []string
	for i, r := range recs {
		if i+1 < headerRow || strings.TrimSpace(r) == "" {
			continue
		}
		sample = append(sample, r)
		if len(sample) == 10 {
			break
		}
	}
	if len(sample) == 0 {
		return ','
	}
	best, bestCons, bestCount := byte(','), -1.0, 0
	for _, d := range delimiters {
		head := countOutsideQuotes(sample[0], d)
		if head == 0 {
			continue
		}
		cons := 1.0
		if len(sample) > 1 {
			same := 0
			for _, r := range sample[1:] {
				if countOutsideQuotes(r, d) == head {
					same++
				}
			}
			cons = float64(same) / float64(len(sample)-1)
		}
		if cons > bestCons || (cons == bestCons && head > bestCount) {
			best, bestCons, bestCount = d, cons, head
		}
	}
	return rune(best)
}

// splitRecords splits text into records at newlines outside double quotes.
// A blank line is kept as an empty record so indexes match row numbers. When
// the text was cut off, the last (partial) record is dropped.
func splitRecords(text []byte, truncated bool) []string {
	var recs []string
	inQuotes := false
	start := 0
	for i, c := range text {
		switch c {
		case '"':
			inQuotes = !inQuotes
		case '\n':
			if !inQuotes {
				recs = append(recs, strings.TrimSuffix(string(text[start:i]), "\r"))
				start = i + 1
			}
		}
	}
	// A cut-off last record is unreliable, unless it is all there is.
	if start < len(text) && (!truncated || len(recs) == 0) {
		recs = append(recs, string(text[start:]))
	}
	return recs
}

func countOutsideQuotes(s string, d byte) int {
	n := 0
	inQuotes := false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			inQuotes = !inQuotes
		case d:
			if !inQuotes {
				n++
			}
		}
	}
	return n
}
