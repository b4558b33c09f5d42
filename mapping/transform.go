package mapping

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/biter777/countries"
)

// Transform is one step of a field's `transform:` list.
type Transform struct {
	Name   string // trim, lower, upper, country, digits, strip_leading_apostrophe, date
	Layout string // date: Go reference layout of the input
}

// TransformNames lists the transforms a mapping file may use ("date:<layout>" takes a Go layout).
var TransformNames = []string{"trim", "lower", "upper", "country", "digits", "strip_leading_apostrophe", "date:<layout>"}

// parseTransform parses one transform name as written in a mapping file.
func parseTransform(s string) (Transform, error) {
	if layout, ok := strings.CutPrefix(s, "date:"); ok {
		if strings.TrimSpace(layout) == "" {
			return Transform{}, errors.New(`transform "date:" needs a Go layout, e.g. "date:02.01.2006"`)
		}
		return Transform{Name: "date", Layout: layout}, nil
	}
	switch s {
	case "trim", "lower", "upper", "country", "digits", "strip_leading_apostrophe":
		return Transform{Name: s}, nil
	}
	return Transform{}, fmt.Errorf("unknown transform %q (known: %s)", s, strings.Join(TransformNames, ", "))
}

func (t Transform) String() string {
	if t.Name == "date" {
		return "date:" + t.Layout
	}
	return t.Name
}

// apply runs the transform on a non-empty value.
func (t Transform) apply(s string) (string, error) {
	switch t.Name {
	case "trim":
		return strings.TrimSpace(s), nil
	case "lower":
		return strings.ToLower(s), nil
	case "upper":
		return strings.ToUpper(s), nil
	case "digits":
		return digits(s), nil
	case "strip_leading_apostrophe":
		return strings.TrimPrefix(s, "'"), nil
	case "country":
		if c, ok := CountryCode(s); ok {
			return c, nil
		}
		return "", fmt.Errorf("unknown country %s", quote(s))
	case "date":
		d, err := time.Parse(t.Layout, s)
		if err != nil {
			return "", fmt.Errorf("cannot read %s as a date in layout %q", quote(s), t.Layout)
		}
		return d.Format(time.DateOnly), nil
	}
	panic("mapping: unhandled transform " + t.Name) // parseTransform admits no other names
}

func digits(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= '0' && c <= '9' {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// alpha2 holds every ISO 3166-1 alpha-2 code the countries package knows.
var alpha2 = func() map[string]bool {
	m := make(map[string]bool, 260)
	for _, c := range countries.All() {
		if a := c.Alpha2(); len(a) == 2 {
			m[a] = true
		}
	}
	return m
}()

// germanCountries adds German names the countries package lacks (it already
// knows most, e.g. Deutschland, Österreich, Vereinigtes Königreich).
var germanCountries = map[string]string{
	"VEREINIGTE STAATEN": "US", "VEREINIGTE STAATEN VON AMERIKA": "US", "USA": "US",
	"SCHWEIZ": "CH", "DEUTSCHLAND": "DE", "ÖSTERREICH": "AT", "OESTERREICH": "AT",
	"GROSSBRITANNIEN": "GB", "GROẞBRITANNIEN": "GB", "ENGLAND": "GB", "NIEDERLANDE": "NL", "HOLLAND": "NL",
	"TSCHECHISCHE REPUBLIK": "CZ", "SÜDKOREA": "KR", "SUEDKOREA": "KR", "SÜDAFRIKA": "ZA", "SUEDAFRIKA": "ZA",
}

// CountryCode converts an ISO 3166-1 alpha-2 or alpha-3 code or an English or
// German country name (case-insensitive) to the alpha-2 code.
func CountryCode(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if len(s) > 64 { // no country name is longer; countries.ByName is quadratic in the length
		return "", false
	}
	u := strings.ToUpper(s)
	if alpha2[u] {
		return u, true
	}
	if c, ok := germanCountries[strings.Join(strings.Fields(u), " ")]; ok {
		return c, true
	}
	c := countries.ByName(s)
	if c == countries.Unknown || c == countries.None {
		return "", false
	}
	a := c.Alpha2()
	return a, alpha2[a]
}

// quote renders a cell value for a message, shortened so a huge cell does not
// drown the report.
func quote(s string) string {
	const max = 60
	if r := []rune(s); len(r) > max {
		s = string(r[:max]) + "…"
	}
	return fmt.Sprintf("%q", s)
}
