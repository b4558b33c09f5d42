package mapping

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/emporix-import/emporix-import/sheet"
)

// specExample is the documented example mapping file (README).
const specExample = `input:
  sheet: Customers            # xlsx
  header_row: 1
  delimiter: ";"              # csv
  encoding: windows-1252      # csv: utf-8 | utf-16 | windows-1252 | iso-8859-1
match: customerNumber          # customerNumber (default) | contactEmail
clear_token: "#clear"          # a cell holding exactly this clears the field; empty cells never clear
customer:
  customerNumber: Kundennummer                   # shorthand: column name
  title: { column: Anrede, values: { Herr: MR, Frau: MRS } }
  contactEmail: { column: E-Mail, transform: [trim, lower] }
  preferredLanguage: { value: de_DE }            # constant
  preferredCurrency: { column: Währung, default: EUR }
  b2b.companyRegistrationId: USt-IdNr
  active: { column: Aktiv, values: { ja: true, nein: false } }
addresses:                                       # 0..n address blocks per row
  - contactName: { columns: [Vorname, Nachname], join: " " }
    street: Straße
    streetNumber: Hausnummer
    zipCode: PLZ
    city: Ort
    country: { column: Land, transform: [country] }  # ISO alpha-2 from a code or an English/German name
    tags: { column: Adressart, split: ",", values: { Rechnung: BILLING, Lieferung: SHIPPING } }
    isDefault: { value: true }
`

func mustParse(t testing.TB, src string) *Mapping {
	t.Helper()
	m, err := Parse("test.yaml", []byte(src))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return m
}

func TestParseSpecExample(t *testing.T) {
	m := mustParse(t, specExample)
	if got, want := m.SheetOptions(), (sheet.Options{Sheet: "Customers", HeaderRow: 1, Delimiter: ';', Encoding: "windows-1252"}); got != want {
		t.Errorf("SheetOptions = %+v, want %+v", got, want)
	}
	if m.Match != MatchCustomerNumber || m.ClearToken != "#clear" || m.File != "test.yaml" {
		t.Errorf("Match %q ClearToken %q File %q", m.Match, m.ClearToken, m.File)
	}
	var fields []string
	for _, f := range m.Customer {
		fields = append(fields, f.Field)
	}
	if want := []string{"customerNumber", "title", "contactEmail", "preferredLanguage", "preferredCurrency", "b2b.companyRegistrationId", "active"}; !slices.Equal(fields, want) {
		t.Errorf("customer fields %v, want %v", fields, want)
	}
	if len(m.Addresses) != 1 || len(m.Addresses[0].Fields) != 8 {
		t.Fatalf("addresses = %+v", m.Addresses)
	}
	cn := m.Addresses[0].Fields[0]
	if !slices.Equal(cn.Columns, []string{"Vorname", "Nachname"}) || cn.Join != " " || cn.Line != 17 {
		t.Errorf("contactName spec = %+v", cn)
	}
	title := m.Customer[1]
	if !reflect.DeepEqual(title.Values, map[string]string{"herr": "MR", "frau": "MRS"}) || title.Line != 10 {
		t.Errorf("title spec = %+v", title)
	}
	if lang := m.Customer[3]; lang.constant == nil || lang.constant.s != "de_DE" {
		t.Errorf("preferredLanguage constant = %+v", lang.constant)
	}
	if cur := m.Customer[4]; cur.fallback == nil || cur.fallback.s != "EUR" {
		t.Errorf("preferredCurrency default = %+v", cur.fallback)
	}
}

