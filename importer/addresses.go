package importer

import (
	"fmt"
	"slices"
	"strings"

	"github.com/emporix-import/emporix-import/emporix"
	"github.com/emporix-import/emporix-import/mapping"
)

// AddressPlan reconciles one distinct sheet address with the tenant.
type AddressPlan struct {
	Key        string // identity of the sheet address (mapping.Address.Identity)
	ID         string // existing address id; "" = create
	Keyed      bool   // the sheet keys the address: it is created with its key as id
	Body       *emporix.Address
	Patch      map[string]any
	AddTags    []string
	RemoveTags []string
	// Note says why a new address is created although an existing one looked
	// like a correction of it (the pairing was ambiguous); the report shows it.
	Note    string
	changed []*mapping.Field
	before  map[string]any
}

// Writes reports whether the address needs any request.
func (a *AddressPlan) Writes() bool {
	return a.ID == "" || len(a.Patch) > 0 || len(a.AddTags) > 0 || len(a.RemoveTags) > 0
}

// AddressKey is the content key of an existing address (see mapping.ContentKey).
func AddressKey(a *emporix.Address) string {
	return mapping.ContentKey(func(f string) string {
		switch f {
		case "contactName":
			return a.ContactName
		case "street":
			return a.Street
		case "streetNumber":
			return a.StreetNumber
		case "zipCode":
			return a.ZipCode
		case "city":
			return a.City
		case "country":
			return a.Country
		}
		panic("importer: content key field " + f + " is not modelled")
	})
}

