package mapping

import (
	"strings"
	"testing"
)

// contentKeyReference is the definition ContentKey implements in one buffer.
func contentKeyReference(get func(string) string) string {
	parts := make([]string, len(AddressKeyFields))
	for i, f := range AddressKeyFields {
		parts[i] = strings.Join(strings.Fields(strings.ToLower(get(f))), " ")
	}
	return strings.Join(parts, "\x1f")
}

var contentKeyCorpus = []string{"", " ", "Main St", "  MAIN   st  ", "Straße", "ÄÖÜ straße", "a\tb\nc\r\vd\fe",
	"x\u00a0y\u0085z\u2003w", "\xff\xfeA", "\uFFFD", "İstanbul", "ΣΑΣ", "10117 Berlin ", "\u3000全角\u3000"}

func checkContentKey(t *testing.T, vals [6]string) {
	t.Helper()
	get := func(f string) string {
		for i, k := range AddressKeyFields {
			if k == f {
				return vals[i]
			}
		}
		return ""
	}
	if got, want := ContentKey(get), contentKeyReference(get); got != want {
		t.Errorf("ContentKey(%q) = %q, want %q", vals, got, want)
	}
}

func TestContentKeyMatchesDefinition(t *testing.T) {
	for _, a := range contentKeyCorpus {
		for _, b := range contentKeyCorpus {
			checkContentKey(t, [6]string{a, b, a + b, b, "", a})
		}
	}
}

func FuzzContentKey(f *testing.F) {
	for _, s := range contentKeyCorpus {
		f.Add(s, s+" x")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		checkContentKey(t, [6]string{a, b, a, "", b, a + b})
	})
}

func BenchmarkContentKey(b *testing.B) {
	vals := map[string]string{"contactName": "Jane Doe", "street": "Main  Street", "streetNumber": "12a",
		"zipCode": "10117", "city": "Berlin", "country": "DE"}
	get := func(f string) string { return vals[f] }
	b.Run("one-buffer", func(b *testing.B) {
		for b.Loop() {
			ContentKey(get)
		}
	})
	b.Run("reference", func(b *testing.B) {
		for b.Loop() {
			contentKeyReference(get)
		}
	})
}
