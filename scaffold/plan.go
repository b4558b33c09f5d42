package scaffold

import (
	"strings"

	"github.com/emporix-import/emporix-import/mapping"
)

// spec is one field of the mapping being built.
type spec struct {
	field      string
	columns    []string
	transforms []string
	values     map[string]string
	split      string
	how        string
}

// plan matches columns to fields.
type plan struct {
	cols     []*column
	byName   map[string]*column
	fields   map[string]*spec
	used     map[string]bool // columns some field reads
	key      string
	noName   []string // address columns left out: nothing gives the contact name
	hasBlock bool     // the mapping has an address block
}

func newPlan(cols []*column) *plan {
	p := &plan{cols: cols, byName: map[string]*column{}, fields: map[string]*spec{}, used: map[string]bool{}}
	for _, c := range cols {
		p.byName[c.name] = c
	}
	return p
}

func (p *plan) header() []string {
	h := make([]string, len(p.cols))
	for i, c := range p.cols {
		h[i] = c.name
	}
	return h
}

func (p *plan) set(field, col, how string) {
	p.fields[field] = &spec{field: field, columns: []string{col}, how: how}
	p.used[col] = true
}

// match assigns fields by column name first, then by content, first column wins.
func (p *plan) match() {
	for _, c := range p.cols {
		if f, _ := byName(c.name); f != "" && p.fields[f] == nil {
			p.set(f, c.name, "by name")
		}
	}
	for _, c := range p.cols {
		if p.used[c.name] {
			continue
		}
		if f, why := byContent(c); f != "" && p.fields[f] == nil {
			p.set(f, c.name, "by content: "+why)
		}
	}
}

// refine derives fields from others and adds the transforms and values the
// sampled cells call for.
func (p *plan) refine() {
	p.splitFullName()
	for f, twin := range twins {
		switch {
		case p.fields[f] == nil && p.fields[twin] != nil:
			p.fields[f] = &spec{field: f, columns: p.fields[twin].columns, how: "same column as " + twin}
		case p.fields[f] != nil && p.fields[twin] == nil:
			defer p.mirror(f, twin) // only once the address block is known
		}
	}
	p.splitStreet()
	for _, s := range p.fields {
		p.conversions(s)
	}
	p.contactName()
}

func (p *plan) mirror(f, twin string) {
	if p.hasBlock && p.fields[twin] == nil {
		p.fields[twin] = &spec{field: twin, columns: p.fields[f].columns, transforms: p.fields[f].transforms,
			how: "same column as " + f}
	}
}

// splitFullName turns a full-name column into first and last name when the
// file has neither.
func (p *plan) splitFullName() {
	s := p.fields[fullName]
	if s == nil {
		return
	}
	delete(p.fields, fullName)
	if p.fields[fFirstName] != nil || p.fields[fLastName] != nil {
		p.used[s.columns[0]] = false
		return
	}
	p.fields[fFirstName] = &spec{field: fFirstName, columns: s.columns, transforms: []string{"name_first"}, how: "full name, first part"}
	p.fields[fLastName] = &spec{field: fLastName, columns: s.columns, transforms: []string{"name_last"}, how: "full name, last part"}
}

// splitStreet handles a street column that holds the house number (and
// maybe more lines) when the file has no number or appendix column.
func (p *plan) splitStreet() {
	s := p.fields[aStreet]
	if s == nil {
		return
	}
	c := p.byName[s.columns[0]]
	if p.fields[aStreetAppendix] == nil && c.share(func(v string) bool { return strings.ContainsAny(v, "\r\n") }) > 0 {
		s.transforms = append(s.transforms, "line:1")
		p.fields[aStreetAppendix] = &spec{field: aStreetAppendix, columns: s.columns, transforms: []string{"line:2"},
			how: "second line of " + s.columns[0]}
	}
	hasNumber := func(v string) bool { _, n := mapping.SplitStreet(firstLine(v)); return n != "" }
	if p.fields[aStreetNumber] == nil && c.share(hasNumber) >= 0.5 {
		s.transforms = append(s.transforms, "split_street")
		p.fields[aStreetNumber] = &spec{field: aStreetNumber, columns: s.columns,
			transforms: append([]string(nil), s.transforms...), how: "house number in " + s.columns[0]}
	}
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(strings.ReplaceAll(s, "\r", "\n"), "\n")
	return l
}