// sheetAddress is one distinct address of a group, merged over its rows.
type sheetAddress struct {
	key    string // identity
	id     string // the key (address.id) of a keyed address
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

// sheetAddresses merges the group's address blocks by identity, in order of
// first appearance: the first non-empty value of each field wins, tags are
// the union.
func sheetAddresses(g *mapping.Group) []*sheetAddress {
	var out []*sheetAddress
	byKey := map[string]*sheetAddress{}
	for _, r := range g.Rows {
		for _, a := range r.Addresses {
			if !IsAddress(a) {
				continue
			}
			k := a.Identity()
			sa := byKey[k]
			if sa == nil {
				sa = &sheetAddress{key: k, id: a.Fields[mapping.FieldAddressID].S, fields: mapping.Fields{}}
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

// decideAddresses matches the sheet's addresses with the existing ones: a
// keyed address by its id, an unkeyed one by content, and a remaining
// unkeyed one with a remaining existing address it clearly corrects (see
// pairCorrections). Matched addresses are patched in place, the others created.
func decideAddresses(g *mapping.Group, existing []emporix.Address, pol Policy) ([]*AddressPlan, []string) {
	fields := g.Fields().Address
	sheet := sheetAddresses(g)
	claimed := make([]bool, len(existing))
	matched := make([]int, len(sheet)) // index into existing; -1 = none
	for i, sa := range sheet {
		matched[i] = claim(existing, claimed, func(a *emporix.Address) bool {
			if sa.id != "" {
				return a.ID == sa.id
			}
			return AddressKey(a) == sa.key
		})
	}
	notes := pairCorrections(sheet, existing, claimed, matched)
	plans := make([]*AddressPlan, 0, len(sheet))
	for i, sa := range sheet {
		ap := &AddressPlan{Key: sa.key, Keyed: sa.id != "", Note: notes[i]}
		plans = append(plans, ap)
		if matched[i] < 0 {
			ap.Body = addressBody(fields, sa)
			continue
		}
		reconcileAddress(ap, &existing[matched[i]], sa, fields, pol.ReplaceTags)
	}
	// Deletions only against at least one address from the sheet: a group
	// whose address cells are all blank never deletes anything.
	var del []string
	if pol.ReplaceAddresses && pol.HasAddresses && len(sheet) > 0 {
		for i, a := range existing {
			if !claimed[i] {
				del = append(del, a.ID)
			}
		}
	}
	return plans, del
}

// claim marks and returns the first unclaimed existing address that ok
// accepts, -1 when there is none.
func claim(existing []emporix.Address, claimed []bool, ok func(*emporix.Address) bool) int {
	for i := range existing {
		if !claimed[i] && ok(&existing[i]) {
			claimed[i] = true
			return i
		}
	}
	return -1
}

// pairCorrections pairs each remaining unkeyed sheet address with the
// remaining existing address it corrects, so that a corrected name, street or
// zip code patches the address instead of adding a second one. Candidates
// have the same role (every sheet tag on it; the same default flag when
// mapped) and agree on at least two of street, zip code and city. The pair
// is made when one candidate is strictly the most similar and no other sheet
// address is as close to it; otherwise the address is created and its note
// says why. It fills matched and claimed and returns the notes by sheet index.
func pairCorrections(sheet []*sheetAddress, existing []emporix.Address, claimed []bool, matched []int) []string {
	notes := make([]string, len(sheet))
	best := make([]int, len(sheet))
	score := make([]int, len(sheet))
	for i, sa := range sheet {
		best[i] = -1
		if matched[i] >= 0 || sa.id != "" {
			continue
		}
		var tied []string
		for j := range existing {
			if claimed[j] || !sameRole(sa, &existing[j]) {
				continue
			}
			switch s := similarity(sa.fields, &existing[j]); {
			case s < minSimilarity || s < score[i]:
			case s == score[i] && best[i] >= 0:
				tied = append(tied, existing[j].ID)
			default:
				best[i], score[i], tied = j, s, []string{existing[j].ID}
			}
		}
		if len(tied) > 1 {
			notes[i] = fmt.Sprintf("created as a new address: existing addresses %s are equally similar", strings.Join(tied, ", "))
			best[i] = -1
		}
	}
	for i, j := range best {
		if j < 0 {
			continue
		}
		contested := slices.ContainsFunc(sheet, func(other *sheetAddress) bool {
			k := slices.Index(sheet, other)
			return k != i && best[k] == j && score[k] >= score[i]
		})
		if contested {
			notes[i] = fmt.Sprintf("created as a new address: existing address %s is as similar to another address of the file", existing[j].ID)
			continue
		}
		matched[i], claimed[j] = j, true
	}
	return notes
}

// minSimilarity is how many of street, zip code and city must agree for an
// address to count as a correction of another.
const minSimilarity = 2

func similarity(f mapping.Fields, a *emporix.Address) int {
	n := 0
	for _, p := range [][2]string{{f["street"].S, a.Street}, {f["zipCode"].S, a.ZipCode}, {f["city"].S, a.City}} {
		if norm(p[0]) != "" && norm(p[0]) == norm(p[1]) {
			n++
		}
	}
	return n
}

func norm(s string) string { return strings.Join(strings.Fields(strings.ToLower(s)), " ") }

// sameRole: every sheet tag is on the existing address and, when the sheet
// maps it, the default flag is the same.
func sameRole(sa *sheetAddress, a *emporix.Address) bool {
	for _, t := range sa.tags {
		if !slices.Contains(a.Tags, t) {
			return false
		}
	}
	v, ok := sa.fields[mapping.FieldIsDefault]
	return !ok || v.Clear || v.S == boolString(a.IsDefault)
}

// reconcileAddress plans the field patch and tag changes of a matched address.
func reconcileAddress(ap *AddressPlan, cur *emporix.Address, sa *sheetAddress, fields []*mapping.Field, replaceTags bool) {
	ap.ID = cur.ID
	ap.Patch = map[string]any{}
	ap.before = map[string]any{}
	ap.changed = diff(fields, sa.fields, cur.Doc(), ap.Patch, ap.before)
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

// addressBody is the create body: the mapped data fields, the key as id.
func addressBody(fields []*mapping.Field, sa *sheetAddress) *emporix.Address {
	doc := createDoc(fields, sa.fields)
	if sa.id != "" {
		doc["id"] = sa.id
	}
	var invalid []string
	a := fromDoc(doc, emporix.AddressFromDoc, &invalid)
	a.Tags = sa.tags
	return a
}
