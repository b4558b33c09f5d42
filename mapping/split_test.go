package mapping

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/emporix-import/emporix-import/sheet"
)

func TestSplitStreet(t *testing.T) {
	tests := []struct{ in, street, number string }{
		// German, Austrian, Swiss: number last.
		{"Torstraße 112", "Torstraße", "112"},
		{"Torstraße 112a", "Torstraße", "112a"},
		{"Torstraße 112 a", "Torstraße", "112 a"},
		{"Hauptstr. 12-14", "Hauptstr.", "12-14"},
		{"Hauptstr. 12 - 14", "Hauptstr.", "12 - 14"},
		{"Am Markt 3/1", "Am Markt", "3/1"},
		{"Straße des 17. Juni 135", "Straße des 17. Juni", "135"},
		{"Platz der Republik 1", "Platz der Republik", "1"},
		{"1. Mai-Straße 5", "1. Mai-Straße", "5"},
		{"Greifswalder Straße 204", "Greifswalder Straße", "204"},
		{"Karl-Liebknecht-Str. 88b", "Karl-Liebknecht-Str.", "88b"},
		{"Mariahilfer Straße 12/4/7", "Mariahilfer Straße", "12/4/7"},
		{"Bahnhofstrasse 10A", "Bahnhofstrasse", "10A"},
		{"Hauptstraße Nr. 5", "Hauptstraße", "5"},
		{"  Unter   den Linden  77 ", "Unter den Linden", "77"},
		{"Marktplatz", "Marktplatz", ""},
		{"Postfach 1234", "Postfach", "1234"},
		// Dutch, Italian, Spanish, Polish: number last.
		{"Keizersgracht 123-II", "Keizersgracht", "123-II"},
		{"Damrak 1-5", "Damrak", "1-5"},
		{"Kerkstraat 12 hs", "Kerkstraat", "12 hs"},
		{"Dorpsstraat 7-A", "Dorpsstraat", "7-A"},
		{"Via Roma, 10", "Via Roma", "10"},
		{"Calle de Alcalá 45", "Calle de Alcalá", "45"},
		{"ul. Marszałkowska 10/12", "ul. Marszałkowska", "10/12"},
		// French, US, UK: number first.
		{"12 rue de la Paix", "rue de la Paix", "12"},
		{"12, rue de la Paix", "rue de la Paix", "12"},
		{"12bis rue Victor Hugo", "rue Victor Hugo", "12bis"},
		{"12 bis avenue Foch", "avenue Foch", "12 bis"},
		{"10-12 Rue Oberkampf", "Rue Oberkampf", "10-12"},
		{"1600 Pennsylvania Ave NW", "Pennsylvania Ave NW", "1600"},
		{"350 5th Avenue", "5th Avenue", "350"},
		{"10 Downing Street", "Downing Street", "10"},
		{"221B Baker Street", "Baker Street", "221B"},
		{"221 B Baker Street", "Baker Street", "221 B"},
		// Nothing to split.
		{"", "", ""},
		{"Flat 2, Baker Street", "Flat 2, Baker Street", ""},
		{"42", "42", ""},
	}
	for _, tt := range tests {
		street, number := SplitStreet(tt.in)
		if street != tt.street || number != tt.number {
			t.Errorf("SplitStreet(%q) = %q, %q; want %q, %q", tt.in, street, number, tt.street, tt.number)
		}
	}
}

func TestSplitName(t *testing.T) {
	tests := []struct{ in, first, last string }{
		{"Klaus Bauer", "Klaus", "Bauer"},
		{"Anna Maria Schmidt", "Anna Maria", "Schmidt"},
		{"Jean-Luc Picard", "Jean-Luc", "Picard"},
		{"Ludwig van Beethoven", "Ludwig", "van Beethoven"},
		{"Anna von der Heide", "Anna", "von der Heide"},
		{"Maria de la Cruz", "Maria", "de la Cruz"},
		{"van Gogh", "", "van Gogh"},
		{"Bauer, Klaus", "Klaus", "Bauer"},
		{"von Weizsäcker, Richard", "Richard", "von Weizsäcker"},
		{"John Smith Jr.", "John", "Smith Jr."},
		{"John Smith, Jr.", "John", "Smith Jr."},
		{"Dr. Hans Müller", "Hans", "Müller"},
		{"Herr Dr. Hans Müller", "Hans", "Müller"},
		{"Frau Erika Mustermann", "Erika", "Mustermann"},
		{"Madonna", "", "Madonna"},
		{"  Klaus   Bauer  ", "Klaus", "Bauer"},
		{"Dr.", "", "Dr."},
		{"", "", ""},
	}
	for _, tt := range tests {
		first, last := SplitName(tt.in)
		if first != tt.first || last != tt.last {
			t.Errorf("SplitName(%q) = %q, %q; want %q, %q", tt.in, first, last, tt.first, tt.last)
		}
	}
}