// conversions adds transforms and values from the sampled cells.
func (p *plan) conversions(s *spec) {
	c := p.byName[s.columns[0]]
	if c.share(func(v string) bool { return strings.HasPrefix(v, "'") }) > 0 {
		s.transforms = append([]string{"strip_leading_apostrophe"}, s.transforms...)
	}
	switch s.field {
	case fEmail:
		s.transforms = append(s.transforms, "trim", "lower")
	case aCountry:
		if c.share(isAlpha2) < 1 {
			s.transforms = append(s.transforms, "country")
		}
	case aTags:
		s.split = tagSplit(c)
	}
	s.values = valuesFor(s.field, c)
}

// contactName finds the contact name every address needs; without one the
// address fields are left out.
func (p *plan) contactName() {
	var addr []string
	for _, f := range mapping.AddressFields {
		if p.fields["address."+f] != nil {
			addr = append(addr, "address."+f)
		}
	}
	if len(addr) == 0 {
		return
	}
	first, last := p.fields[fFirstName], p.fields[fLastName]
	switch {
	case p.fields[aContactName] != nil:
	case first != nil && last != nil && first.columns[0] != last.columns[0]:
		p.fields[aContactName] = &spec{field: aContactName, columns: []string{first.columns[0], last.columns[0]}, how: "first and last name"}
	case first != nil && last != nil:
		p.fields[aContactName] = &spec{field: aContactName, columns: first.columns, how: "full name"}
	case last != nil:
		p.fields[aContactName] = &spec{field: aContactName, columns: last.columns, how: "last name"}
	case p.fields[fCompany] != nil:
		p.fields[aContactName] = &spec{field: aContactName, columns: p.fields[fCompany].columns, how: "company"}
	default:
		for _, f := range addr {
			p.noName = append(p.noName, p.fields[f].columns...)
			delete(p.fields, f)
		}
		return
	}
	p.hasBlock = true
}

// chooseKey matches customers by number when every sampled row has one,
// else by e-mail.
func (p *plan) chooseKey() error {
	num, email := p.fields[fCustomerNumber], p.fields[fEmail]
	switch {
	case num != nil && (email == nil || p.byName[num.columns[0]].full()):
		p.key = mapping.MatchCustomerNumber
	case email != nil:
		p.key = mapping.MatchContactEmail
	default:
		return ErrNoKey
	}
	return nil
}

// customerFields and addressFields list the fields in mapping order.
func (p *plan) customerFields() []*spec {
	var out []*spec
	for _, f := range mapping.CustomerColumns {
		if s := p.fields[f]; s != nil {
			out = append(out, s)
		}
	}
	return out
}

func (p *plan) addressFields() []*spec {
	var out []*spec
	for _, f := range mapping.AddressFields {
		if s := p.fields["address."+f]; s != nil {
			out = append(out, s)
		}
	}
	return out
}

func (p *plan) matches() []Match {
	var out []Match
	for _, s := range append(p.customerFields(), p.addressFields()...) {
		for _, c := range s.columns {
			out = append(out, Match{Column: c, Field: s.field, How: s.how})
		}
	}
	return out
}

func (p *plan) unmatched() []string {
	read := map[string]bool{}
	for _, m := range p.matches() {
		read[m.Column] = true
	}
	var out []string
	for _, c := range p.cols {
		if !read[c.name] {
			out = append(out, c.name)
		}
	}
	return out
}