func TestParseOptionsOnlyMeansCanonicalColumns(t *testing.T) {
	for _, src := range []string{"", "# nothing\n", "input: { delimiter: tab, encoding: Latin1 }\nmatch: contactEmail\n"} {
		m := mustParse(t, src)
		canonical := 0
		for _, f := range Std() {
			if f.Canonical && !f.Address {
				canonical++
			}
		}
		if !m.canonical || len(m.Customer) != canonical || len(m.Addresses) != 1 {
			t.Errorf("%q: not the canonical mapping: %+v", src, m)
		}
	}
	m := mustParse(t, "input: { delimiter: tab, encoding: Latin1 }\nmatch: contactEmail\n")
	if m.Input.Delimiter != '\t' || m.Input.Encoding != "iso-8859-1" || m.Match != MatchContactEmail {
		t.Errorf("input = %+v, match %q", m.Input, m.Match)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, src string
		line      int
		msg       string
	}{
		{"unknown top key", "match: customerNumber\ncustomers:\n  customerNumber: Nr\n", 2,
			`unknown key "customers" (known: input, match, clear_token, mixin_schemas, address_mixin_schemas, customer, account, addresses)`},
		{"unknown input key", "input:\n  sheet: A\n  delimitter: ;\n", 3,
			`unknown key "delimitter" in input (known: sheet, header_row, delimiter, encoding)`},
		{"unknown customer field", "customer:\n  customerNumber: Nr\n  email: Mail\n", 3,
			`unknown customer field "email" (known: customerNumber, contactEmail,`},
		{"address field as customer field", "customer:\n  customerNumber: Nr\n  zipCode: PLZ\n", 3,
			`unknown customer field "zipCode"`},
		{"unknown address field", "customer:\n  customerNumber: Nr\naddresses:\n  - contactName: N\n    zip: PLZ\n", 5,
			`unknown address field "zip" (known: id, contactName,`},
		{"unknown spec key", "customer:\n  customerNumber: Nr\n  title: { column: Anrede, valuez: { Herr: MR } }\n", 3,
			`field "title": unknown key "valuez" (known: column, columns, join, value, default, values, split, transform, kind)`},
		{"unknown transform", "customer:\n  customerNumber: Nr\n  contactEmail:\n    column: Mail\n    transform:\n      - trim\n      - lowercase\n", 7,
			`field "contactEmail": unknown transform "lowercase" (known: trim, lower, upper, country, digits, strip_leading_apostrophe, date:<layout>, pad:<N>, line:<N>, split_street, name_first, name_last, replace:/<regexp>/<replacement>/)`},
		{"date without layout", "customer:\n  customerNumber: { column: Nr, transform: [\"date:\"] }\n", 2,
			`field "customerNumber": transform "date:" needs a Go layout`},
		{"bad match", "match: email\ncustomer:\n  customerNumber: Nr\n", 1,
			`match must be customerNumber or contactEmail, not "email"`},
		{"column and value", "customer:\n  customerNumber: Nr\n  preferredSite: { column: Site, value: main }\n", 3,
			`field "preferredSite" has both a column and a constant value; use one`},
		{"column and columns", "customer:\n  customerNumber: Nr\n  company: { column: A, columns: [B, C] }\n", 3,
			`field "company" has both column and columns; use one`},
		{"join without columns", "customer:\n  customerNumber: Nr\n  company:\n    column: A\n    join: \"-\"\n", 5,
			`field "company": join needs columns: [...]`},
		{"empty spec", "customer:\n  customerNumber: Nr\n  company: {}\n", 3,
			`field "company" needs column, columns or value`},
		{"null spec", "customer:\n  customerNumber: Nr\n  company:\n", 3,
			`field "company" needs a column name or a mapping`},
		{"values not a mapping", "customer:\n  customerNumber: Nr\n  title: { column: A, values: [Herr, MR] }\n", 3,
			`field "title": values must be a mapping such as { Herr: MR, Frau: MRS }`},
		{"values nested", "customer:\n  customerNumber: Nr\n  title:\n    column: A\n    values:\n      Herr: { x: MR }\n", 6,
			`field "title": values: "Herr" must be a single value`},
		{"values duplicate ignoring case", "customer:\n  customerNumber: Nr\n  title:\n    column: A\n    values:\n      Herr: MR\n      herr: DR\n", 7,
			`field "title": values: "herr" repeats the key on line 6 (keys are matched case-insensitively)`},
		{"duplicate field", "customer:\n  customerNumber: Nr\n  company: A\n  company: B\n", 4,
			`duplicate key "company"`},
		{"split on non-tags", "customer:\n  customerNumber: Nr\n  company: { column: A, split: \",\" }\n", 3,
			`field "company": split only applies to address tags and mixin fields of kind list`},
		{"invalid constant", "customer:\n  customerNumber: Nr\n  preferredLanguage: { value: deutsch }\n", 3,
			`field "preferredLanguage": value "deutsch": invalid language "deutsch" (want e.g. de_DE or en)`},
		{"invalid default", "customer:\n  customerNumber: Nr\n  preferredCurrency: { column: W, default: EURO }\n", 3,
			`field "preferredCurrency": default "EURO": invalid currency "EURO"`},
		{"match key unmapped", "customer:\n  contactEmail: Mail\n", 2,
			`the match key customerNumber must be mapped to a column under customer`},
		{"match key constant", "match: contactEmail\ncustomer:\n  contactEmail: { value: a@b.de }\n", 1,
			`the match key contactEmail must be mapped to a column under customer`},
		{"address without contactName", "customer:\n  customerNumber: Nr\naddresses:\n  - street: S\n", 4,
			`addresses[0] must map contactName`},
		{"addresses not a list", "customer:\n  customerNumber: Nr\naddresses:\n  contactName: N\n", 4,
			`addresses must be a list of address blocks`},
		{"header_row", "input:\n  header_row: zero\n", 2, `input.header_row must be a row number from 1, not "zero"`},
		{"delimiter", "input:\n  delimiter: ';;'\n", 2, `input.delimiter must be one character`},
		{"encoding", "input:\n  encoding: ebcdic\n", 2, `input.encoding must be utf-8, utf-16, windows-1252, iso-8859-1 or another IANA encoding name, not "ebcdic"`},
		{"empty clear token", "clear_token: \" \"\n", 1, `clear_token must not be empty`},
		{"yaml syntax", "customer:\n  customerNumber: Nr\n   title: A\n", 3, `invalid YAML: mapping values are not allowed in this context`},
		{"not a mapping", "- a\n- b\n", 1, `the mapping file must be a mapping of key: value`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("m.yaml", []byte(tt.src))
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("error %v (%T), want *ConfigError", err, err)
			}
			if ce.File != "m.yaml" || ce.Line != tt.line || !strings.Contains(ce.Msg, tt.msg) {
				t.Fatalf("got %s:%d: %s\nwant m.yaml:%d: …%s…", ce.File, ce.Line, ce.Msg, tt.line, tt.msg)
			}
			if !strings.HasPrefix(err.Error(), "m.yaml:") {
				t.Errorf("Error() = %q does not name the file", err)
			}
		})
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "erp.yaml")
	if err := os.WriteFile(path, []byte(specExample), 0o600); err != nil {
		t.Fatal(err)
	}
	m, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if m.File != path {
		t.Errorf("File = %q", m.File)
	}
	_, err = Load(filepath.Join(dir, "missing.yaml"))
	var ce *ConfigError
	if !errors.As(err, &ce) || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load(missing) = %v, want *ConfigError wrapping ErrNotExist", err)
	}
}