func TestNewTransforms(t *testing.T) {
	tests := []struct{ transform, in, want string }{
		{"pad:5", "1067", "01067"},
		{"pad:5", "01067", "01067"},
		{"pad:5", "123456", "123456"},
		{"pad:5", "SW1A 1AA", "SW1A 1AA"},
		{"pad:4", "8", "0008"},
		{"line:1", "Main St 1\nApt 2", "Main St 1"},
		{"line:2", "Main St 1\r\nApt 2", "Apt 2"},
		{"line:2", "Main St 1", ""},
		{"line:2", "Main St 1\n\n  Hinterhaus ", "Hinterhaus"},
		{"split_street:street", "Torstraße 112a", "Torstraße"},
		{"split_street:number", "Torstraße 112a", "112a"},
		{"name_first", "Klaus Bauer", "Klaus"},
		{"name_last", "Klaus Bauer", "Bauer"},
		{`replace:/\s+/ /`, "a   b", "a b"},
		{`replace:/^00/+/`, "0049301234", "+49301234"},
		{`replace:/(\d{3})(\d+)/$1 $2/`, "0301234567", "030 1234567"},
		{`replace:|/|-|`, "10/12", "10-12"},
		{`replace:#/#-#`, "10/12", "10-12"},
		{`replace:/a\/b/x/`, "a/b", "x"},
		{`replace:/ GmbH$//`, "Acme GmbH", "Acme"},
	}
	for _, tt := range tests {
		tr, err := parseTransform(tt.transform)
		if err != nil {
			t.Fatalf("%s: %v", tt.transform, err)
		}
		if got, err := tr.apply(tt.in); err != nil || got != tt.want {
			t.Errorf("%s(%q) = %q, %v; want %q", tt.transform, tt.in, got, err, tt.want)
		}
		if tr.String() != tt.transform {
			t.Errorf("String() = %q, want %q", tr.String(), tt.transform)
		}
	}
}

func TestNewTransformErrors(t *testing.T) {
	for in, want := range map[string]string{
		"pad":                   `unknown transform "pad"`,
		"pad:0":                 `needs a number from 1 to 64`,
		"pad:x":                 `needs a number from 1 to 64`,
		"line:":                 `needs a number from 1 to 64`,
		"replace:/a/":           `needs exactly three delimiters`,
		"replace:/a/b/c/":       `needs exactly three delimiters`,
		"replace:/(/x/":         `missing closing )`,
		"replace://x/":          `empty regexp`,
		"replace:a1a2a":         `needs a delimiter`,
		"split_street:appendix": `want split_street, split_street:street or split_street:number`,
		"name_first:x":          `unknown transform "name_first:x"`,
	} {
		if _, err := parseTransform(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("parseTransform(%q) = %v, want %q", in, err, want)
		}
	}
}

