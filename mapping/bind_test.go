package mapping

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/emporix-import/emporix-import/sheet"
)

var specHeader = []string{"Kundennummer", "Anrede", "E-Mail", "Währung", "USt-IdNr", "Aktiv",
	"Vorname", "Nachname", "Straße", "Hausnummer", "PLZ", "Ort", "Land", "Adressart", "Notiz"}

func mustBind(t testing.TB, m *Mapping, header []string) *Binder {
	t.Helper()
	b, err := m.Bind("in.csv", header)
	if err != nil {
		t.Fatalf("Bind: %v", err)
	}
	return b
}

func TestBindMissingColumns(t *testing.T) {
	m := mustParse(t, specExample)
	header := []string{"Kundennummer", "Anrede", "E-Mail", "Währung", "USt-IdNr", "Aktiv", "Vorname", "Nachname", "Straße", "Hausnummer", "Ort", "Land"}
	_, err := m.Bind("kunden.csv", header)
	var ce *ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("Bind error %v, want *ConfigError", err)
	}
	want := `kunden.csv: mapped column(s) not usable: "PLZ" (field address.zipCode, test.yaml:20), "Adressart" (field address.tags, test.yaml:23); ` +
		`the input has the columns: "Kundennummer", "Anrede", "E-Mail", "Währung", "USt-IdNr", "Aktiv", "Vorname", "Nachname", "Straße", "Hausnummer", "Ort", "Land"`
	if err.Error() != want {
		t.Errorf("error\n got %s\nwant %s", err, want)
	}
	if !slices.Equal(ce.Missing, []string{"PLZ", "Adressart"}) || !slices.Equal(ce.Available, header) {
		t.Errorf("Missing %q Available %q", ce.Missing, ce.Available)
	}
}

func TestBindFallsBackToCaseInsensitiveTrimmed(t *testing.T) {
	m := mustParse(t, "customer:\n  customerNumber: Kundennummer\n  company: Firma\n")
	b := mustBind(t, m, []string{" KUNDENNUMMER ", "firma", "Extra", ""})
	row := b.Map(sheet.Row{Num: 2, Cells: []string{"K1", "ACME", "x", "y"}})
	if !reflect.DeepEqual(row.Customer, Fields{"customerNumber": {S: "K1"}, "company": {S: "ACME"}}) {
		t.Errorf("Customer = %v", row.Customer)
	}
	if !slices.Equal(b.Unmapped(), []string{"Extra"}) {
		t.Errorf("Unmapped = %q", b.Unmapped())
	}
}

func TestBindAmbiguous(t *testing.T) {
	m := mustParse(t, "customer:\n  customerNumber: Nr\n")
	_, err := m.Bind("in.csv", []string{"nr", "NR "})
	if err == nil || !strings.Contains(err.Error(), `"Nr" (field customerNumber, test.yaml:2) is ambiguous: the input has "nr" and "NR "`) {
		t.Errorf("err = %v", err)
	}
	// An exact match wins over case-insensitive ones.
	mustBind(t, m, []string{"nr", "Nr"})
}

func TestBindCanonical(t *testing.T) {
	b := mustBind(t, Default(), []string{"customerNumber", "contactEmail", "Notes", "address.city"})
	if !slices.Equal(b.Unmapped(), []string{"Notes"}) {
		t.Errorf("Unmapped = %q", b.Unmapped())
	}
	if len(b.customer) != 2 || len(b.addresses) != 1 || len(b.addresses[0]) != 1 {
		t.Errorf("bound %d customer fields, %v address blocks", len(b.customer), b.addresses)
	}
	// No address column at all: no address block.
	if b := mustBind(t, Default(), []string{"customerNumber"}); len(b.addresses) != 0 {
		t.Errorf("address blocks without address columns: %v", b.addresses)
	}

	_, err := Default().Bind("in.csv", []string{"Email", "Name"})
	want := `in.csv: mapped column(s) not usable: "customerNumber" (the match key); the input has the columns: "Email", "Name"`
	if err == nil || err.Error() != want {
		t.Errorf("err = %v\nwant %s", err, want)
	}
	m := mustParse(t, "match: contactEmail\n")
	if _, err := m.Bind("in.csv", []string{"customerNumber"}); err == nil || !strings.Contains(err.Error(), `"contactEmail" (the match key)`) {
		t.Errorf("match contactEmail without the column: err = %v", err)
	}
}

