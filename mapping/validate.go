package mapping

import (
	"fmt"
	"net/mail"
	"regexp"
	"strings"

	"github.com/bojanz/currency"
	"golang.org/x/text/language"
)

// validator checks one mapped, non-empty value and returns it normalised.
type validator func(string) (string, error)

// validatorFor returns the check for a customer field (address=false) or an
// address field (address=true); nil when any text is accepted.
func validatorFor(field string, address bool) validator {
	if address {
		switch field {
		case "country":
			return validCountry
		case "isDefault":
			return validBool
		}
		return nil
	}
	switch field {
	case "customerNumber":
		return validCustomerNumber
	case "contactEmail":
		return validEmail
	case "title":
		return validTitle
	case "preferredLanguage":
		return validLanguage
	case "preferredCurrency":
		return validCurrency
	case "active", "onHold":
		return validBool
	}
	return nil
}

// clearRefusal says why the clear token cannot clear a customer field
// (address=false) or an address field (address=true), or "" when it can. A
// clear sends "" (the API's strings are not nullable), so only fields whose
// schema accepts an empty string can be cleared; the others would be refused
// by a real tenant with 400.
func clearRefusal(field string, address bool) string {
	if address {
		switch field {
		case "contactName":
			return "an address requires it"
		case "country":
			return "the API requires a 2-letter code (minLength 2)"
		case "isDefault":
			return "it is a boolean, not a text"
		case "tags":
			return "tags are removed with --tags replace"
		}
		return ""
	}
	switch field {
	case "customerNumber":
		return "it identifies the customer"
	case "contactEmail":
		return "the API does not allow unsetting it once set"
	case "preferredCurrency":
		return "the API requires a 3-letter code (minLength 3)"
	case "active", "onHold":
		return "it is a boolean, not a text"
	}
	return ""
}

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
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
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

var languageRE = regexp.MustCompile(`^([A-Za-z]{2,3})(?:[-_]([A-Za-z]{2}))?$`)

// validLanguage accepts a language with an optional country, written de_DE,
// de-DE or de, and returns it as Emporix writes it: de_DE or de.
func validLanguage(s string) (string, error) {
	bad := func() (string, error) {
		return "", fmt.Errorf("invalid language %s (want e.g. de_DE or en)", quote(s))
	}
	m := languageRE.FindStringSubmatch(s)
	if m == nil {
		return bad()
	}
	base, err := language.ParseBase(m[1])
	if err != nil || base.String() == "und" || isPrivateUseLanguage(base.String()) {
		return bad()
	}
	if m[2] == "" {
		return base.String(), nil
	}
	region, err := language.ParseRegion(m[2])
	if err != nil || !region.IsCountry() {
		return bad()
	}
	return base.String() + "_" + region.String(), nil
}

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