func TestSplitStreetTakesThePartOfItsField(t *testing.T) {
	m := mustParse(t, `customer:
  customerNumber: Nr
addresses:
  - contactName: Name
    street: { column: Adresse, transform: [split_street] }
    streetNumber: { column: Adresse, transform: [split_street] }
    zipCode: { column: PLZ, transform: ["pad:5"] }
    country: Land
`)
	b := mustBind(t, m, []string{"Nr", "Name", "Adresse", "PLZ", "Land"})
	r := b.Map(sheet.Row{Num: 2, Cells: []string{"1", "Max", "Torstraße 112a", "1067", "DE"}})
	want := Fields{"contactName": {S: "Max"}, "street": {S: "Torstraße"}, "streetNumber": {S: "112a"},
		"zipCode": {S: "01067"}, "country": {S: "DE"}}
	if len(r.Addresses) != 1 || !reflect.DeepEqual(r.Addresses[0].Fields, want) || len(r.Errors)+len(r.Warnings) > 0 {
		t.Errorf("row = %+v", r)
	}

	_, err := Parse("m.yaml", []byte(`customer:
  customerNumber: Nr
addresses:
  - contactName: { column: Name, transform: [split_street] }
`))
	if err == nil || !strings.Contains(err.Error(), "m.yaml:4: ") || !strings.Contains(err.Error(), "split_street:street") {
		t.Errorf("split_street on contactName: %v", err)
	}
}

// Magento's address export marks the default billing and shipping address
// with 1 in two columns: per-cell values turn each flag into its own tag.
func TestPerCellValuesMagentoFlags(t *testing.T) {
	m := mustParse(t, `match: contactEmail
customer:
  contactEmail: _email
addresses:
  - contactName: { columns: [firstname, lastname] }
    street: { column: street, transform: ["line:1"] }
    streetAppendix: { column: street, transform: ["line:2"] }
    tags:
      columns:
        - { column: _address_default_billing_, values: { "1": BILLING, "0": "" } }
        - { column: _address_default_shipping_, values: { "1": SHIPPING, "0": "" } }
      join: ","
      split: ","
    isDefault: { columns: [{ column: _address_default_billing_, values: { "1": "true", "0": "" } }] }
`)
	b := mustBind(t, m, []string{"_email", "firstname", "lastname", "street", "_address_default_billing_", "_address_default_shipping_"})
	tests := []struct {
		billing, shipping string
		tags              []string
		isDefault         string
	}{
		{"1", "1", []string{"BILLING", "SHIPPING"}, "true"},
		{"1", "0", []string{"BILLING"}, "true"},
		{"0", "1", []string{"SHIPPING"}, ""},
		{"", "1", []string{"SHIPPING"}, ""},
		{"0", "0", nil, ""},
		{"", "", nil, ""},
	}
	for _, tt := range tests {
		r := b.Map(sheet.Row{Num: 2, Cells: []string{"a@b.de", "Max", "Muster", "Main St 1\nApt 2", tt.billing, tt.shipping}})
		if len(r.Addresses) != 1 || len(r.Errors)+len(r.Warnings) > 0 {
			t.Fatalf("%s/%s: row = %+v", tt.billing, tt.shipping, r)
		}
		a := r.Addresses[0]
		if !slices.Equal(a.Tags, tt.tags) || a.Fields["isDefault"].S != tt.isDefault ||
			a.Fields["street"].S != "Main St 1" || a.Fields["streetAppendix"].S != "Apt 2" {
			t.Errorf("%s/%s: address = %+v", tt.billing, tt.shipping, a)
		}
	}
}

func TestWarnings(t *testing.T) {
	m := mustParse(t, `customer:
  customerNumber: Nr
addresses:
  - contactName: { columns: [Vorname, Nachname] }
    zipCode: PLZ
    country: Land
    tags: { column: Art }
  - contactName: { value: Lager }
    street: Lager
    tags: { value: "BILLING,SHIPPING" }
`)
	b := mustBind(t, m, []string{"Nr", "Vorname", "Nachname", "PLZ", "Land", "Art", "Lager"})
	tests := []struct {
		cells []string
		want  []string
	}{
		{[]string{"1", "Max", "Muster", "10117", "DE", "BILLING", ""}, nil},
		{[]string{"1", "Max", "", "10117", "DE", "", ""},
			[]string{`row 2, column "Vorname + Nachname": column "Nachname" is empty; joined without it`}},
		{[]string{"1", "", "", "1067", "DE", "", ""},
			[]string{`row 2, column "PLZ": zip code "1067" does not match the format of DE (5 digits); a spreadsheet may have dropped its leading zeros: transform pad:5`}},
		{[]string{"1", "Max", "Muster", "1010", "AT", "BILLING;SHIPPING", ""},
			[]string{`row 2, column "Art": tag "BILLING;SHIPPING" contains ";", so Emporix would read several tags; add split: ";"`}},
		{[]string{"1", "Max", "Muster", "1012 AB", "NL", "", "Hof 1"},
			[]string{`row 2, column "address.tags": tag "BILLING,SHIPPING" contains ",", so Emporix would read several tags; add split: ","`}},
		{[]string{"1", "Max", "Muster", "SW1A 1AA", "GB", "", ""}, nil},
		{[]string{"1", "Max", "Muster", "1234", "XX", "", ""}, nil}, // invalid country: an error, no zip warning
	}
	for _, tt := range tests {
		r := b.Map(sheet.Row{Num: 2, Cells: tt.cells})
		if !slices.Equal(r.Warnings, tt.want) {
			t.Errorf("%q: Warnings\n got %q\nwant %q", tt.cells, r.Warnings, tt.want)
		}
	}
}