// TestSampleMappingsLoad keeps the shipped presets loadable.
func TestSampleMappingsLoad(t *testing.T) {
	files, _ := filepath.Glob("../samples/mappings/*.y*ml")
	if len(files) == 0 {
		t.Skip("no sample mappings yet")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			if _, err := Load(f); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func FuzzLoad(f *testing.F) {
	f.Add([]byte(specExample))
	f.Add([]byte("input: { delimiter: tab }\n"))
	f.Add([]byte("a: &a [*a]\n"))
	f.Add([]byte("customer: &c\n  customerNumber: *c\n"))
	f.Add([]byte("match: contactEmail\ncustomer:\n  contactEmail: { columns: [A, B], join: '', transform: ['date:2006'] }\naddresses:\n  - { contactName: N, tags: { value: 'a,b', split: ',' } }\n"))
	f.Add([]byte("customer:\n  customerNumber: { column: N, transform: ['pad:5', 'replace:/a(b)/$1/', 'line:2', name_last] }\naddresses:\n  - contactName: N\n    street: { column: S, transform: [split_street] }\n    tags: { columns: [{ column: B, values: { '1': BILLING } }, C], join: ',', split: ',' }\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse("fuzz.yaml", data)
		if err != nil {
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("error %v is %T, want *ConfigError", err, err)
			}
			return
		}
		// A mapping that loads must bind to its own columns.
		var header []string
		for _, fs := range m.Customer {
			header = append(header, fs.Columns...)
		}
		for _, a := range m.Addresses {
			for _, fs := range a.Fields {
				header = append(header, fs.Columns...)
			}
		}
		if _, err := m.Bind("in.csv", header); err != nil && !strings.Contains(err.Error(), "ambiguous") {
			t.Fatalf("Bind to own columns: %v", err)
		}
	})
}
