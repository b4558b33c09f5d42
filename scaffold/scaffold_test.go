package scaffold

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/emporix-import/emporix-import/mapping"
	"github.com/emporix-import/emporix-import/sheet"
)

// matchesOf renders matches as "Column → field" for comparison.
func matchesOf(ms []Match) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Column + " → " + m.Field
	}
	return out
}

// invalidRows validates input with a generated mapping and returns the
// spreadsheet rows that are invalid.
func invalidRows(t *testing.T, input, yml string) []int {
	t.Helper()
	m, err := mapping.Parse("generated.yaml", []byte(yml))
	if err != nil {
		t.Fatalf("generated mapping does not load: %v\n%s", err, yml)
	}
	var invalid []int
	err = runFile(context.Background(), input, m, func(g *mapping.Group) error {
		for _, r := range g.Rows {
			if len(r.Errors) > 0 || len(g.Errors) > 0 {
				invalid = append(invalid, r.Num)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("generated mapping does not validate %s: %v\n%s", input, err, yml)
	}
	return invalid
}

func TestGenerateOnRealHeaders(t *testing.T) {
	tests := []struct {
		input     string
		key       string
		matches   []string
		unmatched []string
		invalid   []int // as with the curated mapping in samples/mappings
	}{
		{"../samples/shopify-export.csv", mapping.MatchCustomerNumber, []string{
			"Customer ID → customerNumber", "Email → contactEmail", "First Name → firstName", "Last Name → lastName",
			"Phone → contactPhone", "Default Address Company → company",
			"First Name → address.contactName", "Last Name → address.contactName",
			"Default Address Company → address.companyName",
			"Default Address Address1 → address.street", "Default Address Address1 → address.streetNumber",
			"Default Address Address2 → address.streetAppendix", "Default Address Zip → address.zipCode",
			"Default Address City → address.city", "Default Address Province Code → address.state",
			"Default Address Country Code → address.country", "Default Address Phone → address.contactPhone",
		}, []string{"Accepts Email Marketing", "Accepts SMS Marketing", "Total Spent", "Total Orders", "Note", "Tax Exempt", "Tags"},
			[]int{12}},
		{"../samples/erp-export.csv", mapping.MatchCustomerNumber, []string{
			"Kundennummer → customerNumber", "E-Mail → contactEmail", "Anrede → title", "Vorname → firstName",
			"Nachname → lastName", "Telefon → contactPhone", "Firma → company", "Währung → preferredCurrency",
			"USt-IdNr → b2b.companyRegistrationId", "Aktiv → active",
			"Vorname → address.contactName", "Nachname → address.contactName", "Firma → address.companyName",
			"Straße → address.street", "Hausnummer → address.streetNumber", "PLZ → address.zipCode", "Ort → address.city",
			"Land → address.country", "Telefon → address.contactPhone", "Adressart → address.tags",
		}, nil, []int{16, 26}},
		{"../samples/hybris-customers.csv", mapping.MatchContactEmail, []string{
			"customerID → customerNumber", "uid → contactEmail", "title → title", "name → firstName", "name → lastName",
			"sessionLanguage → preferredLanguage", "sessionCurrency → preferredCurrency",
		}, []string{"passwordEncoding", "encodedPassword"}, []int{7}}, // passwords: see preset:hybris
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.input), func(t *testing.T) {
			res, err := Generate(context.Background(), tt.input, "")
			if err != nil {
				t.Fatal(err)
			}
			if got := matchesOf(res.Matches); !slices.Equal(got, tt.matches) {
				t.Errorf("matches\n got %q\nwant %q", got, tt.matches)
			}
			if !slices.Equal(res.Unmatched, tt.unmatched) || res.Match != tt.key {
				t.Errorf("unmatched %q (want %q), key %s (want %s)", res.Unmatched, tt.unmatched, res.Match, tt.key)
			}
			if got := invalidRows(t, tt.input, res.YAML); !slices.Equal(got, tt.invalid) {
				t.Errorf("invalid rows %v, want %v\n%s", got, tt.invalid, res.YAML)
			}
			for _, c := range tt.unmatched {
				if !strings.Contains(res.YAML, "\n#   "+c+"\n") {
					t.Errorf("unmatched column %q is not listed as a comment", c)
				}
			}
		})
	}
}

// Headers as other German ERPs and English tools write them.
func TestGenerateSynonymsAndContent(t *testing.T) {
	tests := []struct {
		name, csv string
		matches   []string
		unmatched []string
	}{
		{"german ERP", "Kunden-Nr.;Anrede;Vorname;Nachname;Firmenname;E-Mail-Adresse;Telefonnummer;Straße und Hausnummer;Adresszusatz;Postleitzahl;Wohnort;Bundesland;Land;Umsatzsteuer-ID;Sprache;Bemerkung\n" +
			"K-1;Herr;Max;Muster;;max@example.de;030 1;Torstraße 112a;Hinterhaus;10119;Berlin;BE;DE;;de;VIP\n" +
			"K-2;Frau;Eva;Ost;Ost AG;eva@example.at;;Stephansplatz 1;;1010;Wien;;AT;ATU123;de;\n",
			[]string{"Kunden-Nr. → customerNumber", "E-Mail-Adresse → contactEmail", "Anrede → title", "Vorname → firstName",
				"Nachname → lastName", "Telefonnummer → contactPhone", "Firmenname → company", "Sprache → preferredLanguage",
				"Umsatzsteuer-ID → b2b.companyRegistrationId",
				"Vorname → address.contactName", "Nachname → address.contactName", "Firmenname → address.companyName",
				"Straße und Hausnummer → address.street", "Straße und Hausnummer → address.streetNumber",
				"Adresszusatz → address.streetAppendix", "Postleitzahl → address.zipCode", "Wohnort → address.city",
				"Bundesland → address.state", "Land → address.country", "Telefonnummer → address.contactPhone"},
			[]string{"Bemerkung"}},
		{"english CRM", "Email Address,First Name,Surname,Zip,Town,Country Code,Mobile\n" +
			"a@example.com,Ann,Lee,02108,Boston,US,+1 617\n",
			[]string{"Email Address → contactEmail", "First Name → firstName", "Surname → lastName", "Mobile → contactPhone",
				"First Name → address.contactName", "Surname → address.contactName", "Zip → address.zipCode",
				"Town → address.city", "Country Code → address.country", "Mobile → address.contactPhone"}, nil},
		{"content only", "Spalte1\tSpalte2\tSpalte3\tSpalte4\tKommentar\n" +
			"anna@example.de\tAnna Berg\t01067\tDE\tx y\n" +
			"ben@example.at\tBen Ohr\t1010\tAT\t\n",
			[]string{"Spalte1 → contactEmail", "Spalte4 → address.country", "Spalte3 → address.zipCode"},
			[]string{"Spalte2", "Kommentar"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := filepath.Join(t.TempDir(), "in.csv")
			if err := os.WriteFile(in, []byte(tt.csv), 0o644); err != nil {
				t.Fatal(err)
			}
			res, err := Generate(context.Background(), in, "")
			if tt.name == "content only" {
				// Addresses need a contact name; without one only the customer is mapped.
				if err != nil || !strings.Contains(res.YAML, "contact name Emporix requires") {
					t.Fatalf("Generate = %v\n%v", err, res)
				}
				tt.matches = tt.matches[:1]
				tt.unmatched = []string{"Spalte2", "Spalte3", "Spalte4", "Kommentar"}
			} else if err != nil {
				t.Fatal(err)
			}
			if got := matchesOf(res.Matches); !slices.Equal(got, tt.matches) {
				t.Errorf("matches\n got %q\nwant %q\n%s", got, tt.matches, res.YAML)
			}
			if !slices.Equal(res.Unmatched, tt.unmatched) {
				t.Errorf("unmatched %q, want %q", res.Unmatched, tt.unmatched)
			}
			if got := invalidRows(t, in, res.YAML); len(got) > 0 {
				t.Errorf("invalid rows %v\n%s", got, res.YAML)
			}
		})
	}
}

func TestByContent(t *testing.T) {
	tests := []struct {
		samples []string
		want    string
	}{
		{[]string{"a@b.de", "c@d.at", "e@f.ch", "g@h.fr", "oops"}, fEmail},
		{[]string{"a@b.de", "oops", "nope"}, ""},
		{[]string{"DE", "at", "CH", "NL"}, aCountry},
		{[]string{"Germany", "Austria"}, ""}, // names are too easily other words; only codes are sniffed
		{[]string{"01067", "1010", "'10999", "1012 AB", "SW1A 1AA", "00-950", "02108-1234"}, aZip},
		{[]string{"1", "2", "3"}, ""},
		{[]string{"7412339261563"}, ""},
		{nil, ""},
	}
	for _, tt := range tests {
		if got, _ := byContent(&column{name: "x", samples: tt.samples}); got != tt.want {
			t.Errorf("byContent(%q) = %q, want %q", tt.samples, got, tt.want)
		}
	}
}

func TestNoKey(t *testing.T) {
	in := filepath.Join(t.TempDir(), "in.csv")
	if err := os.WriteFile(in, []byte("Vorname,Nachname\nMax,Muster\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Generate(context.Background(), in, ""); !errors.Is(err, ErrNoKey) {
		t.Errorf("Generate = %v, want ErrNoKey", err)
	}
}

func TestFromPreset(t *testing.T) {
	res, err := Generate(context.Background(), "../samples/shopify-export.csv", "shopify")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"Customer ID", "Accepts Email Marketing", "Accepts SMS Marketing", "Total Spent", "Total Orders", "Note", "Tax Exempt", "Tags"}
	if !slices.Equal(res.Unmatched, want) {
		t.Errorf("unmatched %q, want %q", res.Unmatched, want)
	}
	if got := invalidRows(t, "../samples/shopify-export.csv", res.YAML); !slices.Equal(got, []int{12}) {
		t.Errorf("invalid rows %v", got)
	}
	res, err = Generate(context.Background(), "../samples/shopify-export.csv", "erp-de")
	if err == nil || !strings.Contains(err.Error(), "lacks columns the preset erp-de reads: Kundennummer, Anrede") ||
		!strings.Contains(res.YAML, "#   Kundennummer\n") {
		t.Errorf("erp-de on a Shopify file: %v", err)
	}
	if _, err := Generate(context.Background(), "../samples/shopify-export.csv", "nope"); err == nil || !strings.Contains(err.Error(), `unknown preset "nope"`) {
		t.Errorf("unknown preset: %v", err)
	}
}

func TestQuoteRoundTrips(t *testing.T) {
	for _, s := range []string{"E-Mail", "Währung", "title(code)", "yes", "No", "null", "line:1", "a, b", "[x]", "#c", "x: y",
		"'01067", "trailing ", " leading", "Straße", "1", "true", "_email", "a\"b", "Tab\there", "{x}", "@at", "&anchor", "*alias", "!tag", "%p", "|", ">"} {
		var got string
		if err := yaml.Unmarshal([]byte("k: ["+q(s)+"]\nv: "+q(s)), &struct {
			K *[]string `yaml:"k"`
			V *string   `yaml:"v"`
		}{K: &[]string{}, V: &got}); err != nil || got != s {
			t.Errorf("q(%q) = %s reads back as %q, %v", s, q(s), got, err)
		}
	}
}

func TestNorm(t *testing.T) {
	for in, want := range map[string]string{
		"E-Mail": "email", "Straße": "strasse", "Währung": "waehrung", "title(code)": "titlecode",
		"  Default Address Zip ": "defaultaddresszip", "_address_default_billing_": "addressdefaultbilling", "USt-IdNr.": "ustidnr",
	} {
		if got := norm(in); got != want {
			t.Errorf("norm(%q) = %q, want %q", in, got, want)
		}
	}
}

// runFile maps and groups a whole file, handing each customer to emit.
func runFile(ctx context.Context, file string, m *mapping.Mapping, emit func(*mapping.Group) error) error {
	opts := m.SheetOptions()
	idx, err := mapping.Prepare(ctx, file, func() (sheet.Reader, error) { return sheet.Open(file, opts) }, m)
	if err != nil {
		return err
	}
	return idx.Emit(ctx, emit)
}