func TestCheckZip(t *testing.T) {
	tests := []struct {
		country, zip string
		ok           bool
	}{
		{"DE", "01067", true}, {"DE", "1067", false}, {"DE", "010677", false},
		{"AT", "1010", true}, {"AT", "01010", false},
		{"CH", "8005", true}, {"CH", "CH-8005", false},
		{"FR", "75001", true}, {"FR", "7500", false},
		{"NL", "1012 AB", true}, {"NL", "1012AB", true}, {"NL", "0123 AB", false}, {"NL", "1012", false},
		{"GB", "SW1A 1AA", true}, {"gb", "M1 1AE", true}, {"GB", "EC1A1BB", true}, {"GB", "12345", false},
		{"US", "02108", true}, {"US", "02108-1234", true}, {"US", "2108", false},
		{"IT", "00184", true}, {"IT", "184", false},
		{"ES", "28013", true}, {"ES", "53000", false},
		{"PL", "00-950", true}, {"PL", "00950", false},
		{"BE", "anything", true}, // not checked
	}
	for _, tt := range tests {
		if got := CheckZip(tt.country, tt.zip); (got == "") != tt.ok {
			t.Errorf("CheckZip(%s, %q) = %q, want ok=%v", tt.country, tt.zip, got, tt.ok)
		}
	}
	if len(ZipCountries()) != len(zipFormats) {
		t.Errorf("ZipCountries() lists %d countries, zipFormats has %d", len(ZipCountries()), len(zipFormats))
	}
}

// SplitStreet and SplitName only cut: every output word comes from the input.
func FuzzSplit(f *testing.F) {
	for _, s := range []string{"Torstraße 112a", "12 rue de la Paix", "Bauer, Klaus", "Dr. Hans van der Berg Jr.", "1-2-3", "", " , "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		words := strings.Fields(strings.ReplaceAll(s, ",", " "))
		street, number := SplitStreet(s)
		first, last := SplitName(s)
		for _, part := range []string{street, number, first, last} {
			for _, w := range strings.Fields(strings.ReplaceAll(part, ",", " ")) {
				if !slices.ContainsFunc(words, func(x string) bool { return strings.Contains(x, w) }) {
					t.Fatalf("%q: output word %q is not in the input (street %q, number %q, first %q, last %q)", s, w, street, number, first, last)
				}
			}
		}
		if strings.TrimSpace(s) != "" && street == "" && number != "" {
			t.Fatalf("%q: a number without a street", s)
		}
	})
}

// TestZipMatchMatchesRegexp: the formats matched without their regexp agree
// with it on every digit string up to 5 long and on near misses.
func TestZipMatchMatchesRegexp(t *testing.T) {
	var corpus []string
	for n, max := 1, 10; n <= 5; n, max = n+1, max*10 {
		for i := range max {
			corpus = append(corpus, fmt.Sprintf("%0*d", n, i))
		}
	}
	corpus = append(corpus, "", "1234a", "a1234", "12 34", " 1234", "1234 ", "12345\n", "١٢٣٤", "１２３４", "01234-", "+1234", "-1234")
	for country, f := range zipFormats {
		if f.n == 0 {
			continue
		}
		for _, s := range corpus {
			if got, want := f.match(s), f.re.MatchString(s); got != want {
				t.Errorf("%s: match(%q) = %v, the regexp says %v", country, s, got, want)
			}
		}
	}
}
