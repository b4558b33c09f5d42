package mapping

import (
	"strings"
	"testing"
)

// emailCorpus: ordinary addresses, every atext character, and the shapes
// net/mail treats specially (quotes, literals, comments, display names,
// spaces, dots, non-ASCII, invalid UTF-8, control characters).
var emailCorpus = []string{
	"a@b", "john.doe@example.com", "JOHN@EXAMPLE.COM", "x+tag@sub.example.co.uk", "o'brien@example.ie",
	"a!#$%&'*+-/=?^_`{|}~@example.com", "user@localhost", "1@2", "a.b.c@d.e.f",
	"", "@", "a@", "@b", "a@@b", "a@b@c", ".a@b", "a.@b", "a..b@c", "a@.b", "a@b.", "a@b..c",
	"a b@c", " a@b", "a@b ", "a@ b", "a @b", "\ta@b", "a@b\n",
	`"a b"@c`, `"a"@b`, `"a\"b"@c`, "a@[1.2.3.4]", "a@[IPv6:::1]", "a(comment)@b", "(c)a@b", "a@b(c)",
	"Name <a@b>", "<a@b>", "a@b, c@d", "a@b;", "a:b@c", "a@b:c", "a<b@c", "a>b@c", "a,b@c", "a[b@c", "a]b@c",
	`a\b@c`, "a@b\\c", "jürgen@example.de", "a@exämple.de", "\xff@b", "a@\xfe", "a\x00@b", "a@b\x7f", "=?utf-8?q?a?=@b",
	"a.@.b", "a@-b", "-a@b-", "a@b-.c", strings.Repeat("a", 300) + "@b",
}

func TestEmailVerdictsMatchNetMail(t *testing.T) {
	for _, s := range emailCorpus {
		checkEmailVerdict(t, s)
	}
	// Every single byte in every position of a plain address.
	base := "ab.c@d.ef"
	for i := 0; i <= len(base); i++ {
		for c := range 256 {
			checkEmailVerdict(t, base[:i]+string([]byte{byte(c)})+base[i:])
		}
	}
}

func checkEmailVerdict(t *testing.T, s string) {
	t.Helper()
	_, err := validEmail(s)
	if got, want := err == nil, netMailBare(s); got != want {
		t.Errorf("validEmail(%q) ok=%v, net/mail says %v", s, got, want)
	}
	if plainAddrSpec(s) && !netMailBare(s) {
		t.Errorf("fast path accepts %q, net/mail does not", s)
	}
}

func FuzzEmail(f *testing.F) {
	for _, s := range emailCorpus {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkEmailVerdict(t, s)
	})
}

func BenchmarkValidEmail(b *testing.B) {
	for b.Loop() {
		validEmail("john.doe+tag@example.com")
	}
}

func BenchmarkNetMailEmail(b *testing.B) {
	for b.Loop() {
		netMailBare("john.doe+tag@example.com")
	}
}
