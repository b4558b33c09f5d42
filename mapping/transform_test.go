package mapping

import (
	"strings"
	"testing"

	"github.com/emporix-import/emporix-import/sheet"
)

func TestTransforms(t *testing.T) {
	tests := []struct {
		transform, in, want, err string
	}{
		{"trim", "  a b  ", "a b", ""},
		{"lower", "MiXeD ÄÖ", "mixed äö", ""},
		{"upper", "mixed äö", "MIXED ÄÖ", ""},
		{"digits", "+49 (0)30 / 123-45", "4903012345", ""},
		{"digits", "n/a", "", ""},
		{"strip_leading_apostrophe", "'00123", "00123", ""},
		{"strip_leading_apostrophe", "O'Brien", "O'Brien", ""},
		{"country", "de", "DE", ""},
		{"country", "DEU", "DE", ""},
		{"country", "Germany", "DE", ""},
		{"country", "Deutschland", "DE", ""},
		{"country", "Österreich", "AT", ""},
		{"country", "Schweiz", "CH", ""},
		{"country", "Frankreich", "FR", ""},
		{"country", "Niederlande", "NL", ""},
		{"country", "Italien", "IT", ""},
		{"country", "Spanien", "ES", ""},
		{"country", "Vereinigtes Königreich", "GB", ""},
		{"country", "Belgien", "BE", ""},
		{"country", "Dänemark", "DK", ""},
		{"country", "Polen", "PL", ""},
		{"country", "Tschechien", "CZ", ""},
		{"country", "Schweden", "SE", ""},
		{"country", "Norwegen", "NO", ""},
		{"country", "Luxemburg", "LU", ""},
		{"country", "Vereinigte Staaten", "US", ""},
		{"country", "vereinigte  staaten", "US", ""},
		{"country", "United Kingdom", "GB", ""},
		{"country", "United States", "US", ""},
		{"country", "Atlantis", "", `unknown country "Atlantis"`},
		{"country", "xx", "", `unknown country "xx"`},
		{"date:02.01.2006", "15.03.2024", "2024-03-15", ""},
		{"date:01-02-06", "03-15-24", "2024-03-15", ""},
		{"date:02.01.2006", "2024-03-15", "", `cannot read "2024-03-15" as a date in layout "02.01.2006"`},
	}
	for _, tt := range tests {
		t.Run(tt.transform+"/"+tt.in, func(t *testing.T) {
			tr, err := parseTransform(tt.transform)
			if err != nil {
				t.Fatal(err)
			}
			got, err := tr.apply(tt.in)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("apply(%q) error = %v, want %q", tt.in, err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("apply(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestParseTransformErrors(t *testing.T) {
	for in, want := range map[string]string{
		"titlecase": `unknown transform "titlecase"`,
		"date:":     `transform "date:" needs a Go layout`,
		"Lower":     `unknown transform "Lower"`,
	} {
		if _, err := parseTransform(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("parseTransform(%q) = %v, want %q", in, err, want)
		}
	}
}

func TestValidators(t *testing.T) {
	tests := []struct {
		field   string
		address bool
		in      string
		want    string // normalised value when err is ""
		err     string
	}{
		{"customerNumber", false, "K-0001_a", "K-0001_a", ""},
		{"customerNumber", false, strings.Repeat("9", 66), strings.Repeat("9", 66), ""},
		{"customerNumber", false, strings.Repeat("9", 67), "", `invalid customer number "` + strings.Repeat("9", 60) + `…" (want 1-66 letters, digits, _ or -)`},
		{"customerNumber", false, "K 1", "", `invalid customer number "K 1" (want 1-66 letters, digits, _ or -)`},
		{"customerNumber", false, "K/1", "", `invalid customer number "K/1" (want 1-66 letters, digits, _ or -)`},

		{"contactEmail", false, "max@example.com", "max@example.com", ""},
		{"contactEmail", false, "Max.Muster+tag@sub.example.de", "Max.Muster+tag@sub.example.de", ""},
		{"contactEmail", false, "max@", "", `invalid e-mail address "max@"`},
		{"contactEmail", false, "Max <max@example.com>", "", `invalid e-mail address "Max <max@example.com>"`},
		{"contactEmail", false, "<max@example.com>", "", `invalid e-mail address "<max@example.com>"`},
		{"contactEmail", false, "a@b.de, c@d.de", "", `invalid e-mail address "a@b.de, c@d.de"`},
		{"contactEmail", false, "max example.com", "", `invalid e-mail address "max example.com"`},

		{"title", false, "mr", "MR", ""},
		{"title", false, "Mrs", "MRS", ""},
		{"title", false, "MS", "MS", ""},
		{"title", false, "dr", "DR", ""},
		{"title", false, "Prof", "", `invalid title "Prof" (want MR, MRS, MS or DR)`},
		{"title", false, "Herr", "", `invalid title "Herr" (want MR, MRS, MS or DR)`},

		{"preferredLanguage", false, "de_DE", "de_DE", ""},
		{"preferredLanguage", false, "de-DE", "de_DE", ""},
		{"preferredLanguage", false, "EN_us", "en_US", ""},
		{"preferredLanguage", false, "en", "en", ""},
		{"preferredLanguage", false, "deu", "de", ""},
		{"preferredLanguage", false, "xx", "", `invalid language "xx" (want e.g. de_DE or en)`},
		{"preferredLanguage", false, "de-XX", "", `invalid language "de-XX" (want e.g. de_DE or en)`},
		{"preferredLanguage", false, "qaa", "", `invalid language "qaa" (want e.g. de_DE or en)`},
		{"preferredLanguage", false, "und", "", `invalid language "und" (want e.g. de_DE or en)`},
		{"preferredLanguage", false, "German", "", `invalid language "German" (want e.g. de_DE or en)`},
		{"preferredLanguage", false, "de_DE_x", "", `invalid language "de_DE_x" (want e.g. de_DE or en)`},

		{"preferredCurrency", false, "eur", "EUR", ""},
		{"preferredCurrency", false, "CHF", "CHF", ""},
		{"preferredCurrency", false, "EURO", "", `invalid currency "EURO" (want an ISO 4217 code such as EUR)`},
		{"preferredCurrency", false, "XYZ", "", `invalid currency "XYZ" (want an ISO 4217 code such as EUR)`},
		{"preferredCurrency", false, "€", "", `invalid currency "€" (want an ISO 4217 code such as EUR)`},

		{"active", false, "TRUE", "true", ""},
		{"active", false, "1", "true", ""},
		{"active", false, "Yes", "true", ""},
		{"active", false, "y", "true", ""},
		{"onHold", false, "false", "false", ""},
		{"onHold", false, "0", "false", ""},
		{"onHold", false, "NO", "false", ""},
		{"onHold", false, "n", "false", ""},
		{"onHold", false, "ja", "", `invalid boolean "ja" (want true/false, yes/no, y/n or 1/0)`},
		{"isDefault", true, "2", "", `invalid boolean "2" (want true/false, yes/no, y/n or 1/0)`},
		{"isDefault", true, "Y", "true", ""},

		{"country", true, "de", "DE", ""},
		{"country", true, "DEU", "", `invalid country "DEU" (want an ISO 3166-1 alpha-2 code such as DE)`},
		{"country", true, "Deutschland", "", `invalid country "Deutschland" (want an ISO 3166-1 alpha-2 code such as DE)`},
		{"country", true, "XX", "", `invalid country "XX" (want an ISO 3166-1 alpha-2 code such as DE)`},
		{"country", true, "DD", "", `invalid country "DD" (want an ISO 3166-1 alpha-2 code such as DE)`},
	}
	for _, tt := range tests {
		t.Run(tt.field+"/"+tt.in, func(t *testing.T) {
			check := Std().Lookup(tt.field, tt.address).Check
			if check == nil {
				t.Fatalf("no validator for %s", tt.field)
			}
			got, err := check(tt.in)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("check(%q) error = %v, want %q", tt.in, err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("check(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestFreeTextFieldsHaveNoValidator(t *testing.T) {
	for _, f := range []string{"firstName", "company", "contactPhone", "preferredSite", "b2b.companyRegistrationId"} {
		if Std().Lookup(f, false).Check != nil {
			t.Errorf("customer field %s has a validator", f)
		}
	}
	for _, f := range []string{"contactName", "street", "zipCode", "tags"} {
		if Std().Lookup(f, true).Check != nil {
			t.Errorf("address field %s has a validator", f)
		}
	}
}

func TestNormalizeCell(t *testing.T) {
	for in, want := range map[string]string{
		"  x  ":        "x",
		"'=SUM(A1)":    "=SUM(A1)",
		" '+49 30 1 ":  "+49 30 1",
		"'-5":          "-5",
		"'@home":       "@home",
		"'0049":        "'0049", // only the report's neutralisation is undone
		"'":            "'",
		"it's":         "it's",
		"''=x":         "''=x",
		"'\t=1+1":      "=1+1",
		"\t'=1+1\t":    "=1+1",
		"":             "",
		"   ":          "",
		"'=":           "=",
		"=already raw": "=already raw",
	} {
		if got := normalizeCell(in); got != want {
			t.Errorf("normalizeCell(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestNormalizeCellShortcut: the shortcut for cells with nothing to trim or
// undo agrees with the full rule for every byte at either end.
func TestNormalizeCellShortcut(t *testing.T) {
	full := func(s string) string {
		if u := sheet.Unneutralise(s); u != s {
			return strings.TrimSpace(u)
		}
		return sheet.Unneutralise(strings.TrimSpace(s))
	}
	for c := range 256 {
		b := string([]byte{byte(c)})
		for _, s := range []string{b, b + "x", "x" + b, b + "=1", b + "'=1" + b, "'" + b, b + "\u00a0", "\u3000" + b} {
			if got, want := normalizeCell(s), full(s); got != want {
				t.Errorf("normalizeCell(%q) = %q, want %q", s, got, want)
			}
		}
	}
}
