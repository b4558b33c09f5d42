package mapping

import (
	"regexp"
	"testing"
)

// languageRE is the rule splitLanguage implements by hand.
var languageRE = regexp.MustCompile(`^([A-Za-z]{2,3})(?:[-_]([A-Za-z]{2}))?$`)

var languageCorpus = []string{
	"", "d", "de", "deu", "deut", "de_DE", "de-DE", "DE_de", "deu_AT", "de_D", "de_DEU", "de__DE", "de-", "de_",
	"_DE", "de_1E", "d1", "de DE", " de", "de ", "de\n", "de_DE\n", "dé", "de_DÉ", "de.DE", "de-AT-x", "ab-cd",
	"abc-de", "abcd-ef", "a-bc", "ab_c", "\xffde", "de_\xff",
}

func checkSplitLanguage(t *testing.T, s string) {
	t.Helper()
	lang, region, ok := splitLanguage(s)
	m := languageRE.FindStringSubmatch(s)
	if ok != (m != nil) || ok && (lang != m[1] || region != m[2]) {
		t.Errorf("splitLanguage(%q) = %q, %q, %v; the regexp says %q", s, lang, region, ok, m)
	}
}

func TestSplitLanguageMatchesRegexp(t *testing.T) {
	for _, s := range languageCorpus {
		checkSplitLanguage(t, s)
	}
	// Every byte in every position of the longest accepted shape.
	base := "deu_AT"
	for i := 0; i <= len(base); i++ {
		for c := range 256 {
			checkSplitLanguage(t, base[:i]+string([]byte{byte(c)})+base[i:])
			if i < len(base) {
				checkSplitLanguage(t, base[:i]+string([]byte{byte(c)})+base[i+1:])
			}
		}
	}
}

func FuzzSplitLanguage(f *testing.F) {
	for _, s := range languageCorpus {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { checkSplitLanguage(t, s) })
}

// TestLanguageMemo: cached verdicts equal fresh ones, before and after the
// cache is full.
func TestLanguageMemo(t *testing.T) {
	inputs := append([]string{"de_DE", "de-DE", "EN_us", "deu", "xx", "qaa", "de-XX", "deutsch"}, languageCorpus...)
	for a := 'a'; a <= 'z'; a++ {
		for b := 'a'; b <= 'z'; b++ {
			inputs = append(inputs, string([]rune{a, b}), string([]rune{a, b, '_', 'D', 'E'}))
		}
	}
	for range 2 {
		for _, s := range inputs {
			got, gotErr := validLanguage(s)
			want, wantErr := parseLanguage(s)
			if got != want || (gotErr == nil) != (wantErr == nil) || gotErr != nil && gotErr.Error() != wantErr.Error() {
				t.Fatalf("validLanguage(%q) = %q, %v; want %q, %v", s, got, gotErr, want, wantErr)
			}
		}
	}
	if n := languageMemo.n.Load(); n < memoSize || n > memoSize+1 {
		t.Errorf("memo holds %d values, want about %d", n, memoSize)
	}
}
