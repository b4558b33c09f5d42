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

// Encoding names as reported by the sniffer and accepted in Options.Encoding.
const (
	EncUTF8        = "utf-8"
	EncUTF16LE     = "utf-16le"
	EncUTF16BE     = "utf-16be"
	EncWindows1252 = "windows-1252"
	EncISO88591    = "iso-8859-1"
)

var (
	bomUTF8    = []byte{0xEF, 0xBB, 0xBF}
	bomUTF16LE = []byte{0xFF, 0xFE}
	bomUTF16BE = []byte{0xFE, 0xFF}
)

// sniffEncoding picks the encoding of head (the first bytes of the file) and
// returns how many BOM bytes to skip. override is Options.Encoding.
func sniffEncoding(head []byte, override string) (name string, bomLen int, err error) {
	hasUTF8BOM := bytes.HasPrefix(head, bomUTF8)
	switch strings.ToLower(strings.TrimSpace(override)) {
	case "":
	case "utf-8", "utf8":
		if hasUTF8BOM {
			return EncUTF8, len(bomUTF8), nil
		}
		return EncUTF8, 0, nil
	case "utf-16", "utf16", "unicode":
		// The BOM decides the byte order; without one, assume little endian as Windows writes it.
		switch {
		case bytes.HasPrefix(head, bomUTF16BE):
			return EncUTF16BE, 2, nil
		case bytes.HasPrefix(head, bomUTF16LE):
			return EncUTF16LE, 2, nil
		}
		return EncUTF16LE, 0, nil
	case "utf-16le", "utf16le":
		if bytes.HasPrefix(head, bomUTF16LE) {
			return EncUTF16LE, 2, nil
		}
		return EncUTF16LE, 0, nil
	case "utf-16be", "utf16be":
		if bytes.HasPrefix(head, bomUTF16BE) {
			return EncUTF16BE, 2, nil
		}
		return EncUTF16BE, 0, nil
	case "windows-1252", "cp1252", "win-1252":
		return EncWindows1252, 0, nil
	case "iso-8859-1", "iso8859-1", "latin1", "latin-1":
		return EncISO88591, 0, nil
	default:
		return "", 0, fmt.Errorf("%w %q (want utf-8, utf-16, windows-1252 or iso-8859-1)", ErrUnknownEncoding, override)
	}
	switch {
	case hasUTF8BOM:
		return EncUTF8, len(bomUTF8), nil
	case bytes.HasPrefix(head, bomUTF16LE):
		return EncUTF16LE, 2, nil
	case bytes.HasPrefix(head, bomUTF16BE):
		return EncUTF16BE, 2, nil
	}
	if validUTF8Prefix(head) {
		return EncUTF8, 0, nil
	}
	return EncWindows1252, 0, nil
}

// validUTF8Prefix is utf8.Valid, tolerating a rune cut off at the end of the
// sniff window.
func validUTF8Prefix(b []byte) bool {
	if len(b) >= sniffSize {
		for i := 1; i < utf8.UTFMax && i <= len(b); i++ {
			if utf8.RuneStart(b[len(b)-i]) {
				if !utf8.FullRune(b[len(b)-i:]) {
					b = b[:len(b)-i]
				}
				break
			}
		}
	}
	return utf8.Valid(b)
}

// decoder returns the decoder for an encoding name, nil for UTF-8 (no transform needed).
func decoder(name string) *encoding.Decoder {
	switch name {
	case EncUTF16LE:
		return unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM).NewDecoder()
	case EncUTF16BE:
		return unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM).NewDecoder()
	case EncWindows1252:
		return charmap.Windows1252.NewDecoder()
	case EncISO88591:
		return charmap.ISO8859_1.NewDecoder()
	}
	return nil
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
