package mapping

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/emporix-import/emporix-import/sheet"
)

// TestTableDrivesMapping walks the table: every field is a known mapping key
// under its name, every canonical one is a canonical column, and the clear
// rule the table states is the one Map applies.
func TestTableDrivesMapping(t *testing.T) {
	for _, f := range Std() {
		t.Run(f.Column(), func(t *testing.T) {
			if len(f.Path) == 0 || f.Path[len(f.Path)-1] != f.Name[strings.LastIndex(f.Name, ".")+1:] {
				t.Errorf("path %v does not end in the name %q", f.Path, f.Name)
			}
			if f.Canonical && !slices.Contains(CanonicalColumns(), f.Column()) {
				t.Errorf("canonical field missing from CanonicalColumns")
			}
			src := "clear_token: '#c'\ncustomer:\n  customerNumber: Nr\n"
			header := []string{"Nr", "X"}
			if f.Address {
				src += "addresses:\n  - contactName: N\n"
				header = append(header, "N")
				if f.Name != FieldContactName {
					src += "    " + f.Name + ": X\n"
				}
			} else if f.Name != FieldCustomerNumber {
				src += "  " + f.Name + ": X\n"
			}
			m := mustParse(t, src)
			b := mustBind(t, m, header)
			cells := []string{"C1", "#c", "Name"}
			if f.Name == FieldCustomerNumber {
				cells[0] = "#c"
			}
			if f.Name == FieldContactName {
				cells[2] = "#c"
			}
			r := b.Map(sheet.Row{Num: 2, Cells: cells})
			refused := len(r.Errors) > 0
			if refused != (f.NoClear != "") {
				t.Errorf("clear refused = %v (errors %q), table says NoClear %q", refused, r.Errors, f.NoClear)
			}
		})
	}
}

func TestMixinFields(t *testing.T) {
	m := mustParse(t, `customer:
  customerNumber: Nr
  type: Typ
  photoUrl: Foto
  restriction: { value: DE }
  mixins.erp.account.id: Konto
  mixins.erp.credit: { column: Limit, kind: number }
  mixins.erp.vip: { column: VIP, kind: boolean, values: { ja: true, nein: false } }
  mixins.erp.birthday: { column: Geb, kind: date, transform: ["date:02.01.2006"] }
  mixins.loyalty.segments: { column: Seg, kind: list, split: "|" }
mixin_schemas:
  erp: https://example.com/erp.v1.json
addresses:
  - id: AdrNr
    contactName: N
    extraLine1: Zusatz
    mixins.erp.dock: Dock
address_mixin_schemas: { erp: "https://example.com/erp-address.v1.json" }
`)
	header := []string{"Nr", "Typ", "Foto", "Konto", "Limit", "VIP", "Geb", "Seg", "AdrNr", "N", "Zusatz", "Dock"}
	b := mustBind(t, m, header)
	r := b.Map(sheet.Row{Num: 2, Cells: []string{"C1", "contact", "https://cdn.example.com/p.png", "A-1", "1500.50", "Ja",
		"24.12.1980", "gold| web ", "ERP-7", "Jon", "c/o B", "3"}})
	if len(r.Errors) > 0 {
		t.Fatalf("errors: %q", r.Errors)
	}
	want := Fields{
		"customerNumber": {S: "C1"}, "type": {S: "CONTACT"}, "photoUrl": {S: "https://cdn.example.com/p.png"},
		"restriction": {S: "DE"}, "mixins.erp.account.id": {S: "A-1"}, "mixins.erp.credit": {S: "1500.5"},
		"mixins.erp.vip": {S: "true"}, "mixins.erp.birthday": {S: "1980-12-24"},
		"mixins.loyalty.segments": {List: []string{"gold", "web"}},
		"metadata.mixins.erp":     {S: "https://example.com/erp.v1.json"},
	}
	if !reflect.DeepEqual(r.Customer, want) {
		t.Errorf("customer = %v\nwant       %v", r.Customer, want)
	}
	wantAddr := Fields{"id": {S: "ERP-7"}, "contactName": {S: "Jon"}, "extraLine1": {S: "c/o B"},
		"mixins.erp.dock": {S: "3"}, "metadata.mixins.erp": {S: "https://example.com/erp-address.v1.json"}}
	if len(r.Addresses) != 1 || !reflect.DeepEqual(r.Addresses[0].Fields, wantAddr) {
		t.Errorf("addresses = %v", r.Addresses)
	}
	s := b.Schema()
	if f := s.Customer[slices.IndexFunc(s.Customer, func(f *Field) bool { return f.Name == "mixins.erp.credit" })]; !slices.Equal(f.Path, []string{"mixins", "erp", "credit"}) || f.Kind != KindNumber {
		t.Errorf("credit field = %+v", f)
	}
	// Offline validation by kind, and the new fields' checks.
	r = b.Map(sheet.Row{Num: 3, Cells: []string{"C2", "Shop", "ftp://x", "A", "1.500,50", "vielleicht", "1980-12-24", "", "ERP 7", "Jon", "", ""}})
	for _, want := range []string{`column "Typ": invalid type "Shop"`, `column "Foto": invalid URL "ftp://x"`,
		`column "Limit": invalid number "1.500,50"`, `column "VIP": invalid boolean "vielleicht"`,
		`column "Geb": cannot read "1980-12-24" as a date`, `column "AdrNr": invalid address id "ERP 7"`} {
		if !slices.ContainsFunc(r.Errors, func(e string) bool { return strings.Contains(e, want) }) {
			t.Errorf("no error %q in %q", want, r.Errors)
		}
	}
}

