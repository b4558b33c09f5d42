package importer

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/emporix-import/emporix-import/emporix"
	"github.com/emporix-import/emporix-import/mapping"
)

// Plan is what one customer group needs, decided from the sheet and the current
// Emporix state alone (no I/O), so every decision is unit-testable. The dry
// run and the real run execute the same plan; the report is built from the
// writes the execution records, never from the plan.
type Plan struct {
	Number string // customer number: known, or "" until a POST create assigns one
	Create bool   // the customer does not exist yet
	// Body is the create body (Create only): every mapped, non-cleared profile
	// field, and the number as id so that the create can never overwrite.
	Body *emporix.Customer
	// Patch holds changed profile fields of an existing customer ("" clears).
	Patch map[string]any
	// Activation holds active/onHold to PATCH when they differ (or right after a create).
	Activation map[string]any
	Addresses  []*AddressPlan
	// Delete lists ids of existing addresses not in the sheet (--addresses replace).
	Delete []string
	// Invalid lists problems that make the write fail for certain (the
	// service would refuse it): the group is invalid, nothing is written.
	Invalid []string
	// before holds the current value of each patched or activated field, for
	// the report's "old → new".
	before map[string]string
}

// AddressPlan reconciles one distinct sheet address with the tenant.
type AddressPlan struct {
	Key        string // normalised content key
	ID         string // existing address id; "" = create
	Body       *emporix.Address
	Patch      map[string]any
	AddTags    []string
	RemoveTags []string
	before     map[string]string
}

// Writes reports whether executing the plan changes anything.
func (p *Plan) Writes() bool {
	if p.Create || len(p.Patch) > 0 || len(p.Activation) > 0 || len(p.Delete) > 0 {
		return true
	}
	return slices.ContainsFunc(p.Addresses, (*AddressPlan).Writes)
}

// Writes reports whether the address needs any request.
func (a *AddressPlan) Writes() bool {
	return a.ID == "" || len(a.Patch) > 0 || len(a.AddTags) > 0 || len(a.RemoveTags) > 0
}

// Policy carries the run flags that shape decisions.
type Policy struct {
	Activate         bool // --activate: created customers become active, not on hold
	ReplaceAddresses bool // --addresses replace
	ReplaceTags      bool // --tags replace
	HasAddresses     bool // the mapping maps addresses at all (replace never empties unmapped data)
}

// profile fields: Emporix name → accessor on the current customer.
var profileFields = map[string]func(*emporix.Customer) string{
	"contactEmail":              func(c *emporix.Customer) string { return c.ContactEmail },
	"title":                     func(c *emporix.Customer) string { return c.Title },
	"firstName":                 func(c *emporix.Customer) string { return c.FirstName },
	"middleName":                func(c *emporix.Customer) string { return c.MiddleName },
	"lastName":                  func(c *emporix.Customer) string { return c.LastName },
	"contactPhone":              func(c *emporix.Customer) string { return c.ContactPhone },
	"company":                   func(c *emporix.Customer) string { return c.Company },
	"preferredLanguage":         func(c *emporix.Customer) string { return c.PreferredLanguage },
	"preferredCurrency":         func(c *emporix.Customer) string { return c.PreferredCurrency },
	"preferredSite":             func(c *emporix.Customer) string { return c.PreferredSite },
	"b2b.companyRegistrationId": func(c *emporix.Customer) string { return regID(c) },
}

func regID(c *emporix.Customer) string {
	if c.B2B == nil {
		return ""
	}
	return c.B2B.CompanyRegistrationID
}

var addressFields = map[string]func(*emporix.Address) string{
	"contactName":    func(a *emporix.Address) string { return a.ContactName },
	"companyName":    func(a *emporix.Address) string { return a.CompanyName },
	"street":         func(a *emporix.Address) string { return a.Street },
	"streetNumber":   func(a *emporix.Address) string { return a.StreetNumber },
	"streetAppendix": func(a *emporix.Address) string { return a.StreetAppendix },
	"zipCode":        func(a *emporix.Address) string { return a.ZipCode },
	"city":           func(a *emporix.Address) string { return a.City },
	"state":          func(a *emporix.Address) string { return a.State },
	"country":        func(a *emporix.Address) string { return a.Country },
	"contactPhone":   func(a *emporix.Address) string { return a.ContactPhone },
	"isDefault":      func(a *emporix.Address) string { return boolString(a.IsDefault) },
}

func boolString(b *bool) string {
	if b != nil && *b {
		return "true"
	}
	return "false"
}

// Decide computes the plan for group g given the current customer (nil = missing).
func Decide(g *mapping.Group, cur *emporix.Customer, pol Policy) *Plan {
	p := &Plan{before: map[string]string{}}
	if v, ok := g.Customer["customerNumber"]; ok && !v.Clear {
		p.Number = v.S
	}
	if cur == nil {
		p.Create = true
		p.Body = createBody(g.Customer)
		p.Body.ID = p.Number
	} else {
		p.Number = cur.CustomerNumber
		if p.Number == "" {
			p.Number = cur.ID
		}
		p.Patch = profilePatch(g.Customer, cur, p.before)
	}
	p.SetActivation(g, cur, pol.Activate && cur == nil)
	var existing []emporix.Address
	if cur != nil {
		existing = cur.Addresses
	}
	p.Addresses, p.Delete = decideAddresses(g, existing, pol)
	p.Invalid = p.problems(cur)
	return p
}

