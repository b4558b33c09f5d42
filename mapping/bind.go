package mapping

import (
	"fmt"
	"strings"

	"github.com/emporix-import/emporix-import/sheet"
)

// Binder is a Mapping resolved against one input header. Map is cheap and
// does not modify the Binder; a Binder is safe for concurrent use.
type Binder struct {
	m         *Mapping
	file      string
	header    []string
	customer  []boundField
	addresses [][]boundField
	key       int // index into customer of the match-key field
	secondary int // index into customer of the other identity field; -1 if unmapped
	unmapped  []string
}

type boundField struct {
	spec  *FieldSpec
	cols  []int  // header indexes; empty for a constant
	label string // source column name(s) for messages
}

// Bind resolves the mapping's columns in header (exact name first, then
// case-insensitively with spaces trimmed). A mapped column missing from the
// input is a *ConfigError listing what is missing and what the input has. With
// the canonical mapping only the match-key column is required.
func (m *Mapping) Bind(file string, header []string) (*Binder, error) {
	b := &Binder{m: m, file: file, header: append([]string(nil), header...), key: -1, secondary: -1}
	exact := make(map[string][]int, len(header))
	folded := make(map[string][]int, len(header))
	for i, h := range header {
		exact[h] = append(exact[h], i)
		folded[foldName(h)] = append(folded[foldName(h)], i)
	}
	used := make([]bool, len(header))
	var missing, problems []string

	// bind resolves a spec's columns; ok=false when one is absent (reported
	// unless the canonical mapping tolerates it).
	bind := func(f *FieldSpec, required bool) (boundField, bool) {
		bf := boundField{spec: f}
		labels := make([]string, 0, len(f.Columns))
		for _, c := range f.Columns {
			ix := exact[c]
			if len(ix) == 0 {
				ix = folded[foldName(c)]
			}
			switch {
			case len(ix) == 0:
				if !b.m.canonical || required {
					missing = append(missing, c)
					problems = append(problems, fmt.Sprintf("%q (%s)", c, b.where(f)))
				}
				return bf, false
			case len(ix) > 1:
				names := make([]string, len(ix))
				for j, i := range ix {
					names[j] = fmt.Sprintf("%q", header[i])
				}
				problems = append(problems, fmt.Sprintf("%q (%s) is ambiguous: the input has %s", c, b.where(f), strings.Join(names, " and ")))
				return bf, false
			}
			bf.cols = append(bf.cols, ix[0])
			labels = append(labels, header[ix[0]])
		}
		for _, i := range bf.cols {
			used[i] = true
		}
		bf.label = strings.Join(labels, " + ")
		return bf, true
	}

	secondaryField := MatchContactEmail
	if m.Match == MatchContactEmail {
		secondaryField = MatchCustomerNumber
	}
	for _, f := range m.Customer {
		bf, ok := bind(f, f.Field == m.Match)
		if !ok {
			continue
		}
		switch f.Field {
		case m.Match:
			b.key = len(b.customer)
		case secondaryField:
			b.secondary = len(b.customer)
		}
		b.customer = append(b.customer, bf)
	}
	for _, a := range m.Addresses {
		var block []boundField
		fromColumns := false
		for _, f := range a.Fields {
			if bf, ok := bind(f, false); ok {
				block = append(block, bf)
				fromColumns = fromColumns || len(bf.cols) > 0
			}
		}
		if fromColumns { // a block with no column present could never appear
			b.addresses = append(b.addresses, block)
		}
	}
	if len(problems) > 0 || b.key < 0 {
		if len(problems) == 0 { // unreachable: Load requires the match key to be mapped
			problems = append(problems, fmt.Sprintf("%q (the match key)", m.Match))
		}
		avail := make([]string, len(header))
		for i, h := range header {
			avail[i] = fmt.Sprintf("%q", h)
		}
		return nil, &ConfigError{
			File: file,
			Msg: fmt.Sprintf("mapped column(s) not usable: %s; the input has the columns: %s",
				strings.Join(problems, ", "), strings.Join(avail, ", ")),
			Missing:   missing,
			Available: b.header,
		}
	}
	for i, h := range header {
		if !used[i] && strings.TrimSpace(h) != "" {
			b.unmapped = append(b.unmapped, h)
		}
	}
	return b, nil
}