func TestCanonicalMixinColumns(t *testing.T) {
	b := mustBind(t, Default(), []string{"customerNumber", "mixins.erp.tier", "address.contactName", "address.mixins.erp.dock", "address.id", "type"})
	r := b.Map(sheet.Row{Num: 2, Cells: []string{"C1", "gold", "Jon", "3", "A1", "customer"}})
	if len(r.Errors) > 0 || r.Customer["mixins.erp.tier"].S != "gold" || r.Customer["type"].S != "CUSTOMER" {
		t.Fatalf("row = %+v", r)
	}
	if a := r.Addresses[0].Fields; a["mixins.erp.dock"].S != "3" || a["id"].S != "A1" {
		t.Errorf("address = %v", a)
	}
	if len(b.Unmapped()) != 0 {
		t.Errorf("unmapped %v", b.Unmapped())
	}
}

func TestMixinMappingErrors(t *testing.T) {
	tests := []struct {
		name, src string
		line      int
		msg       string
	}{
		{"kind on a plain field", "customer:\n  customerNumber: Nr\n  company: { column: F, kind: number }\n", 3,
			`field "company": kind only applies to mixin fields`},
		{"unknown kind", "customer:\n  customerNumber: Nr\n  mixins.erp.x: { column: F, kind: integer }\n", 3,
			`field "mixins.erp.x": unknown kind "integer" (known: string, number, boolean, date, list)`},
		{"mixin without field", "customer:\n  customerNumber: Nr\n  mixins.erp: F\n", 3,
			`a mixin field is written mixins.<mixin>.<field>`},
		{"split on a string mixin", "customer:\n  customerNumber: Nr\n  mixins.erp.x: { column: F, split: ',' }\n", 3,
			`split only applies to address tags and mixin fields of kind list`},
		{"schema of an unmapped mixin", "customer:\n  customerNumber: Nr\n  mixins.erp.x: F\nmixin_schemas:\n  crm: https://example.com/crm.json\n", 5,
			`mixin_schemas: no field of mixin "crm" is mapped`},
		{"schema not a URL", "customer:\n  customerNumber: Nr\n  mixins.erp.x: F\nmixin_schemas:\n  erp: erp.json\n", 5,
			`invalid URL "erp.json"`},
		{"bad number constant", "customer:\n  customerNumber: Nr\n  mixins.erp.x: { value: zwölf, kind: number }\n", 3,
			`field "mixins.erp.x": value "zwölf": invalid number`},
		{"address key not clearable", "clear_token: '#c'\ncustomer:\n  customerNumber: Nr\naddresses:\n  - { contactName: N, id: { column: A, default: '#c' } }\n", 5,
			`invalid address id "#c"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("m.yaml", []byte(tt.src))
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.Line != tt.line || !strings.Contains(ce.Msg, tt.msg) {
				t.Fatalf("got %v, want m.yaml:%d: …%s…", err, tt.line, tt.msg)
			}
		})
	}
}

// TestThrowawayField: a field added to a table is mapped, validated and
// delivered in the schema with no other change.
func TestThrowawayField(t *testing.T) {
	tab := append(Std(), &Field{Name: "nickname", Path: []string{"nickname"}, Canonical: true,
		Check: func(s string) (string, error) {
			if len(s) > 8 {
				return "", errors.New("nickname too long")
			}
			return strings.ToLower(s), nil
		}})
	m, err := ParseTable(tab, "m.yaml", []byte("customer:\n  customerNumber: Nr\n  nickname: Spitzname\n"))
	if err != nil {
		t.Fatal(err)
	}
	b := mustBind(t, m, []string{"Nr", "Spitzname"})
	if r := b.Map(sheet.Row{Num: 2, Cells: []string{"C1", "Jojo"}}); r.Customer["nickname"].S != "jojo" {
		t.Errorf("nickname = %v", r.Customer)
	}
	if r := b.Map(sheet.Row{Num: 3, Cells: []string{"C1", "Jojo-the-great"}}); len(r.Errors) != 1 {
		t.Errorf("errors = %q", r.Errors)
	}
	if !slices.Contains(tab.CanonicalColumns(), "nickname") || !slices.ContainsFunc(b.Schema().Customer, func(f *Field) bool { return f.Name == "nickname" }) {
		t.Errorf("nickname not canonical or not in the schema")
	}
}
