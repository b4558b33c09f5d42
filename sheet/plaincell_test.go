package sheet

import (
	"testing"
	"unicode/utf8"
)

var plainCellCorpus = []string{"", "abc", "Jürgen", "a\tb\nc\r", "a\x00b", "\x1f", "\x7f", "x\x7f", "\xff", "ab\xc3",
	"\xc3\xa4", "\xed\xa0\x80", "€\x01", "\uFFFD", "\xef\xbf\xbd", "+49 30 1234567"}

func checkPlainCell(t *testing.T, s string) {
	t.Helper()
	at, _ := controlChar(s)
	if got, want := plainCell(s), utf8.ValidString(s) && at < 0; got != want {
		t.Errorf("plainCell(%q) = %v, want %v", s, got, want)
	}
}

func TestPlainCell(t *testing.T) {
	for _, s := range plainCellCorpus {
		checkPlainCell(t, s)
	}
	for _, base := range []string{"ab", "ä€"} { // every byte before, between and after
		for i := 0; i <= len(base); i++ {
			for c := range 256 {
				checkPlainCell(t, base[:i]+string([]byte{byte(c)})+base[i:])
			}
		}
	}
}

func FuzzPlainCell(f *testing.F) {
	for _, s := range plainCellCorpus {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { checkPlainCell(t, s) })
}