// where names the mapping that asked for a column, for Bind errors.
func (b *Binder) where(f *FieldSpec) string {
	if b.m.canonical {
		if f.Field == b.m.Match && !f.Address {
			return "the match key"
		}
		return "canonical column"
	}
	return fmt.Sprintf("field %s, %s:%d", f.name(), b.m.File, f.Line)
}

func foldName(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// Header returns the input header the Binder was built for.
func (b *Binder) Header() []string { return b.header }

// Unmapped returns the input columns no field uses, in input order.
func (b *Binder) Unmapped() []string { return b.unmapped }

// Mapping returns the mapping the Binder was built from.
func (b *Binder) Mapping() *Mapping { return b.m }

// normalizeCell trims spaces and undoes the report's formula neutralisation
// (a leading ' before = + - @), so a fixed .errors file re-imports unchanged.
func normalizeCell(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && s[0] == '\'' && strings.IndexByte("=+-@", s[1]) >= 0 {
		return s[1:]
	}
	return s
}

// source returns a field's normalised cell text; several columns are joined,
// skipping empty cells.
func (bf *boundField) source(cells []string) string {
	cell := func(i int) string {
		if i < len(cells) {
			return normalizeCell(cells[i])
		}
		return "" // short (ragged) row
	}
	if len(bf.cols) == 1 {
		return cell(bf.cols[0])
	}
	var parts []string
	for _, i := range bf.cols {
		if s := cell(i); s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, bf.spec.Join)
}

// evaluated is one field of one row.
type evaluated struct {
	raw      string // after transforms and values, before validation (match keys)
	res      result
	clear    bool  // the cell held the clear token
	fromCell bool  // a source cell was non-empty
	err      error // transform or validation problem
}

func (b *Binder) eval(bf *boundField, cells []string) evaluated {
	f := bf.spec
	if f.constant != nil {
		return evaluated{raw: f.constant.s, res: *f.constant}
	}
	s := bf.source(cells)
	if s == "" {
		if f.fallback != nil {
			return evaluated{raw: f.fallback.s, res: *f.fallback}
		}
		return evaluated{}
	}
	if b.m.ClearToken != "" && s == b.m.ClearToken {
		return evaluated{clear: true, fromCell: true}
	}
	raw, res, err := f.convert(s)
	return evaluated{raw: raw, res: res, fromCell: true, err: err}
}

// convert runs a non-empty value through transforms, split (tags), values and
// validation. raw is the value before validation; an empty result means no value.
func (f *FieldSpec) convert(s string) (raw string, res result, err error) {
	for _, t := range f.Transforms {
		if s, err = t.apply(s); err != nil {
			return "", result{}, err
		}
	}
	if f.isTags() {
		parts := []string{s}
		if f.Split != "" {
			parts = strings.Split(s, f.Split)
		}
		for _, p := range parts {
			if p = f.mapValue(strings.TrimSpace(p)); p != "" && !containsString(res.tags, p) {
				res.tags = append(res.tags, p)
			}
		}
		return strings.Join(res.tags, ","), res, nil
	}
	raw = f.mapValue(s)
	if raw == "" || f.check == nil {
		return raw, result{s: raw}, nil
	}
	v, err := f.check(raw)
	return raw, result{s: v}, err
}

// mapValue applies `values`: matched case-insensitively on the trimmed value;
// an unmapped value passes through unchanged.
func (f *FieldSpec) mapValue(s string) string {
	if f.Values == nil {
		return s
	}
	if to, ok := f.Values[strings.ToLower(strings.TrimSpace(s))]; ok {
		return to
	}
	return s
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Map maps and validates one row. Every problem is listed in Row.Errors as
// `row N, column "X": …`, X naming the source column(s).
func (b *Binder) Map(r sheet.Row) *Row {
	row := &Row{Row: r, Customer: make(Fields, len(b.customer))}
	if r.Err != nil {
		row.Errors = append(row.Errors, fmt.Sprintf("row %d: %v", r.Num, r.Err))
	}
	fail := func(bf *boundField, format string, args ...any) {
		label := bf.label
		if label == "" {
			label = bf.spec.name()
		}
		row.Errors = append(row.Errors, fmt.Sprintf("row %d, column %q: ", r.Num, label)+fmt.Sprintf(format, args...))
	}

	keyFailed := false
	for i := range b.customer {
		bf := &b.customer[i]
		v := b.eval(bf, r.Cells)
		field := bf.spec.Field
		switch {
		case v.err != nil:
			fail(bf, "%v", v.err)
			keyFailed = keyFailed || i == b.key
		case v.clear && clearRefusal(field, false) != "":
			fail(bf, "%s cannot be cleared: %s", field, clearRefusal(field, false))
			keyFailed = keyFailed || i == b.key
		case v.clear:
			row.Customer[field] = Value{Clear: true}
		case v.res.s != "":
			row.Customer[field] = Value{S: v.res.s}
		}
	}
	if _, ok := row.Customer[b.m.Match]; !ok && !keyFailed {
		fail(&b.customer[b.key], "%s is required", b.m.Match)
	}

	for _, block := range b.addresses {
		var a Address
		present, nameFailed := false, false
		var nameField *boundField
		for i := range block {
			bf := &block[i]
			v := b.eval(bf, r.Cells)
			present = present || v.fromCell
			field := bf.spec.Field
			if field == "contactName" {
				nameField = bf
			}
			switch {
			case v.err != nil:
				fail(bf, "%v", v.err)
				nameFailed = nameFailed || field == "contactName"
			case v.clear && clearRefusal(field, true) != "":
				fail(bf, "address.%s cannot be cleared: %s", field, clearRefusal(field, true))
				nameFailed = nameFailed || field == "contactName"
			case v.clear:
				setField(&a, len(block), field, Value{Clear: true})
			case bf.spec.isTags():
				a.Tags = v.res.tags
			case v.res.s != "":
				setField(&a, len(block), field, Value{S: v.res.s})
			}
		}
		if !present {
			continue // only constants or defaults: no address in this row
		}
		if _, ok := a.Fields["contactName"]; !ok && !nameFailed {
			if nameField == nil {
				nameField = &boundField{spec: &FieldSpec{Field: "contactName", Address: true}}
			}
			fail(nameField, "address.contactName is required when the row has an address")
		}
		row.Addresses = append(row.Addresses, a)
	}
	return row
}

func setField(a *Address, size int, field string, v Value) {
	if a.Fields == nil {
		a.Fields = make(Fields, size)
	}
	a.Fields[field] = v
}

// matchKey returns a row's group key (the match key, lower-cased for e-mail)
// and its other identity (e-mail lower-cased, or customer number), evaluating
// only those two fields. ok=false: the row has no usable match key.
func (b *Binder) matchKey(r sheet.Row) (key, other string, ok bool) {
	v := b.eval(&b.customer[b.key], r.Cells)
	if v.clear || v.raw == "" {
		return "", "", false
	}
	key = v.raw
	if b.m.Match == MatchContactEmail {
		key = strings.ToLower(key)
	}
	if b.secondary >= 0 {
		if s := b.eval(&b.customer[b.secondary], r.Cells); !s.clear && s.err == nil && s.raw != "" {
			other = s.raw
			if b.m.Match == MatchCustomerNumber {
				other = strings.ToLower(other)
			}
		}
	}
	return key, other, true
}
