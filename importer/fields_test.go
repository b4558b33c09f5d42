package importer

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/emporix-import/emporix-import/emporix"
	"github.com/emporix-import/emporix-import/mapping"
	"github.com/emporix-import/emporix-import/sheet"
)

// mappedGroup maps rows through a real mapping file, so the group carries the
// schema (mixins, keys) exactly as an import would.
func mappedGroup(t *testing.T, src string, header []string, rows ...[]string) *mapping.Group {
	t.Helper()
	m, err := mapping.Parse("m.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	b, err := m.Bind("in.csv", header)
	if err != nil {
		t.Fatal(err)
	}
	g := &mapping.Group{Schema: b.Schema()}
	for i, cells := range rows {
		r := b.Map(sheet.Row{Seq: i, Num: i + 2, Cells: cells})
		if len(r.Errors) > 0 {
			t.Fatalf("row errors: %q", r.Errors)
		}
		g.Rows = append(g.Rows, r)
		g.Customer, g.Key = r.Customer, r.Customer["customerNumber"].S
	}
	return g
}

func decodeCustomer(t *testing.T, s string) *emporix.Customer {
	t.Helper()
	var c emporix.Customer
	if err := json.Unmarshal([]byte(s), &c); err != nil {
		t.Fatal(err)
	}
	return &c
}

const mixinMapping = `customer:
  customerNumber: Nr
  contactEmail: Mail
  mixins.erp.account.id: Konto
  mixins.erp.credit: { column: Limit, kind: number }
  mixins.erp.vip: { column: VIP, kind: boolean }
  mixins.erp.since: { column: Seit, kind: date }
  mixins.erp.groups: { column: Gruppen, kind: list, split: ";" }
mixin_schemas: { erp: "https://example.com/erp.v1.json" }
`

var mixinHeader = []string{"Nr", "Mail", "Konto", "Limit", "VIP", "Seit", "Gruppen"}

// TestDecideMixins: mixins compare deeply by kind; a change patches only the
// changed members, never the unmapped ones or other mixins.
func TestDecideMixins(t *testing.T) {
	g := mappedGroup(t, mixinMapping, mixinHeader, []string{"C1", "a@example.com", "K-1", "1500.0", "yes", "2020-01-31", "A;B"})
	p := Decide(g, nil, Policy{})
	body, _ := json.Marshal(p.Body)
	want := `{"id":"C1","contactEmail":"a@example.com","metadata":{"mixins":{"erp":"https://example.com/erp.v1.json"}},` +
		`"mixins":{"erp":{"account":{"id":"K-1"},"credit":1500,"groups":["A","B"],"since":"2020-01-31","vip":true}}}`
	if string(body) != want {
		t.Errorf("create body\n got %s\nwant %s", body, want)
	}
	same := decodeCustomer(t, `{"customerNumber":"C1","contactEmail":"a@example.com",
		"metadata":{"version":3,"mixins":{"erp":"https://example.com/erp.v1.json"}},
		"mixins":{"erp":{"account":{"id":"K-1","bank":"X"},"credit":1500,"groups":["A","B"],"since":"2020-01-31","vip":true,"note":"keep"},"crm":{"x":1}}}`)
	if p := Decide(g, same, Policy{}); p.Writes() {
		t.Errorf("unchanged mixins plan writes: %#v", p.Patch)
	}
	changed := decodeCustomer(t, `{"customerNumber":"C1","contactEmail":"a@example.com",
		"metadata":{"mixins":{"erp":"https://example.com/erp.v1.json"}},
		"mixins":{"erp":{"account":{"id":"K-0","bank":"X"},"credit":1500,"groups":["A"],"since":"2020-01-31","vip":true}}}`)
	p = Decide(g, changed, Policy{})
	wantPatch := map[string]any{"mixins": map[string]any{"erp": map[string]any{"account": map[string]any{"id": "K-1"}, "groups": []string{"A", "B"}}}}
	if !reflect.DeepEqual(p.Patch, wantPatch) {
		t.Errorf("patch = %#v\nwant %#v", p.Patch, wantPatch)
	}
	if got := p.profileChanges(); !reflect.DeepEqual(got, []string{`mixins.erp.account.id: "K-0" → "K-1"`, `mixins.erp.groups: ["A"] → ["A","B"]`}) {
		t.Errorf("changes = %q", got)
	}
}

const keyedMapping = `customer:
  customerNumber: Nr
  contactEmail: Mail
  firstName: Vorname
addresses:
  - id: AdrNr
    contactName: { columns: [Vorname, Name] }
    street: Str
    zipCode: PLZ
    city: Ort
    country: { value: DE }
    extraLine1: Zusatz
    tags: { column: Art, values: { L: SHIPPING, R: BILLING } }
`

var keyedHeader = []string{"Nr", "Mail", "Vorname", "Name", "AdrNr", "Str", "PLZ", "Ort", "Zusatz", "Art"}

// TestDecideKeyedAddresses: a keyed address matches by id whatever its
// content, is patched in place, and is created with its key as id.
func TestDecideKeyedAddresses(t *testing.T) {
	cur := decodeCustomer(t, `{"customerNumber":"C1","contactEmail":"a@example.com","firstName":"Jörg","addresses":[
		{"id":"A-1","contactName":"Jörg Meier","street":"Torstraße 1","zipCode":"10119","city":"Berlin","country":"DE","tags":["SHIPPING"]},
		{"id":"x9","contactName":"Jörg Meier","street":"Alt 2","zipCode":"10115","city":"Berlin","country":"DE","tags":["BILLING"]}]}`)
	g := mappedGroup(t, keyedMapping, keyedHeader,
		[]string{"C1", "a@example.com", "Jörg", "Meier", "A-1", "Torstraße 1", "10117", "Berlin", "", "L"},
		[]string{"C1", "a@example.com", "Jörg", "Meier", "A-2", "Alt 2", "10115", "Berlin", "Hof", "R"})
	p := Decide(g, cur, Policy{HasAddresses: true, ReplaceAddresses: true})
	if len(p.Addresses) != 2 {
		t.Fatalf("plans %+v", p.Addresses)
	}
	a1, a2 := p.Addresses[0], p.Addresses[1]
	if a1.ID != "A-1" || !reflect.DeepEqual(a1.Patch, map[string]any{"zipCode": "10117"}) {
		t.Errorf("keyed match: id %q patch %v", a1.ID, a1.Patch)
	}
	if got := a1.patchChanges(); !reflect.DeepEqual(got, []string{`address[A-1].zipCode: "10119" → "10117"`}) {
		t.Errorf("changes %q", got)
	}
	// A-2 is new although x9 has its content: keyed addresses never match by content.
	if a2.ID != "" || a2.Body.ID != "A-2" || a2.Body.ExtraLine1 != "Hof" || !a2.Keyed {
		t.Errorf("keyed create: %+v body %+v", a2, a2.Body)
	}
	if !reflect.DeepEqual(p.Delete, []string{"x9"}) {
		t.Errorf("replace deletes %v, want the unkeyed leftover x9 only", p.Delete)
	}
}

const plainMapping = `customer:
  customerNumber: Nr
  contactEmail: Mail
  firstName: Vorname
addresses:
  - contactName: { columns: [Vorname, Name] }
    street: Str
    zipCode: PLZ
    city: Ort
    country: { value: DE }
    tags: { column: Art, values: { L: SHIPPING, R: BILLING } }
`

var plainHeader = []string{"Nr", "Mail", "Vorname", "Name", "Str", "PLZ", "Ort", "Art"}

// TestUnkeyedCorrections: after exact content matching, a remaining sheet
// address patches the remaining address of the same role it clearly
// corrects; a new or ambiguous one is created (the ambiguous one says why).
func TestUnkeyedCorrections(t *testing.T) {
	tenant := `{"customerNumber":"C1","contactEmail":"a@example.com","firstName":"Jürgen","addresses":[
		{"id":"s1","contactName":"Jürgen Meier","street":"Torstraße 1","zipCode":"10119","city":"Berlin","country":"DE","tags":["SHIPPING"]},
		{"id":"s2","contactName":"Jürgen Meier","street":"Ring 5","zipCode":"80331","city":"München","country":"DE","tags":["SHIPPING"]},
		{"id":"b1","contactName":"Jürgen Meier","street":"Alt 2","zipCode":"10115","city":"Berlin","country":"DE","tags":["BILLING"]}]}`
	row := func(first, street, zip, city, art string) []string {
		return []string{"C1", "a@example.com", first, "Meier", street, zip, city, art}
	}
	type want struct {
		id    string // "" = created
		patch map[string]any
		note  string
	}
	tests := []struct {
		name string
		rows [][]string
		want []want
	}{
		{"name corrected (also in contactName)", [][]string{row("Jörg", "Torstraße 1", "10119", "Berlin", "L")},
			[]want{{id: "s1", patch: map[string]any{"contactName": "Jörg Meier"}}}},
		{"zip corrected", [][]string{row("Jürgen", "Torstraße 1", "10117", "Berlin", "L")},
			[]want{{id: "s1", patch: map[string]any{"zipCode": "10117"}}}},
		{"street renamed", [][]string{row("Jürgen", "Alte Straße 2", "10115", "Berlin", "R")},
			[]want{{id: "b1", patch: map[string]any{"street": "Alte Straße 2"}}}},
		{"two shipping addresses swapped and corrected", [][]string{
			row("Jürgen", "Ring 5", "80333", "München", "L"), row("Jürgen", "Torstraße 1a", "10119", "Berlin", "L")},
			[]want{{id: "s2", patch: map[string]any{"zipCode": "80333"}}, {id: "s1", patch: map[string]any{"street": "Torstraße 1a"}}}},
		{"a genuinely new address", [][]string{row("Jürgen", "Seeweg 3", "14467", "Potsdam", "L")},
			[]want{{}}},
		{"a new role is not a correction", [][]string{row("Jürgen", "Torstraße 1", "10117", "Berlin", "R")},
			[]want{{}}},
		{"ambiguous: two equally similar candidates", [][]string{row("Jürgen", "Torstraße 1", "10115", "Berlin", "")},
			[]want{{note: "existing addresses s1, b1 are equally similar"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := mappedGroup(t, plainMapping, plainHeader, tt.rows...)
			p := Decide(g, decodeCustomer(t, tenant), Policy{HasAddresses: true})
			if len(p.Addresses) != len(tt.want) {
				t.Fatalf("%d plans, want %d", len(p.Addresses), len(tt.want))
			}
			for i, w := range tt.want {
				ap := p.Addresses[i]
				if ap.ID != w.id || (w.id != "" && !reflect.DeepEqual(ap.Patch, w.patch)) || !strings.Contains(ap.Note, w.note) || (w.note == "") != (ap.Note == "") {
					t.Errorf("address %d: id %q patch %v note %q; want %+v", i, ap.ID, ap.Patch, ap.Note, w)
				}
			}
		})
	}
}

// TestDecideClears: a clear token sends "" for text, null where the schema
// allows it (restriction, mixin fields), and nothing when already absent.
func TestDecideClears(t *testing.T) {
	src := "clear_token: '#c'\ncustomer:\n  customerNumber: Nr\n  company: F\n  restriction: R\n  mixins.erp.tier: T\n  mixins.erp.note: N\n"
	g := mappedGroup(t, src, []string{"Nr", "F", "R", "T", "N"}, []string{"C1", "#c", "#c", "#c", "#c"})
	cur := decodeCustomer(t, `{"customerNumber":"C1","company":"ACME","restriction":"DE","mixins":{"erp":{"tier":"gold","keep":1}}}`)
	p := Decide(g, cur, Policy{})
	want := map[string]any{"company": "", "restriction": nil, "mixins": map[string]any{"erp": map[string]any{"tier": nil}}}
	if !reflect.DeepEqual(p.Patch, want) {
		t.Errorf("patch %#v\nwant  %#v", p.Patch, want)
	}
	if got := p.profileChanges(); !reflect.DeepEqual(got, []string{`company: "ACME" → ""`, `mixins.erp.tier: "gold" → null`, `restriction: "DE" → null`}) {
		t.Errorf("changes %q", got)
	}
}
