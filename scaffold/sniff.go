package scaffold

import (
	"net/mail"
	"regexp"
	"slices"
	"strings"

	"github.com/emporix-import/emporix-import/mapping"
)

// column is one input column with a sample of its non-empty cells.
type column struct {
	name    string
	samples []string
	rows    int // rows sampled, blank cells included
}

// full reports whether every sampled row has this cell.
func (c *column) full() bool { return len(c.samples) == c.rows }

// share returns the fraction of samples for which ok holds (0 without samples).
func (c *column) share(ok func(string) bool) float64 {
	if len(c.samples) == 0 {
		return 0
	}
	n := 0
	for _, s := range c.samples {
		if ok(s) {
			n++
		}
	}
	return float64(n) / float64(len(c.samples))
}

// distinctLower returns the distinct lower-cased sample values, sorted.
func (c *column) distinctLower() []string {
	var out []string
	for _, s := range c.samples {
		if l := strings.ToLower(s); !slices.Contains(out, l) {
			out = append(out, l)
		}
	}
	slices.Sort(out)
	return out
}

func isEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Name == "" && a.Address == s
}

func isAlpha2(s string) bool {
	c, ok := mapping.CountryCode(s)
	return ok && strings.EqualFold(c, s)
}

func isCountry(s string) bool {
	_, ok := mapping.CountryCode(s)
	return ok && len(s) >= 2
}

// zipRE matches postal codes of the common formats (4-5 digits, ZIP+4,
// Dutch, Polish, British), optionally behind the apostrophe some exports add.
var zipRE = regexp.MustCompile(`^'?(?:\d{4,5}(?:-\d{4})?|[1-9]\d{3} ?[A-Za-z]{2}|\d{2}-\d{3}|[A-Za-z]{1,2}\d[A-Za-z\d]? ?\d[A-Za-z]{2})$`)

func isZip(s string) bool { return zipRE.MatchString(s) }

// byContent guesses the field of a column its name did not reveal: e-mail
// addresses, country codes or names, zip codes. Most sampled cells must agree.
func byContent(c *column) (field, why string) {
	const enough = 0.8 // a few bad cells must not hide a column
	switch {
	case len(c.samples) == 0:
		return "", ""
	case c.share(isEmail) >= enough:
		return fEmail, "its cells are e-mail addresses"
	case c.share(isCountry) >= enough && c.share(func(s string) bool { return len(s) <= 3 }) >= enough:
		return aCountry, "its cells are country codes"
	case c.share(isZip) >= enough && c.share(func(s string) bool { return len(strings.Trim(s, "'")) >= 4 }) >= enough:
		return aZip, "its cells are zip codes"
	}
	return "", ""
}

// titleValues maps the salutations found in a column to Emporix titles.
var titleValues = map[string]string{
	"herr": "MR", "hr.": "MR", "hr": "MR", "frau": "MRS", "fr.": "MRS", "fr": "MRS", "mr": "MR", "mr.": "MR",
	"mrs": "MRS", "mrs.": "MRS", "ms": "MS", "ms.": "MS", "miss": "MS", "dr": "DR", "dr.": "DR",
	"mister": "MR", "madame": "MRS", "mme": "MRS", "m.": "MR", "monsieur": "MR",
}

// boolValues maps yes/no words the validator does not know.
var boolValues = map[string]string{
	"ja": "true", "nein": "false", "wahr": "true", "falsch": "false", "x": "true", "aktiv": "true", "inaktiv": "false",
}

// tagValues maps address kinds to the Emporix tags.
var tagValues = map[string]string{
	"rechnung": "BILLING", "rechnungsadresse": "BILLING", "billing": "BILLING", "invoice": "BILLING",
	"lieferung": "SHIPPING", "lieferadresse": "SHIPPING", "shipping": "SHIPPING", "delivery": "SHIPPING",
}

// valuesFor returns the `values:` a column needs for field, from its samples.
func valuesFor(field string, c *column) map[string]string {
	var table map[string]string
	switch field {
	case fTitle:
		table = titleValues
	case fActive, fOnHold, aIsDefault:
		table = boolValues
	case aTags:
		table = tagValues
	default:
		return nil
	}
	out := map[string]string{}
	for _, v := range c.distinctLower() {
		parts := []string{v}
		if field == aTags {
			parts = strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ';' || r == '|' })
		}
		for _, p := range parts {
			p = strings.TrimSpace(p)
			if to, ok := table[p]; ok && !strings.EqualFold(p, to) {
				out[p] = to
			}
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// tagSplit returns the separator a tags column uses between several kinds.
func tagSplit(c *column) string {
	for _, sep := range []string{",", ";", "|"} {
		if c.share(func(s string) bool { return strings.Contains(s, sep) }) > 0 {
			return sep
		}
	}
	return ""
}
