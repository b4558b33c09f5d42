package mapping

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/biter777/countries"
)

// Transform is one step of a field's `transform:` list.
type Transform struct {
	Name   string         // trim, lower, upper, country, digits, strip_leading_apostrophe, date, pad, line, split_street, name_first, name_last, replace
	Layout string         // date: Go reference layout of the input
	N      int            // pad: width; line: 1-based line number
	Part   string         // split_street: "street" or "number"
	re     *regexp.Regexp // replace
	repl   string         // replace: replacement ($1 refers to a group)
	src    string         // as written, for String
}

// TransformNames lists the transforms a mapping file may use.
var TransformNames = []string{
	"trim", "lower", "upper", "country", "digits", "strip_leading_apostrophe", "date:<layout>",
	"pad:<N>", "line:<N>", "split_street", "name_first", "name_last", "replace:/<regexp>/<replacement>/",
}

// parseTransform parses one transform name as written in a mapping file.
func parseTransform(s string) (Transform, error) {
	name, arg, hasArg := strings.Cut(s, ":")
	t := Transform{Name: name, src: s}
	switch {
	case name == "date" && hasArg:
		if strings.TrimSpace(arg) == "" {
			return Transform{}, errors.New(`transform "date:" needs a Go layout, e.g. "date:02.01.2006"`)
		}
		t.Layout = arg
		return t, nil
	case (name == "pad" || name == "line") && hasArg:
		n, err := strconv.Atoi(strings.TrimSpace(arg))
		if err != nil || n < 1 || n > 64 {
			return Transform{}, fmt.Errorf("transform %q needs a number from 1 to 64, e.g. %q", s, name+":5")
		}
		t.N = n
		return t, nil
	case name == "replace" && hasArg:
		return parseReplace(s, arg)
	case name == "split_street" && hasArg:
		if arg != "street" && arg != "number" {
			return Transform{}, fmt.Errorf("transform %q: want split_street, split_street:street or split_street:number", s)
		}
		t.Part = arg
		return t, nil
	case hasArg:
	case slices.Contains([]string{"trim", "lower", "upper", "country", "digits", "strip_leading_apostrophe",
		"split_street", "name_first", "name_last"}, name):
		return t, nil
	}
	return Transform{}, fmt.Errorf("unknown transform %q (known: %s)", s, strings.Join(TransformNames, ", "))
}

// parseReplace reads `replace:/re/repl/`. The first character after
// "replace:" is the delimiter (like sed), so `replace:|/|-|` works too; a
// backslash before the delimiter makes it literal.
func parseReplace(s, arg string) (Transform, error) {
	bad := func(why string) (Transform, error) {
		return Transform{}, fmt.Errorf("transform %q: %s (want replace:/regexp/replacement/)", s, why)
	}
	d, size := utf8.DecodeRuneInString(arg)
	if size == 0 || d == '\\' || unicode.IsSpace(d) || unicode.IsLetter(d) || unicode.IsDigit(d) {
		return bad("needs a delimiter such as /")
	}
	parts := splitUnescaped(arg[size:], d)
	if len(parts) != 3 || parts[2] != "" {
		return bad("needs exactly three delimiters")
	}
	if parts[0] == "" {
		return bad("empty regexp")
	}
	re, err := regexp.Compile(parts[0])
	if err != nil {
		return bad(err.Error())
	}
	return Transform{Name: "replace", re: re, repl: parts[1], src: s}, nil
}

// splitUnescaped splits s on d, turning an escaped delimiter into the plain
// delimiter and keeping every other backslash for the regexp.
func splitUnescaped(s string, d rune) []string {
	var parts []string
	var b strings.Builder
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		switch {
		case rs[i] == '\\' && i+1 < len(rs) && rs[i+1] == d:
			b.WriteRune(d)
			i++
		case rs[i] == d:
			parts = append(parts, b.String())
			b.Reset()
		default:
			b.WriteRune(rs[i])
		}
	}
	return append(parts, b.String())
}

func (t Transform) String() string {
	if t.src != "" {
		return t.src
	}
	return t.Name
}

// apply runs the transform on a non-empty value. An empty result means "no value".
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
	case "pad":
		return pad(s, t.N), nil
	case "line":
		return line(s, t.N), nil
	case "split_street":
		street, number := SplitStreet(s)
		if t.Part == "number" {
			return number, nil
		}
		return street, nil
	case "name_first", "name_last":
		first, last := SplitName(s)
		if t.Name == "name_first" {
			return first, nil
		}
		return last, nil
	case "replace":
		return strings.TrimSpace(t.re.ReplaceAllString(s, t.repl)), nil
	}
	panic("mapping: unhandled transform " + t.Name) // parseTransform admits no other names
}

// pad left-pads a value of digits only with zeros to n digits: spreadsheets
// turn the zip 01067 into the number 1067. Anything else (a UK postcode, a
// longer value) passes unchanged; the zip-code check then warns about it.
func pad(s string, n int) string {
	if s == "" || len(s) >= n || digits(s) != s {
		return s
	}
	return strings.Repeat("0", n-len(s)) + s
}

// line returns the nth line (from 1) of a multi-line cell, trimmed; "" when
// the cell has fewer lines. Magento exports a street's lines in one cell.
func line(s string, n int) string {
	lines := strings.FieldsFunc(strings.ReplaceAll(s, "\r\n", "\n"), func(r rune) bool { return r == '\n' || r == '\r' })
	if n > len(lines) {
		return ""
	}
	return strings.TrimSpace(lines[n-1])
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
