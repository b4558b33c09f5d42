package importer

import (
	"reflect"
	"strings"
	"testing"

	"github.com/emporix-import/emporix-import/emporix"
	"github.com/emporix-import/emporix-import/mapping"
	"github.com/emporix-import/emporix-import/sheet"
)

func ptr[T any](v T) *T { return &v }

func val(s string) mapping.Value { return mapping.Value{S: s} }

var clearV = mapping.Value{Clear: true}

// group builds a one-customer group from rows of address blocks.
func group(cust mapping.Fields, rows ...[]mapping.Address) *mapping.Group {
	g := &mapping.Group{Key: cust["customerNumber"].S, Customer: cust}
	if len(rows) == 0 {
		rows = [][]mapping.Address{nil}
	}
	for i, addrs := range rows {
		g.Rows = append(g.Rows, &mapping.Row{Row: sheet.Row{Seq: i, Num: i + 2}, Customer: cust, Addresses: addrs})
	}
	return g
}

func addr(tags []string, kv ...string) mapping.Address {
	f := mapping.Fields{}
	for i := 0; i < len(kv); i += 2 {
		f[kv[i]] = val(kv[i+1])
	}
	return mapping.Address{Fields: f, Tags: tags}
}

var berlin = []string{"contactName", "Anna Schmidt", "street", "Hauptstraße", "streetNumber", "5", "zipCode", "10115", "city", "Berlin", "country", "DE"}

func TestDecideCustomer(t *testing.T) {
	current := &emporix.Customer{
		CustomerNumber: "C1", ContactEmail: "anna@example.com", FirstName: "Anna", LastName: "Schmidt",
		Company: "ACME", Active: ptr(true), OnHold: ptr(false),
	}
	tests := []struct {
		name       string
		cust       mapping.Fields
		cur        *emporix.Customer
		pol        Policy
		wantCreate bool
		wantPatch  map[string]any
		wantAct    map[string]any
		wantWrites bool
	}{
		{
			name:       "missing customer is created, inactive by default",
			cust:       mapping.Fields{"customerNumber": val("C1"), "contactEmail": val("anna@example.com")},
			wantCreate: true, wantWrites: true,
		},
		{
			name:       "--activate activates created customers",
			cust:       mapping.Fields{"customerNumber": val("C1"), "contactEmail": val("anna@example.com")},
			pol:        Policy{Activate: true},
			wantCreate: true, wantWrites: true,
			wantAct: map[string]any{"active": true, "onHold": false},
		},
		{
			name: "same values: no write",
			cust: mapping.Fields{"customerNumber": val("C1"), "contactEmail": val("anna@example.com"), "firstName": val("Anna")},
			cur:  current,
		},
		{
			name: "e-mail case difference is not a change",
			cust: mapping.Fields{"customerNumber": val("C1"), "contactEmail": val("Anna@Example.com")},
			cur:  current,
		},
		{
			name:       "changed e-mail patches only the e-mail",
			cust:       mapping.Fields{"customerNumber": val("C1"), "contactEmail": val("anna.s@example.com"), "firstName": val("Anna")},
			cur:        current,
			wantPatch:  map[string]any{"contactEmail": "anna.s@example.com"},
			wantWrites: true,
		},
		{
			name:       "clear token removes a present field; unmapped fields untouched",
			cust:       mapping.Fields{"customerNumber": val("C1"), "company": clearV, "middleName": clearV},
			cur:        current,
			wantPatch:  map[string]any{"company": ""},
			wantWrites: true,
		},
		{
			name:       "b2b registration id is a nested merge patch",
			cust:       mapping.Fields{"customerNumber": val("C1"), "b2b.companyRegistrationId": val("DE123")},
			cur:        current,
			wantPatch:  map[string]any{"b2b": map[string]any{"companyRegistrationId": "DE123"}},
			wantWrites: true,
		},
		{
			name:       "activation only if different",
			cust:       mapping.Fields{"customerNumber": val("C1"), "active": val("true"), "onHold": val("true")},
			cur:        current,
			wantAct:    map[string]any{"onHold": true},
			wantWrites: true,
		},
		{
			name: "--activate does not touch existing customers",
			cust: mapping.Fields{"customerNumber": val("C1")},
			cur:  &emporix.Customer{CustomerNumber: "C1"},
			pol:  Policy{Activate: true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Decide(group(tt.cust), tt.cur, tt.pol)
			if p.Create != tt.wantCreate {
				t.Errorf("Create = %v, want %v", p.Create, tt.wantCreate)
			}
			if len(p.Patch) > 0 || len(tt.wantPatch) > 0 {
				if !reflect.DeepEqual(p.Patch, tt.wantPatch) {
					t.Errorf("Patch = %#v, want %#v", p.Patch, tt.wantPatch)
				}
			}
			if len(p.Activation) > 0 || len(tt.wantAct) > 0 {
				if !reflect.DeepEqual(p.Activation, tt.wantAct) {
					t.Errorf("Activation = %#v, want %#v", p.Activation, tt.wantAct)
				}
			}
			if p.Writes() != tt.wantWrites {
				t.Errorf("Writes() = %v, want %v", p.Writes(), tt.wantWrites)
			}
		})
	}
}

