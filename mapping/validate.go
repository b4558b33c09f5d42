package mapping

import (
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bojanz/currency"
	"golang.org/x/text/language"
)

// validator checks one mapped, non-empty value and returns it normalised.
type validator = func(string) (string, error)

// validCustomerNumber checks ^[\w-]{1,66}$ (RE2 \w is ASCII) without a regexp:
// it runs on every row.
func validCustomerNumber(s string) (string, error) {
	ok := len(s) >= 1 && len(s) <= 66
	for i := 0; ok && i < len(s); i++ {
		c := s[i]
		ok = c == '_' || c == '-' || ('0' <= c && c <= '9') || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
	}
	if !ok {
		return "", fmt.Errorf("invalid customer number %s (want 1-66 letters, digits, _ or -)", quote(s))
	}
	return s, nil
}

// validEmail accepts a bare addr-spec: no display name, no angle brackets, no
// comments, nothing that net/mail would silently rewrite.
func validEmail(s string) (string, error) {
	if !plainAddrSpec(s) && !netMailBare(s) {
		return "", fmt.Errorf("invalid e-mail address %s", quote(s))
	}
	return s, nil
}

func validTitle(s string) (string, error) {
	switch u := strings.ToUpper(s); u {
	case "MR", "MRS", "MS", "DR":
		return u, nil
	}
	return "", fmt.Errorf("invalid title %s (want MR, MRS, MS or DR)", quote(s))
}

// validCountry requires an ISO 3166-1 alpha-2 code; names and alpha-3 codes
// need the `country` transform.
func validCountry(s string) (string, error) {
	if u := strings.ToUpper(s); alpha2[u] {
		return u, nil
	}
	return "", fmt.Errorf("invalid country %s (want an ISO 3166-1 alpha-2 code such as DE)", quote(s))
}

func validCurrency(s string) (string, error) {
	if u := strings.ToUpper(s); len(u) == 3 && currency.IsValid(u) {
		return u, nil
	}
	return "", fmt.Errorf("invalid currency %s (want an ISO 4217 code such as EUR)", quote(s))
}

// checked is a validator's verdict on one value.
type checked struct {
	v   string
	err error
}

// memo caches a pure validator's verdicts for the first values it sees: a
// file holds a handful of distinct languages, and parsing one costs far more
// than the lookup. Safe for concurrent use; bounded, so a file of distinct
// values costs a lookup per row and nothing more.
type memo struct {
	check validator
	seen  sync.Map // string → checked
	n     atomic.Int32
}

const memoSize = 256

func (m *memo) get(s string) (string, error) {
	if c, ok := m.seen.Load(s); ok {
		c := c.(checked)
		return c.v, c.err
	}
	v, err := m.check(s)
	if m.n.Load() < memoSize {
		m.n.Add(1)
		key := strings.Clone(s) // s (and a v that is s) may pin a whole input record
		if v == s {
			v = key
		}
		m.seen.Store(key, checked{v, err})
	}
	return v, err
}

var languageMemo = &memo{check: parseLanguage}

// validLanguage accepts a language with an optional country, written de_DE,
// de-DE or de, and returns it as Emporix writes it: de_DE or de.
func validLanguage(s string) (string, error) { return languageMemo.get(s) }

func parseLanguage(s string) (string, error) {
	bad := func() (string, error) {
		return "", fmt.Errorf("invalid language %s (want e.g. de_DE or en)", quote(s))
	}
	lang, reg, ok := splitLanguage(s)
	if !ok {
		return bad()
	}
	base, err := language.ParseBase(lang)
	if err != nil || base.String() == "und" || isPrivateUseLanguage(base.String()) {
		return bad()
	}
	if reg == "" {
		return base.String(), nil
	}
	region, err := language.ParseRegion(reg)
	if err != nil || !region.IsCountry() {
		return bad()
	}
	b, r := base.String(), region.String()
	if len(s) == len(b)+1+len(r) && s[:len(b)] == b && s[len(b)] == '_' && s[len(b)+1:] == r {
		return s, nil // already as Emporix writes it: no new string for every row
	}
	return b + "_" + r, nil
}

// splitLanguage matches ^([A-Za-z]{2,3})(?:[-_]([A-Za-z]{2}))?$ without a
// regexp (it runs on every row): a language of 2-3 letters, then optionally
// - or _ and a region of 2 letters.
func splitLanguage(s string) (lang, region string, ok bool) {
	n := 0
	for n < len(s) && n < 4 && asciiLetter(s[n]) {
		n++
	}
	switch {
	case n == len(s) && (n == 2 || n == 3):
		return s, "", true
	case n < 2 || n > 3 || s[n] != '-' && s[n] != '_' || len(s) != n+3:
		return "", "", false
	case asciiLetter(s[n+1]) && asciiLetter(s[n+2]):
		return s[:n], s[n+1:], true
	}
	return "", "", false
}

func asciiLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// isPrivateUseLanguage reports ISO 639 private-use codes (qaa-qtz), which
// x/text parses but which name no language.
func isPrivateUseLanguage(b string) bool {
	return len(b) == 3 && b[0] == 'q' && b[1] >= 'a' && b[1] <= 't'
}

func validBool(s string) (string, error) {
	switch strings.ToLower(s) {
	case "true", "1", "yes", "y":
		return "true", nil
	case "false", "0", "no", "n":
		return "false", nil
	}
	return "", fmt.Errorf("invalid boolean %s (want true/false, yes/no, y/n or 1/0)", quote(s))
}

// validAddressID applies the customer-number rule to an address key: the
// API documents no rule of its own for custom address ids.
func validAddressID(s string) (string, error) {
	if _, err := validCustomerNumber(s); err != nil {
		return "", fmt.Errorf("invalid address id %s (want 1-66 letters, digits, _ or -)", quote(s))
	}
	return s, nil
}

func validCustomerType(s string) (string, error) {
	switch u := strings.ToUpper(s); u {
	case "CUSTOMER", "CONTACT":
		return u, nil
	}
	return "", fmt.Errorf("invalid type %s (want CUSTOMER or CONTACT)", quote(s))
}

// validURL accepts an absolute http(s) URL with a host.
func validURL(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.ContainsAny(s, " \t\n") {
		return "", fmt.Errorf("invalid URL %s (want an absolute http:// or https:// address)", quote(s))
	}
	return s, nil
}

var numberRE = regexp.MustCompile(`^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$`)

// validNumber accepts a decimal number (no hex, Inf or NaN, no thousands
// separators) and writes it the shortest way JSON can carry it.
func validNumber(s string) (string, error) {
	f, err := strconv.ParseFloat(s, 64)
	if !numberRE.MatchString(s) || err != nil {
		return "", fmt.Errorf("invalid number %s (want e.g. 42 or 3.5)", quote(s))
	}
	return strconv.FormatFloat(f, 'f', -1, 64), nil
}

// validDate accepts an ISO date; other layouts need the date:<layout> transform.
func validDate(s string) (string, error) {
	if _, err := time.Parse(time.DateOnly, s); err != nil {
		return "", fmt.Errorf("invalid date %s (want YYYY-MM-DD, or add transform date:<layout>)", quote(s))
	}
	return s, nil
}

// kindCheck is the offline check of a mixin value by its declared kind.
func kindCheck(k Kind) validator {
	switch k {
	case KindNumber:
		return validNumber
	case KindBool:
		return validBool
	case KindDate:
		return validDate
	}
	return nil
}