// problems lists what the service is certain to refuse: a create without
// contactEmail, and a company registration id on a profile that lacks
// firstName, lastName or company.
func (p *Plan) problems(cur *emporix.Customer) []string {
	var out []string
	after := p.Body
	if !p.Create {
		c := *cur
		after = &c
		for name, v := range p.Patch {
			if s, ok := v.(string); ok {
				if dst := profileSetters(after)[name]; dst != nil {
					*dst = s
				}
			}
		}
		if b, ok := p.Patch["b2b"].(map[string]any); ok {
			s, _ := b["companyRegistrationId"].(string)
			after.B2B = &emporix.B2B{CompanyRegistrationID: s}
		}
	}
	if p.Create && after.ContactEmail == "" {
		out = append(out, "contactEmail is required to create a customer")
	}
	if regID(after) != "" {
		var missing []string
		for _, f := range []struct{ name, v string }{{"firstName", after.FirstName}, {"lastName", after.LastName}, {"company", after.Company}} {
			if f.v == "" {
				missing = append(missing, f.name)
			}
		}
		if len(missing) > 0 {
			out = append(out, fmt.Sprintf("b2b.companyRegistrationId requires firstName, lastName and company (missing: %s)", strings.Join(missing, ", ")))
		}
	}
	return out
}

// SetActivation decides active/onHold: the mapped values, or with
// activate (a customer this run created) active=true, onHold=false unless
// mapped. Against an existing customer only differing values are written; a
// new one gets every wanted value, since its defaults are undocumented.
func (p *Plan) SetActivation(g *mapping.Group, cur *emporix.Customer, activate bool) {
	if p.before == nil {
		p.before = map[string]string{}
	}
	want := map[string]bool{}
	if activate {
		want["active"], want["onHold"] = true, false
	}
	for _, f := range []string{"active", "onHold"} {
		if v, ok := g.Customer[f]; ok && !v.Clear {
			want[f] = v.S == "true"
		}
	}
	act := map[string]any{}
	for f, v := range want {
		if cur == nil {
			act[f] = v
			continue
		}
		have := cur.Active
		if f == "onHold" {
			have = cur.OnHold
		}
		if boolString(have) != boolString(&v) {
			act[f] = v
			p.before[f] = boolString(have)
		}
	}
	p.Activation = nil
	if len(act) > 0 {
		p.Activation = act
	}
}

// profileSetters addresses the plain string profile fields of c by name.
func profileSetters(c *emporix.Customer) map[string]*string {
	return map[string]*string{
		"contactEmail": &c.ContactEmail, "title": &c.Title, "firstName": &c.FirstName,
		"middleName": &c.MiddleName, "lastName": &c.LastName, "contactPhone": &c.ContactPhone,
		"company": &c.Company, "preferredLanguage": &c.PreferredLanguage,
		"preferredCurrency": &c.PreferredCurrency, "preferredSite": &c.PreferredSite,
	}
}

func createBody(f mapping.Fields) *emporix.Customer {
	c := &emporix.Customer{}
	for name, dst := range profileSetters(c) {
		if v, ok := f[name]; ok && !v.Clear {
			*dst = v.S
		}
	}
	if v, ok := f["b2b.companyRegistrationId"]; ok && !v.Clear {
		c.B2B = &emporix.B2B{CompanyRegistrationID: v.S}
	}
	return c
}

// profilePatch returns the merge patch of mapped profile fields that differ,
// recording each field's current value in before.
func profilePatch(f mapping.Fields, cur *emporix.Customer, before map[string]string) map[string]any {
	patch := map[string]any{}
	for name, get := range profileFields {
		v, ok := f[name]
		if !ok {
			continue
		}
		have := get(cur)
		switch {
		case v.Clear && have == "":
		case v.Clear:
			// The spec's strings are not nullable (even for merge-patch): "" clears.
			setPatch(patch, name, "")
			before[name] = have
		case name == "contactEmail" && strings.EqualFold(v.S, have):
			// E-mail addresses compare case-insensitively; a case-only difference is not worth a write.
		case v.S != have:
			setPatch(patch, name, v.S)
			before[name] = have
		}
	}
	return patch
}

// setPatch writes dotted names as nested merge-patch objects ("b2b.companyRegistrationId").
func setPatch(patch map[string]any, name string, v any) {
	parent, child, nested := strings.Cut(name, ".")
	if !nested {
		patch[name] = v
		return
	}
	m, _ := patch[parent].(map[string]any)
	if m == nil {
		m = map[string]any{}
		patch[parent] = m
	}
	m[child] = v
}

