package report

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"testing"

	"github.com/emporix-import/emporix-import/sheet"
)

// csvLineCorpus: plain cells, formulas, quotes, line breaks, spaces, the
// delimiters, non-ASCII and invalid UTF-8.
var csvLineCorpus = []string{"", "a", "Jürgen", `\.`, `\`, ".", `a"b`, `"`, `""`, "a\nb", "a\r\nb", "\r", " a", "\ta",
	"\u00a0a", "\u3000", "a ", "=1+2", "+49 30 1", "-5", "@x", "'=x", "a,b", "a;b", "a\tb", "a'b", "'", "a¦b", "x€y",
	"\xff", "\xe2\x82", "=\"a,b\"\n"}

// checkCSVLine compares writeRow with encoding/csv.Writer writing the
// neutralised cells.
func checkCSVLine(t *testing.T, comma rune, cells ...string) {
	t.Helper()
	var got, want bytes.Buffer
	s := &csvSink{buf: bufio.NewWriter(&got), comma: comma, report: true}
	if err := s.writeRow(cells, Valid); err != nil {
		t.Fatal(err)
	}
	_ = s.buf.Flush()
	cw := csv.NewWriter(&want)
	cw.Comma = comma
	neutral := make([]string, len(cells))
	for i, c := range cells {
		neutral[i] = sheet.Neutralise(c)
	}
	if err := cw.Write(neutral); err != nil {
		t.Fatal(err)
	}
	cw.Flush()
	if got.String() != want.String() {
		t.Errorf("comma %q, cells %q:\n got %q\nwant %q", comma, cells, got.String(), want.String())
	}
}

var csvLineCommas = []rune{',', ';', '\t', '|', '\'', ' ', '¦', '€', '.', '\\', '='}

func TestWriteRowMatchesEncodingCSV(t *testing.T) {
	for _, comma := range csvLineCommas {
		for _, a := range csvLineCorpus {
			checkCSVLine(t, comma, a)
			for _, b := range csvLineCorpus {
				checkCSVLine(t, comma, a, b)
			}
		}
	}
}

func FuzzWriteRow(f *testing.F) {
	for i, a := range csvLineCorpus {
		f.Add(a, csvLineCorpus[(i+1)%len(csvLineCorpus)], i%len(csvLineCommas))
	}
	f.Fuzz(func(t *testing.T, a, b string, c int) {
		checkCSVLine(t, csvLineCommas[uint(c)%uint(len(csvLineCommas))], a, b)
	})
}