func TestDecideCreateBody(t *testing.T) {
	cust := mapping.Fields{
		"customerNumber": val("C9"), "contactEmail": val("x@example.com"), "title": val("DR"),
		"company": clearV, "b2b.companyRegistrationId": val("ATU1"), "active": val("true"),
	}
	p := Decide(group(cust), nil, Policy{})
	want := &emporix.Customer{ID: "C9", ContactEmail: "x@example.com", Title: "DR", B2B: &emporix.B2B{CompanyRegistrationID: "ATU1"}}
	if !reflect.DeepEqual(p.Body, want) {
		t.Errorf("Body = %+v, want %+v", p.Body, want)
	}
	if p.Number != "C9" {
		t.Errorf("Number = %q", p.Number)
	}
	if !reflect.DeepEqual(p.Activation, map[string]any{"active": true}) {
		t.Errorf("mapped activation on create = %v", p.Activation)
	}
}

func TestDecideAddresses(t *testing.T) {
	existing := emporix.Address{
		ID: "a1", ContactName: "anna  schmidt", Street: "HAUPTSTRASSE", StreetNumber: "5", ZipCode: "10115",
		City: "berlin", Country: "DE", Tags: []string{"BILLING", "OLD"},
	}
	existing.Street = "hauptstraße"
	other := emporix.Address{ID: "a2", ContactName: "Anna Schmidt", Street: "Ring", StreetNumber: "1", ZipCode: "80331", City: "München", Country: "DE"}
	cust := mapping.Fields{"customerNumber": val("C1"), "contactEmail": val("anna@example.com")}
	cur := &emporix.Customer{CustomerNumber: "C1", ContactEmail: "anna@example.com", Addresses: []emporix.Address{existing, other}}

	t.Run("content match is case and space insensitive; fields and tags reconciled", func(t *testing.T) {
		a := addr([]string{"BILLING", "SHIPPING"}, berlin...)
		p := Decide(group(cust, []mapping.Address{a}), cur, Policy{HasAddresses: true})
		if len(p.Addresses) != 1 || p.Addresses[0].ID != "a1" {
			t.Fatalf("addresses = %+v, want a match with a1", p.Addresses)
		}
		ap := p.Addresses[0]
		wantPatch := map[string]any{"contactName": "Anna Schmidt", "street": "Hauptstraße", "city": "Berlin"}
		if !reflect.DeepEqual(ap.Patch, wantPatch) {
			t.Errorf("Patch = %v, want %v", ap.Patch, wantPatch)
		}
		if !reflect.DeepEqual(ap.AddTags, []string{"SHIPPING"}) || ap.RemoveTags != nil {
			t.Errorf("tags add %v remove %v", ap.AddTags, ap.RemoveTags)
		}
		if p.Delete != nil {
			t.Errorf("merge mode deletes %v", p.Delete)
		}
	})
	t.Run("replace deletes unmatched addresses and foreign tags", func(t *testing.T) {
		a := addr([]string{"BILLING"}, berlin...)
		p := Decide(group(cust, []mapping.Address{a}), cur, Policy{HasAddresses: true, ReplaceAddresses: true, ReplaceTags: true})
		if !reflect.DeepEqual(p.Delete, []string{"a2"}) {
			t.Errorf("Delete = %v", p.Delete)
		}
		if !reflect.DeepEqual(p.Addresses[0].RemoveTags, []string{"OLD"}) {
			t.Errorf("RemoveTags = %v", p.Addresses[0].RemoveTags)
		}
	})
	t.Run("replace without mapped addresses deletes nothing", func(t *testing.T) {
		p := Decide(group(cust), cur, Policy{ReplaceAddresses: true})
		if p.Delete != nil {
			t.Errorf("Delete = %v", p.Delete)
		}
	})
	t.Run("same address on two rows is one address with the union of tags", func(t *testing.T) {
		p := Decide(group(cust, []mapping.Address{addr([]string{"BILLING"}, berlin...)},
			[]mapping.Address{addr([]string{"SHIPPING"}, berlin...)}), nil, Policy{})
		if len(p.Addresses) != 1 {
			t.Fatalf("got %d address plans, want 1", len(p.Addresses))
		}
		ap := p.Addresses[0]
		if ap.ID != "" || !reflect.DeepEqual(ap.Body.Tags, []string{"BILLING", "SHIPPING"}) {
			t.Errorf("plan = %+v body %+v", ap, ap.Body)
		}
	})
	t.Run("unchanged address and tags: no write", func(t *testing.T) {
		exact := emporix.Address{ID: "a3", ContactName: "Anna Schmidt", Street: "Hauptstraße", StreetNumber: "5",
			ZipCode: "10115", City: "Berlin", Country: "DE", Tags: []string{"BILLING"}, IsDefault: ptr(false)}
		c := &emporix.Customer{CustomerNumber: "C1", ContactEmail: "anna@example.com", Addresses: []emporix.Address{exact}}
		p := Decide(group(cust, []mapping.Address{addr([]string{"BILLING"}, append(berlin, "isDefault", "false")...)}), c, Policy{})
		if p.Writes() {
			t.Errorf("plan writes: %+v %+v", p, p.Addresses[0])
		}
	})
}

