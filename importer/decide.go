package importer

import (
	"fmt"
	"slices"
	"strings"

	"github.com/emporix-import/emporix-import/emporix"
	"github.com/emporix-import/emporix-import/mapping"
)

// Plan is what one customer group needs, decided from the sheet and the current
// Emporix state alone (no I/O), so every decision is unit-testable. The dry
// run and the real run execute the same plan; the report is built from the
// writes the execution records, never from the plan. Create bodies, diffs and
// patches are derived from the mapping's field table (the group's schema):
// a field is compared and written by its JSON path, nothing lists fields here.
type Plan struct {
	Number string // customer number: known, or "" until a POST create assigns one
	Create bool   // the customer does not exist yet
	// Body is the create body (Create only): every mapped, non-cleared profile
	// field, and the number as id so that the create can never overwrite.
	Body *emporix.Customer
	// Patch is the merge patch of the changed profile fields of an existing
	// customer: nested paths (b2b, mixins, metadata.mixins) patch only the
	// members that changed; "" (or null where the schema allows it) clears.
	Patch map[string]any
	// Activation holds active/onHold to PATCH when they differ (or right after a create).
	Activation map[string]any
	Addresses  []*AddressPlan
	// Delete lists ids of existing addresses not in the sheet (--addresses replace).
	Delete []string
	// Invalid lists problems that make the write fail for certain (the
	// service would refuse it): the group is invalid, nothing is written.
	Invalid []string
	// changed lists the patched profile fields in schema order, for the report.
	changed []*mapping.Field
	// before holds the current JSON value of each patched or activated field,
	// for the report's "old → new".
	before map[string]any
}

// Writes reports whether executing the plan changes anything.
func (p *Plan) Writes() bool {
	if p.Create || len(p.Patch) > 0 || len(p.Activation) > 0 || len(p.Delete) > 0 {
		return true
	}
	return slices.ContainsFunc(p.Addresses, (*AddressPlan).Writes)
}

// Policy carries the run flags that shape decisions.
type Policy struct {
	Activate         bool // --activate: created customers become active, not on hold
	ReplaceAddresses bool // --addresses replace
	ReplaceTags      bool // --tags replace
	HasAddresses     bool // the mapping maps addresses at all (replace never empties unmapped data)
}

func boolString(b *bool) string {
	if b != nil && *b {
		return "true"
	}
	return "false"
}

// Decide computes the plan for group g given the current customer (nil = missing).
func Decide(g *mapping.Group, cur *emporix.Customer, pol Policy) *Plan {
	p := &Plan{before: map[string]any{}}
	schema := g.Fields()
	if v, ok := g.Customer[mapping.FieldCustomerNumber]; ok && !v.Clear {
		p.Number = v.S
	}
	var existing []emporix.Address
	if cur == nil {
		p.Create = true
		body := createDoc(schema.Customer, g.Customer)
		if p.Number != "" {
			body["id"] = p.Number
		}
		p.Body = fromDoc(body, emporix.CustomerFromDoc, &p.Invalid)
	} else {
		p.Number = cur.CustomerNumber
		if p.Number == "" {
			p.Number = cur.ID
		}
		p.Patch = map[string]any{}
		p.changed = diff(schema.Customer, g.Customer, cur.Doc(), p.Patch, p.before)
		existing = cur.Addresses
	}
	p.SetActivation(g, cur, pol.Activate && cur == nil)
	p.Addresses, p.Delete = decideAddresses(g, existing, pol)
	p.Invalid = append(p.Invalid, p.problems(cur)...)
	return p
}

// written reports whether a field is created and patched as profile data.
func written(f *mapping.Field) bool { return f.Role == mapping.RoleData }

// createDoc is the create body of the mapped, non-cleared data fields.
func createDoc(fields []*mapping.Field, vals mapping.Fields) map[string]any {
	doc := map[string]any{}
	for _, f := range fields {
		if v, ok := vals[f.Name]; ok && !v.Clear && written(f) {
			mapping.Set(doc, f.Path, f.JSON(v))
		}
	}
	return doc
}

// fromDoc converts a body document; a failure (which only a value that JSON
// cannot carry could cause) makes the group invalid instead of sending it.
func fromDoc[T any](doc map[string]any, conv func(map[string]any) (*T, error), invalid *[]string) *T {
	v, err := conv(doc)
	if err != nil {
		*invalid = append(*invalid, fmt.Sprintf("cannot build the request body: %v", err))
		return new(T)
	}
	return v
}

// diff writes into patch every mapped data field whose value differs from the
// current document, recording the old value in before; it returns the
// changed field names in schema order. Unmapped fields, and unmapped members
// of a mapped mixin, are never touched.
func diff(fields []*mapping.Field, vals mapping.Fields, cur, patch, before map[string]any) []*mapping.Field {
	var changed []*mapping.Field
	for _, f := range fields {
		v, ok := vals[f.Name]
		if !ok || !written(f) {
			continue
		}
		have, present := mapping.Get(cur, f.Path)
		if f.Equal(v, have, present) {
			continue
		}
		mapping.Set(patch, f.Path, f.JSON(v))
		before[f.Name] = have
		changed = append(changed, f)
	}
	return changed
}

// problems lists what the service is certain to refuse: a create without
// contactEmail, and a company registration id on a profile that lacks
// firstName, lastName or company.
func (p *Plan) problems(cur *emporix.Customer) []string {
	var after map[string]any
	if p.Create {
		after = p.Body.Doc()
	} else {
		after = cur.Doc()
		mergeInto(after, p.Patch)
	}
	text := func(path ...string) string {
		v, _ := mapping.Get(after, path)
		s, _ := v.(string)
		return s
	}
	var out []string
	if p.Create && text("contactEmail") == "" {
		out = append(out, "contactEmail is required to create a customer")
	}
	if text("b2b", "companyRegistrationId") != "" {
		var missing []string
		for _, f := range []string{"firstName", "lastName", "company"} {
			if text(f) == "" {
				missing = append(missing, f)
			}
		}
		if len(missing) > 0 {
			out = append(out, fmt.Sprintf("b2b.companyRegistrationId requires firstName, lastName and company (missing: %s)", strings.Join(missing, ", ")))
		}
	}
	return out
}

// mergeInto applies a merge patch to doc (RFC 7386).
func mergeInto(doc, patch map[string]any) {
	for k, v := range patch {
		switch v := v.(type) {
		case nil:
			delete(doc, k)
		case map[string]any:
			sub, ok := doc[k].(map[string]any)
			if !ok {
				sub = map[string]any{}
				doc[k] = sub
			}
			mergeInto(sub, v)
		default:
			doc[k] = v
		}
	}
}

// SetActivation decides active/onHold: the mapped values, or with
// activate (a customer this run created) active=true, onHold=false unless
// mapped. Against an existing customer only differing values are written; a
// new one gets every wanted value, since its defaults are undocumented.
func (p *Plan) SetActivation(g *mapping.Group, cur *emporix.Customer, activate bool) {
	if p.before == nil {
		p.before = map[string]any{}
	}
	want := map[string]bool{}
	if activate {
		want["active"], want["onHold"] = true, false
	}
	for _, f := range g.Fields().Customer {
		if v, ok := g.Customer[f.Name]; ok && !v.Clear && f.Role == mapping.RoleActivation {
			want[f.Name] = v.S == "true"
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
			p.before[f] = have != nil && *have
		}
	}
	p.Activation = nil
	if len(act) > 0 {
		p.Activation = act
	}
}
