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
}

// zipFormats covers the countries most imports carry. A mismatch is a
// warning, not an error: postal systems change and the shop may know better.
var zipFormats = map[string]zipFormat{
	"DE": {regexp.MustCompile(`^\d{5}$`), "5 digits", 5},
	"AT": {regexp.MustCompile(`^[1-9]\d{3}$`), "4 digits", 0},
	"CH": {regexp.MustCompile(`^[1-9]\d{3}$`), "4 digits", 0},
	"FR": {regexp.MustCompile(`^\d{5}$`), "5 digits", 5},
	"IT": {regexp.MustCompile(`^\d{5}$`), "5 digits", 5},
	"ES": {regexp.MustCompile(`^(?:0[1-9]|[1-4]\d|5[0-2])\d{3}$`), "5 digits starting 01-52", 5},
	"US": {regexp.MustCompile(`^\d{5}(?:-\d{4})?$`), "5 digits or ZIP+4 like 12345-6789", 5},
	"NL": {regexp.MustCompile(`^[1-9]\d{3} ?[A-Za-z]{2}$`), "4 digits and 2 letters like 1012 AB", 0},
	"PL": {regexp.MustCompile(`^\d{2}-\d{3}$`), "like 00-950", 0},
	"GB": {regexp.MustCompile(`^(?i)(?:GIR ?0AA|[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2})$`), "like SW1A 1AA", 0},
}

// ZipCountries lists the countries whose zip codes are checked.
func ZipCountries() []string {
	return []string{"DE", "AT", "CH", "FR", "NL", "GB", "US", "IT", "ES", "PL"}
}

// CheckZip returns why zip does not look like a postal code of country (an
// ISO alpha-2 code), or "" when it does or the country is not checked.
func CheckZip(country, zip string) string {
	f, ok := zipFormats[strings.ToUpper(country)]
	if !ok || f.re.MatchString(zip) {
		return ""
	}
	msg := fmt.Sprintf("zip code %s does not match the format of %s (%s)", quote(zip), strings.ToUpper(country), f.want)
	if f.digits > 0 && len(zip) < f.digits && digits(zip) == zip {
		msg += fmt.Sprintf("; a spreadsheet may have dropped its leading zeros: transform pad:%d", f.digits)
	}
	return msg
}