func TestDecideKnowableFailures(t *testing.T) {
	cur := &emporix.Customer{CustomerNumber: "C1", ContactEmail: "a@example.com", FirstName: "Ann", LastName: "Lee", Company: "ACME"}
	tests := []struct {
		name string
		cust mapping.Fields
		cur  *emporix.Customer
		want string // substring of the problem; "" = none
	}{
		{"create without e-mail", mapping.Fields{"customerNumber": val("C1")}, nil, "contactEmail is required"},
		{"update without e-mail is fine", mapping.Fields{"customerNumber": val("C1"), "firstName": val("Anna")}, cur, ""},
		{"new B2B customer without names", mapping.Fields{"customerNumber": val("C1"), "contactEmail": val("a@example.com"),
			"b2b.companyRegistrationId": val("ATU1"), "firstName": val("Ann")}, nil, "missing: lastName, company"},
		{"B2B on an existing customer that has the names", mapping.Fields{"customerNumber": val("C1"),
			"b2b.companyRegistrationId": val("ATU1")}, cur, ""},
		{"B2B while the file clears company", mapping.Fields{"customerNumber": val("C1"),
			"b2b.companyRegistrationId": val("ATU1"), "company": clearV}, cur, "missing: company"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Decide(group(tt.cust), tt.cur, Policy{})
			got := strings.Join(p.Invalid, "; ")
			if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
				t.Errorf("Invalid = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDecideAddressGuards(t *testing.T) {
	cust := mapping.Fields{"customerNumber": val("C1"), "contactEmail": val("a@example.com")}
	cur := &emporix.Customer{CustomerNumber: "C1", Addresses: []emporix.Address{{ID: "a1", ContactName: "X", City: "Y", Country: "DE"}}}
	pol := Policy{HasAddresses: true, ReplaceAddresses: true}
	t.Run("blank address cells never delete", func(t *testing.T) {
		if p := Decide(group(cust), cur, pol); p.Delete != nil {
			t.Errorf("Delete = %v", p.Delete)
		}
	})
	t.Run("a block with only contactName, tags and isDefault is not an address", func(t *testing.T) {
		only := addr([]string{"BILLING"}, "contactName", "Anna", "isDefault", "true")
		p := Decide(group(cust, []mapping.Address{only}), cur, pol)
		if len(p.Addresses) != 0 || p.Delete != nil {
			t.Errorf("addresses %+v, delete %v", p.Addresses, p.Delete)
		}
	})
}

func TestChangeEntries(t *testing.T) {
	cur := &emporix.Customer{CustomerNumber: "C1", ContactEmail: "a@example.com", FirstName: "Jon", Active: ptr(false),
		Addresses: []emporix.Address{{ID: "a1", ContactName: "Anna Schmidt", Street: "Torstraße", StreetNumber: "1", ZipCode: "10119", City: "Berlin", Country: "DE"}}}
	cust := mapping.Fields{"customerNumber": val("C1"), "firstName": val("John"), "active": val("true")}
	moved := addr([]string{"BILLING"}, "contactName", "Anna Schmidt", "street", "Torstraße", "streetNumber", "1", "zipCode", "10119", "city", "Berlin", "country", "DE")
	p := Decide(group(cust, []mapping.Address{moved}), cur, Policy{})
	if got := p.profileChanges(); !reflect.DeepEqual(got, []string{`firstName: "Jon" → "John"`}) {
		t.Errorf("profile %q", got)
	}
	if got := p.activationChanges(); !reflect.DeepEqual(got, []string{"active: false → true"}) {
		t.Errorf("activation %q", got)
	}
	ap := p.Addresses[0]
	ap.Patch = map[string]any{"zipCode": "10117"}
	ap.before = map[string]any{"zipCode": "10119"}
	ap.changed = []*mapping.Field{mapping.Std().Lookup("zipCode", true)}
	if got := ap.patchChanges(); !reflect.DeepEqual(got, []string{`address[a1].zipCode: "10119" → "10117"`}) {
		t.Errorf("address %q", got)
	}
	created := Decide(group(mapping.Fields{"customerNumber": val("C2"), "contactEmail": val("b@example.com")}, []mapping.Address{moved}), nil, Policy{Activate: true})
	if got := created.Addresses[0].createChange(); got != `address.create: "Anna Schmidt, Torstraße 1, 10119 Berlin, DE"` {
		t.Errorf("create %q", got)
	}
	if got := created.activationChanges(); !reflect.DeepEqual(got, []string{"active: true", "onHold: false"}) {
		t.Errorf("activation after create %q", got)
	}
}
