package mapping

import (
	"fmt"
	"regexp"
	"strings"
)

// zipFormat is the postal code format of one country.
type zipFormat struct {
	re     *regexp.Regexp
	want   string // the format in words, for the warning
	digits int    // > 0: all-digit codes of this length that may start with 0 (a shorter one lost its zeros)
	// n > 0: re is n ASCII digits (the first not 0 if noZero), matched
	// without the regexp: it runs on every address.
	n      int
	noZero bool
}

// match reports whether zip has the format.
func (f zipFormat) match(zip string) bool {
	if f.n == 0 {
		return f.re.MatchString(zip)
	}
	if len(zip) != f.n || f.noZero && zip[0] == '0' {
		return false
	}
	for i := 0; i < len(zip); i++ {
		if zip[i] < '0' || zip[i] > '9' {
			return false
		}
	}
	return true
}

// zipFormats covers the countries most imports carry. A mismatch is a
// warning, not an error: postal systems change and the shop may know better.
var zipFormats = map[string]zipFormat{
	"DE": {regexp.MustCompile(`^\d{5}$`), "5 digits", 5, 5, false},
	"AT": {regexp.MustCompile(`^[1-9]\d{3}$`), "4 digits", 0, 4, true},
	"CH": {regexp.MustCompile(`^[1-9]\d{3}$`), "4 digits", 0, 4, true},
	"FR": {regexp.MustCompile(`^\d{5}$`), "5 digits", 5, 5, false},
	"IT": {regexp.MustCompile(`^\d{5}$`), "5 digits", 5, 5, false},
	"ES": {regexp.MustCompile(`^(?:0[1-9]|[1-4]\d|5[0-2])\d{3}$`), "5 digits starting 01-52", 5, 0, false},
	"US": {regexp.MustCompile(`^\d{5}(?:-\d{4})?$`), "5 digits or ZIP+4 like 12345-6789", 5, 0, false},
	"NL": {regexp.MustCompile(`^[1-9]\d{3} ?[A-Za-z]{2}$`), "4 digits and 2 letters like 1012 AB", 0, 0, false},
	"PL": {regexp.MustCompile(`^\d{2}-\d{3}$`), "like 00-950", 0, 0, false},
	"GB": {regexp.MustCompile(`^(?i)(?:GIR ?0AA|[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2})$`), "like SW1A 1AA", 0, 0, false},
}

// ZipCountries lists the countries whose zip codes are checked.
func ZipCountries() []string {
	return []string{"DE", "AT", "CH", "FR", "NL", "GB", "US", "IT", "ES", "PL"}
}

// CheckZip returns why zip does not look like a postal code of country (an
// ISO alpha-2 code), or "" when it does or the country is not checked.
func CheckZip(country, zip string) string {
	f, ok := zipFormats[strings.ToUpper(country)]
	if !ok || f.match(zip) {
		return ""
	}
	msg := fmt.Sprintf("zip code %s does not match the format of %s (%s)", quote(zip), strings.ToUpper(country), f.want)
	if f.digits > 0 && len(zip) < f.digits && digits(zip) == zip {
		msg += fmt.Sprintf("; a spreadsheet may have dropped its leading zeros: transform pad:%d", f.digits)
	}
	return msg
}