func patchNames(patch map[string]any) []string {
	var names []string
	for k, v := range patch {
		if m, ok := v.(map[string]any); ok {
			for c := range m {
				names = append(names, k+"."+c)
			}
			continue
		}
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// AddressKey is the content key of an existing address (see mapping.ContentKey).
func AddressKey(a *emporix.Address) string {
	return mapping.ContentKey(func(f string) string { return addressFields[f](a) })
}

// sheetAddress is one distinct address of a group, merged over its rows.
type sheetAddress struct {
	key    string
	fields mapping.Fields
	tags   []string
}

// IsAddress reports whether a sheet address block is an address at all: a
// block with only contactName, tags or isDefault (e.g. the name columns of a
// row without an address) has nothing to deliver to and is never created.
func IsAddress(a mapping.Address) bool {
	for _, f := range []string{"street", "city", "country"} {
		if v, ok := a.Fields[f]; ok && !v.Clear && v.S != "" {
			return true
		}
	}
	return false
}

// sheetAddresses merges the group's address blocks by content key, in order
// of first appearance: the first non-empty value of each field wins, tags are
// the union.
func sheetAddresses(g *mapping.Group) []*sheetAddress {
	var out []*sheetAddress
	byKey := map[string]*sheetAddress{}
	for _, r := range g.Rows {
		for _, a := range r.Addresses {
			if !IsAddress(a) {
				continue
			}
			k := a.Key()
			sa := byKey[k]
			if sa == nil {
				sa = &sheetAddress{key: k, fields: mapping.Fields{}}
				byKey[k] = sa
				out = append(out, sa)
			}
			for name, v := range a.Fields {
				if _, seen := sa.fields[name]; !seen {
					sa.fields[name] = v
				}
			}
			for _, t := range a.Tags {
				if !slices.Contains(sa.tags, t) {
					sa.tags = append(sa.tags, t)
				}
			}
		}
	}
	return out
}

func decideAddresses(g *mapping.Group, existing []emporix.Address, pol Policy) ([]*AddressPlan, []string) {
	byKey := map[string]*emporix.Address{}
	for i := range existing {
		k := AddressKey(&existing[i])
		if _, dup := byKey[k]; !dup {
			byKey[k] = &existing[i]
		}
	}
	sheet := sheetAddresses(g)
	plans := make([]*AddressPlan, 0, len(sheet))
	matched := map[string]bool{}
	for _, sa := range sheet {
		ap := &AddressPlan{Key: sa.key}
		plans = append(plans, ap)
		cur := byKey[sa.key]
		if cur == nil {
			ap.Body = addressBody(sa.fields, sa.tags)
			continue
		}
		matched[cur.ID] = true
		reconcileAddress(ap, cur, sa, pol.ReplaceTags)
	}
	// Deletions only against at least one address from the sheet: a group
	// whose address cells are all blank never deletes anything.
	var del []string
	if pol.ReplaceAddresses && pol.HasAddresses && len(sheet) > 0 {
		for _, a := range existing {
			if !matched[a.ID] {
				del = append(del, a.ID)
			}
		}
	}
	return plans, del
}

// reconcileAddress plans the field patch and tag changes of a matched address.
func reconcileAddress(ap *AddressPlan, cur *emporix.Address, sa *sheetAddress, replaceTags bool) {
	ap.ID = cur.ID
	ap.Patch = map[string]any{}
	ap.before = map[string]string{}
	for name, v := range sa.fields {
		have := addressFields[name](cur)
		switch {
		case v.Clear && have != "" && name != "isDefault":
			ap.Patch[name] = ""
		case v.Clear:
		case name == "isDefault":
			if v.S != have {
				ap.Patch[name] = v.S == "true"
			}
		case v.S != have:
			ap.Patch[name] = v.S
		}
		if _, ok := ap.Patch[name]; ok {
			ap.before[name] = have
		}
	}
	for _, t := range sa.tags {
		if !slices.Contains(cur.Tags, t) {
			ap.AddTags = append(ap.AddTags, t)
		}
	}
	if replaceTags {
		for _, t := range cur.Tags {
			if !slices.Contains(sa.tags, t) {
				ap.RemoveTags = append(ap.RemoveTags, t)
			}
		}
	}
}

func addressBody(f mapping.Fields, tags []string) *emporix.Address {
	a := &emporix.Address{Tags: tags}
	set := map[string]*string{
		"contactName": &a.ContactName, "companyName": &a.CompanyName, "street": &a.Street,
		"streetNumber": &a.StreetNumber, "streetAppendix": &a.StreetAppendix, "zipCode": &a.ZipCode,
		"city": &a.City, "state": &a.State, "country": &a.Country, "contactPhone": &a.ContactPhone,
	}
	for name, dst := range set {
		if v, ok := f[name]; ok && !v.Clear {
			*dst = v.S
		}
	}
	if v, ok := f["isDefault"]; ok && !v.Clear {
		b := v.S == "true"
		a.IsDefault = &b
	}
	return a
}