func TestMapSpecExample(t *testing.T) {
	b := mustBind(t, mustParse(t, specExample), specHeader)
	row := b.Map(sheet.Row{Seq: 0, Num: 2, Cells: []string{
		"K-1", " herr ", "  Max@Example.COM ", "", "DE123", "Ja",
		"Max", "Muster", "Hauptstr.", "1a", "'-12345", "Berlin", "Deutschland", "Rechnung, lieferung,Rechnung, Sonstige", "n/a",
	}})
	if len(row.Errors) > 0 {
		t.Fatalf("errors: %q", row.Errors)
	}
	want := Fields{
		"customerNumber":            {S: "K-1"},
		"title":                     {S: "MR"},
		"contactEmail":              {S: "max@example.com"},
		"preferredLanguage":         {S: "de_DE"},
		"preferredCurrency":         {S: "EUR"},
		"b2b.companyRegistrationId": {S: "DE123"},
		"active":                    {S: "true"},
	}
	if !reflect.DeepEqual(row.Customer, want) {
		t.Errorf("Customer\n got %v\nwant %v", row.Customer, want)
	}
	wantAddr := []Address{{
		Fields: Fields{
			"contactName": {S: "Max Muster"}, "street": {S: "Hauptstr."}, "streetNumber": {S: "1a"},
			"zipCode": {S: "-12345"}, "city": {S: "Berlin"}, "country": {S: "DE"}, "isDefault": {S: "true"},
		},
		Tags: []string{"BILLING", "SHIPPING", "Sonstige"},
	}}
	if !reflect.DeepEqual(row.Addresses, wantAddr) {
		t.Errorf("Addresses\n got %+v\nwant %+v", row.Addresses, wantAddr)
	}
	if !slices.Equal(b.Unmapped(), []string{"Notiz"}) {
		t.Errorf("Unmapped = %q", b.Unmapped())
	}
}

func TestMapRowErrors(t *testing.T) {
	b := mustBind(t, mustParse(t, specExample), specHeader)
	row := b.Map(sheet.Row{Num: 7, Err: errors.New("row has 16 cells, the header 15"), Cells: []string{
		"K 1", "Prof", "max@", "EURO", "", "vielleicht",
		"", "", "Hauptstr.", "", "", "", "Atlantis", "", "",
	}})
	want := []string{
		`row 7: row has 16 cells, the header 15`,
		`row 7, column "Kundennummer": invalid customer number "K 1" (want 1-66 letters, digits, _ or -)`,
		`row 7, column "Anrede": invalid title "Prof" (want MR, MRS, MS or DR)`,
		`row 7, column "E-Mail": invalid e-mail address "max@"`,
		`row 7, column "Währung": invalid currency "EURO" (want an ISO 4217 code such as EUR)`,
		`row 7, column "Aktiv": invalid boolean "vielleicht" (want true/false, yes/no, y/n or 1/0)`,
		`row 7, column "Land": unknown country "Atlantis"`,
		`row 7, column "Vorname + Nachname": address.contactName is required when the row has an address`,
	}
	if !slices.Equal(row.Errors, want) {
		t.Errorf("Errors\n got %q\nwant %q", row.Errors, want)
	}
}

func TestMapDefaultValidation(t *testing.T) {
	header := CanonicalColumns()
	b := mustBind(t, Default(), header)
	cells := func(kv ...string) []string {
		c := make([]string, len(header))
		for i := 0; i+1 < len(kv); i += 2 {
			c[slices.Index(header, kv[i])] = kv[i+1]
		}
		return c
	}
	tests := []struct {
		name  string
		cells []string
		errs  []string
		check func(t *testing.T, r *Row)
	}{
		{"minimal", cells("customerNumber", "C1"), nil, func(t *testing.T, r *Row) {
			if !reflect.DeepEqual(r.Customer, Fields{"customerNumber": {S: "C1"}}) || r.Addresses != nil {
				t.Errorf("row = %+v", r)
			}
		}},
		{"key missing", cells("contactEmail", "a@b.de"), []string{`row 2, column "customerNumber": customerNumber is required`}, nil},
		{"normalised values", cells("customerNumber", "C1", "title", "mrs", "preferredLanguage", "de-AT", "preferredCurrency", "chf",
			"active", "Y", "onHold", "0", "address.contactName", "A", "address.country", "at", "address.isDefault", "yes",
			"address.tags", "billing, ,shipping,billing"), nil, func(t *testing.T, r *Row) {
			want := Fields{"customerNumber": {S: "C1"}, "title": {S: "MRS"}, "preferredLanguage": {S: "de_AT"},
				"preferredCurrency": {S: "CHF"}, "active": {S: "true"}, "onHold": {S: "false"}}
			if !reflect.DeepEqual(r.Customer, want) {
				t.Errorf("Customer = %v", r.Customer)
			}
			wantA := []Address{{Fields: Fields{"contactName": {S: "A"}, "country": {S: "AT"}, "isDefault": {S: "true"}}, Tags: []string{"billing", "shipping"}}}
			if !reflect.DeepEqual(r.Addresses, wantA) {
				t.Errorf("Addresses = %+v", r.Addresses)
			}
		}},
		{"every problem listed", cells("customerNumber", "C1", "contactEmail", "Max <m@x.de>", "title", "Herr", "preferredLanguage", "deutsch",
			"preferredCurrency", "€", "onHold", "ja", "address.street", "S", "address.country", "Deutschland", "address.isDefault", "2"),
			[]string{
				`row 2, column "contactEmail": invalid e-mail address "Max <m@x.de>"`,
				`row 2, column "title": invalid title "Herr" (want MR, MRS, MS or DR)`,
				`row 2, column "preferredLanguage": invalid language "deutsch" (want e.g. de_DE or en)`,
				`row 2, column "preferredCurrency": invalid currency "€" (want an ISO 4217 code such as EUR)`,
				`row 2, column "onHold": invalid boolean "ja" (want true/false, yes/no, y/n or 1/0)`,
				`row 2, column "address.country": invalid country "Deutschland" (want an ISO 3166-1 alpha-2 code such as DE)`,
				`row 2, column "address.isDefault": invalid boolean "2" (want true/false, yes/no, y/n or 1/0)`,
				`row 2, column "address.contactName": address.contactName is required when the row has an address`,
			}, nil},
		{"apostrophe neutralisation reversed", cells("customerNumber", "'-C1", "contactPhone", "'+49 30 123", "company", "'=ACME", "address.contactName", "'@Max"), nil,
			func(t *testing.T, r *Row) {
				if r.Customer["customerNumber"].S != "-C1" || r.Customer["contactPhone"].S != "+49 30 123" || r.Customer["company"].S != "=ACME" ||
					r.Addresses[0].Fields["contactName"].S != "@Max" {
					t.Errorf("row = %+v", r)
				}
			}},
		{"spaces only is empty", cells("customerNumber", "C1", "company", "   ", "address.street", " "), nil, func(t *testing.T, r *Row) {
			if _, ok := r.Customer["company"]; ok || r.Addresses != nil {
				t.Errorf("row = %+v", r)
			}
		}},
		{"no clear token by default", cells("customerNumber", "C1", "company", "#clear"), nil, func(t *testing.T, r *Row) {
			if !reflect.DeepEqual(r.Customer["company"], Value{S: "#clear"}) {
				t.Errorf("company = %+v", r.Customer["company"])
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := b.Map(sheet.Row{Num: 2, Cells: tt.cells})
			if !slices.Equal(r.Errors, tt.errs) {
				t.Errorf("Errors\n got %q\nwant %q", r.Errors, tt.errs)
			}
			if tt.check != nil {
				tt.check(t, r)
			}
		})
	}
}

func TestMapClearToken(t *testing.T) {
	m := mustParse(t, `clear_token: "#clear"
customer:
  customerNumber: Nr
  contactEmail: Mail
  company: Firma
  onHold: Gesperrt
addresses:
  - contactName: Name
    street: Str
    tags: { column: Tags, split: "," }
`)
	b := mustBind(t, m, []string{"Nr", "Mail", "Firma", "Gesperrt", "Name", "Str", "Tags"})
	r := b.Map(sheet.Row{Num: 3, Cells: []string{"C1", "#clear", " #clear ", "#clear", "N", "#clear", "#clear"}})
	// Fields whose schema takes "" are cleared; the others cannot be.
	if want := []string{
		`row 3, column "Mail": contactEmail cannot be cleared: the API does not allow unsetting it once set`,
		`row 3, column "Gesperrt": onHold cannot be cleared: it is a boolean, not a text`,
		`row 3, column "Tags": address.tags cannot be cleared: tags are removed with --tags replace`,
	}; !slices.Equal(r.Errors, want) {
		t.Errorf("Errors\n got %q\nwant %q", r.Errors, want)
	}
	if want := (Fields{"customerNumber": {S: "C1"}, "company": {Clear: true}}); !reflect.DeepEqual(r.Customer, want) {
		t.Errorf("Customer = %v", r.Customer)
	}
	if want := []Address{{Fields: Fields{"contactName": {S: "N"}, "street": {Clear: true}}}}; !reflect.DeepEqual(r.Addresses, want) {
		t.Errorf("Addresses = %+v", r.Addresses)
	}

	r = b.Map(sheet.Row{Num: 4, Cells: []string{"#clear", "", "", "", "#clear", "", ""}})
	want := []string{
		`row 4, column "Nr": customerNumber cannot be cleared: it identifies the customer`,
		`row 4, column "Name": address.contactName cannot be cleared: an address requires it`,
	}
	if !slices.Equal(r.Errors, want) {
		t.Errorf("Errors\n got %q\nwant %q", r.Errors, want)
	}
}

// TestClearRefusalFollowsTheContract: a clear sends "", so exactly the fields
// whose schema refuses an empty string (a minimum length, a required field, a
// non-string type) cannot be cleared.
func TestClearRefusalFollowsTheContract(t *testing.T) {
	tests := []struct {
		field   string
		address bool
		refused bool
	}{
		{"preferredCurrency", false, true}, // minLength 3
		{"contactEmail", false, true},      // cannot be unset once present
		{"customerNumber", false, true},
		{"active", false, true},
		{"onHold", false, true},
		{"company", false, false},
		{"title", false, false},
		{"preferredLanguage", false, false},
		{"b2b.companyRegistrationId", false, false},
		{"country", true, true}, // minLength 2
		{"contactName", true, true},
		{"isDefault", true, true},
		{"tags", true, true},
		{"street", true, false},
		{"zipCode", true, false},
		{"state", true, false},
	}
	for _, tt := range tests {
		if got := Std().Lookup(tt.field, tt.address).NoClear != ""; got != tt.refused {
			t.Errorf("%s (address=%v) NoClear refused = %v, want %v", tt.field, tt.address, got, tt.refused)
		}
	}
	m := mustParse(t, `clear_token: "-"
customer:
  customerNumber: Nr
  preferredCurrency: Cur
addresses:
  - contactName: Name
    country: Land
`)
	b := mustBind(t, m, []string{"Nr", "Cur", "Name", "Land"})
	r := b.Map(sheet.Row{Num: 7, Cells: []string{"C1", "-", "N", "-"}})
	want := []string{
		`row 7, column "Cur": preferredCurrency cannot be cleared: the API requires a 3-letter code (minLength 3)`,
		`row 7, column "Land": address.country cannot be cleared: the API requires a 2-letter code (minLength 2)`,
	}
	if !slices.Equal(r.Errors, want) {
		t.Errorf("Errors\n got %q\nwant %q", r.Errors, want)
	}
}

func TestMapAddressBlocks(t *testing.T) {
	m := mustParse(t, `customer:
  customerNumber: Nr
addresses:
  - contactName: { columns: [Vorname, Nachname] }
    city: { column: Ort, default: Berlin }
    isDefault: { value: true }
    country: { value: Deutschland, transform: [country] }
  - contactName: LName
    city: LOrt
    tags: { value: SHIPPING }
`)
	b := mustBind(t, m, []string{"Nr", "Vorname", "Nachname", "Ort", "LName", "LOrt"})
	tests := []struct {
		name  string
		cells []string
		want  []Address
	}{
		{"constants and defaults only: dropped", []string{"C1", "", "", "", "", ""}, nil},
		{"first block present, default applies", []string{"C1", "", "Muster", "", "", ""}, []Address{
			{Fields: Fields{"contactName": {S: "Muster"}, "city": {S: "Berlin"}, "isDefault": {S: "true"}, "country": {S: "DE"}}},
		}},
		{"both blocks", []string{"C1", "Max", "Muster", "Hamburg", "Lager", "Bremen"}, []Address{
			{Fields: Fields{"contactName": {S: "Max Muster"}, "city": {S: "Hamburg"}, "isDefault": {S: "true"}, "country": {S: "DE"}}},
			{Fields: Fields{"contactName": {S: "Lager"}, "city": {S: "Bremen"}}, Tags: []string{"SHIPPING"}},
		}},
		{"short row", []string{"C1", "Max"}, []Address{
			{Fields: Fields{"contactName": {S: "Max"}, "city": {S: "Berlin"}, "isDefault": {S: "true"}, "country": {S: "DE"}}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := b.Map(sheet.Row{Num: 2, Cells: tt.cells})
			if len(r.Errors) > 0 {
				t.Fatalf("errors %q", r.Errors)
			}
			if !reflect.DeepEqual(r.Addresses, tt.want) {
				t.Errorf("Addresses\n got %+v\nwant %+v", r.Addresses, tt.want)
			}
		})
	}
}

func TestMapValuesPassThroughAndEmptyTarget(t *testing.T) {
	m := mustParse(t, `customer:
  customerNumber: Nr
  title: { column: Anrede, values: { Herr: MR, Frau: MRS, "k.A.": "" } }
  company: { column: Firma, transform: [upper], values: { ACME: "Acme GmbH" } }
`)
	b := mustBind(t, m, []string{"Nr", "Anrede", "Firma"})
	tests := []struct {
		anrede, firma string
		want          Fields
		errs          []string
	}{
		{"FRAU", "acme", Fields{"customerNumber": {S: "C"}, "title": {S: "MRS"}, "company": {S: "Acme GmbH"}}, nil},
		{"dr", "Other", Fields{"customerNumber": {S: "C"}, "title": {S: "DR"}, "company": {S: "OTHER"}}, nil},
		{"K.a.", "", Fields{"customerNumber": {S: "C"}}, nil},
		{"Divers", "", Fields{"customerNumber": {S: "C"}}, []string{`row 2, column "Anrede": invalid title "Divers" (want MR, MRS, MS or DR)`}},
	}
	for _, tt := range tests {
		r := b.Map(sheet.Row{Num: 2, Cells: []string{"C", tt.anrede, tt.firma}})
		if !reflect.DeepEqual(r.Customer, tt.want) || !slices.Equal(r.Errors, tt.errs) {
			t.Errorf("%q/%q: Customer %v Errors %q; want %v %q", tt.anrede, tt.firma, r.Customer, r.Errors, tt.want, tt.errs)
		}
	}
}

func TestMapDateAndDigits(t *testing.T) {
	m := mustParse(t, `customer:
  customerNumber: { column: Nr, transform: [strip_leading_apostrophe, digits] }
  preferredSite: { column: Seit, transform: ["date:02.01.2006"] }
`)
	b := mustBind(t, m, []string{"Nr", "Seit"})
	r := b.Map(sheet.Row{Num: 5, Cells: []string{"'K-00 17", "31.12.2023"}})
	if r.Customer["customerNumber"].S != "0017" || r.Customer["preferredSite"].S != "2023-12-31" || len(r.Errors) > 0 {
		t.Errorf("row = %+v", r)
	}
	r = b.Map(sheet.Row{Num: 6, Cells: []string{"n/a", "2023-12-31"}})
	want := []string{
		`row 6, column "Seit": cannot read "2023-12-31" as a date in layout "02.01.2006"`,
		`row 6, column "Nr": customerNumber is required`,
	}
	if !slices.Equal(r.Errors, want) {
		t.Errorf("Errors\n got %q\nwant %q", r.Errors, want)
	}
}

func FuzzMapRow(f *testing.F) {
	f.Add("C1", "a@b.de", "mr", "de_DE", "EUR", "true", "Max", "DE", "a,b", "'=x")
	f.Add("", "", "", "", "", "", "", "", "", "")
	f.Add("K 1", "<a@b>", "\xff", "zz-ZZ", "€", "2", "'", "Atlantis", ",,,", "'")
	b := mustBind(f, Default(), CanonicalColumns())
	n := len(CanonicalColumns())
	f.Fuzz(func(t *testing.T, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10 string) {
		in := []string{c1, c2, c3, c4, c5, c6, c7, c8, c9, c10}
		cells := make([]string, n)
		for i := range cells {
			cells[i] = in[i%len(in)]
		}
		sr := sheet.Row{Num: 2, Cells: cells[:len(c1)%(n+1)]}
		r, key, ok := b.mapKeyed(sr)
		if wkey, _, wok := b.matchKey(sr); key != wkey || ok != wok {
			t.Fatalf("mapKeyed key %q %v, matchKey %q %v", key, ok, wkey, wok)
		}
		for _, e := range r.Errors {
			if !strings.HasPrefix(e, "row 2") {
				t.Fatalf("error without row: %q", e)
			}
		}
		if _, ok := r.Customer["customerNumber"]; !ok && len(r.Errors) == 0 {
			t.Fatalf("row without customerNumber but no error: %+v", r)
		}
		for _, a := range r.Addresses {
			if _, ok := a.Fields["contactName"]; !ok && len(r.Errors) == 0 {
				t.Fatalf("address without contactName but no error: %+v", r)
			}
		}
	})
}

func BenchmarkMapRow(b *testing.B) {
	header := CanonicalColumns()
	bd := mustBind(b, Default(), header)
	vals := map[string]string{"customerNumber": "C-10001", "contactEmail": "max.muster@example.com", "title": "MR",
		"firstName": "Max", "lastName": "Muster", "contactPhone": "+49 30 1234567", "company": "ACME GmbH",
		"preferredLanguage": "de_DE", "preferredCurrency": "EUR", "preferredSite": "main",
		"b2b.companyRegistrationId": "DE123456789", "active": "true", "onHold": "false",
		"address.contactName": "Max Muster", "address.companyName": "ACME GmbH", "address.street": "Hauptstraße",
		"address.streetNumber": "12a", "address.zipCode": "10115", "address.city": "Berlin", "address.country": "DE",
		"address.contactPhone": "+49 30 1234567", "address.tags": "BILLING,SHIPPING", "address.isDefault": "true"}
	cells := make([]string, len(header))
	for i, h := range header {
		cells[i] = vals[h]
	}
	row := sheet.Row{Num: 2, Cells: cells}
	b.ReportAllocs()
	for b.Loop() {
		if r := bd.Map(row); len(r.Errors) > 0 {
			b.Fatal(r.Errors)
		}
	}
}
