package mapping

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

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
	schema    *Schema
	accounts  bool // account fields are mapped: rows get the account checks
}

type boundField struct {
	spec  *FieldSpec
	cols  []int    // header indexes; empty for a constant
	names []string // the header names of cols
	label string   // source column name(s) for messages
}

// anyCell reports whether a source cell is non-empty; only needed when
// per-cell values can map a cell to nothing.
func (bf *boundField) anyCell(cells []string) bool {
	if bf.spec.CellValues == nil {
		return false
	}
	for _, i := range bf.cols {
		if i < len(cells) && normalizeCell(cells[i]) != "" {
			return true
		}
	}
	return false
}

// Bind resolves the mapping's columns in header (exact name first, then
// case-insensitively with spaces trimmed). A mapped column missing from the
// input is a *ConfigError listing what is missing and what the input has. With
// the canonical mapping only the match-key column is required, and mixin
// columns of the input are mapped as text.
func (m *Mapping) Bind(file string, header []string) (*Binder, error) {
	b := &Binder{m: m, file: file, header: append([]string(nil), header...), key: -1, secondary: -1}
	r := newResolver(b, header)
	secondaryField := MatchContactEmail
	if m.Match == MatchContactEmail {
		secondaryField = MatchCustomerNumber
	}
	customer, blocks := m.Customer, m.Addresses
	if m.canonical {
		customer, blocks = m.withMixinColumns(header)
	}
	for _, f := range customer {
		bf, ok := r.bind(f, f.Field == m.Match)
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
	for _, a := range blocks {
		var block []boundField
		fromColumns := false
		for _, f := range a.Fields {
			if bf, ok := r.bind(f, false); ok {
				block = append(block, bf)
				fromColumns = fromColumns || len(bf.cols) > 0
			}
		}
		if fromColumns { // a block with no column present could never appear
			b.addresses = append(b.addresses, block)
		}
	}
	if err := r.err(); err != nil {
		return nil, err
	}
	for i, h := range header {
		if !r.used[i] && strings.TrimSpace(h) != "" {
			b.unmapped = append(b.unmapped, h)
		}
	}
	b.schema = b.buildSchema()
	b.accounts = slices.ContainsFunc(b.customer, func(bf boundField) bool { return bf.spec.Def.Role == RoleAccount })
	return b, nil
}

// withMixinColumns returns the canonical specs plus one text field per mixin
// column of the header.
func (m *Mapping) withMixinColumns(header []string) ([]*FieldSpec, []*AddressSpec) {
	customer := slices.Clone(m.Customer)
	block := &AddressSpec{Fields: slices.Clone(m.Addresses[0].Fields)}
	for _, h := range header {
		name, address := strings.CutPrefix(strings.TrimSpace(h), "address.")
		f, _ := mixinField(name, address, KindString)
		if f == nil && !address {
			f = accountField(m.table, name) // the account columns, when the input has them
		}
		if f == nil {
			continue
		}
		fs := &FieldSpec{Field: f.Name, Def: f, Address: address, Columns: []string{h}}
		if address {
			block.Fields = append(block.Fields, fs)
		} else {
			customer = append(customer, fs)
		}
	}
	return customer, []*AddressSpec{block}
}

// buildSchema lists the fields the bound mapping delivers.
func (b *Binder) buildSchema() *Schema {
	s := &Schema{}
	for _, bf := range b.customer {
		s.add(bf.spec.Def)
	}
	for _, block := range b.addresses {
		for _, bf := range block {
			s.add(bf.spec.Def)
		}
	}
	return s
}

// Schema returns the fields the bound mapping delivers.
func (b *Binder) Schema() *Schema { return b.schema }

// resolver finds mapped columns in a header and collects what is missing.
type resolver struct {
	b                 *Binder
	exact, folded     map[string][]int
	used              []bool
	missing, problems []string
}

func newResolver(b *Binder, header []string) *resolver {
	r := &resolver{b: b, exact: map[string][]int{}, folded: map[string][]int{}, used: make([]bool, len(header))}
	for i, h := range header {
		r.exact[h] = append(r.exact[h], i)
		r.folded[foldName(h)] = append(r.folded[foldName(h)], i)
	}
	return r
}

// bind resolves a spec's columns; ok=false when one is absent (reported
// unless the canonical mapping tolerates it) or ambiguous.
func (r *resolver) bind(f *FieldSpec, required bool) (boundField, bool) {
	b, header := r.b, r.b.header
	bf := boundField{spec: f}
	labels := make([]string, 0, len(f.Columns))
	for _, c := range f.Columns {
		ix := r.exact[c]
		if len(ix) == 0 {
			ix = r.folded[foldName(c)]
		}
		switch {
		case len(ix) == 0:
			if !b.m.canonical || required {
				r.missing = append(r.missing, c)
				r.problems = append(r.problems, fmt.Sprintf("%q (%s)", c, b.where(f)))
			}
			return bf, false
		case len(ix) > 1:
			names := make([]string, len(ix))
			for j, i := range ix {
				names[j] = fmt.Sprintf("%q", header[i])
			}
			r.problems = append(r.problems, fmt.Sprintf("%q (%s) is ambiguous: the input has %s", c, b.where(f), strings.Join(names, " and ")))
			return bf, false
		}
		bf.cols = append(bf.cols, ix[0])
		labels = append(labels, header[ix[0]])
	}
	for _, i := range bf.cols {
		r.used[i] = true
	}
	bf.names = labels
	bf.label = strings.Join(labels, " + ")
	return bf, true
}

// err is the *ConfigError for the columns that could not be bound, if any.
func (r *resolver) err() error {
	b := r.b
	if len(r.problems) == 0 && b.key >= 0 {
		return nil
	}
	if len(r.problems) == 0 { // unreachable: Load requires the match key to be mapped
		r.problems = append(r.problems, fmt.Sprintf("%q (the match key)", b.m.Match))
	}
	avail := make([]string, len(b.header))
	for i, h := range b.header {
		avail[i] = fmt.Sprintf("%q", h)
	}
	return &ConfigError{
		File: b.file,
		Msg: fmt.Sprintf("mapped column(s) not usable: %s; the input has the columns: %s",
			strings.Join(r.problems, ", "), strings.Join(avail, ", ")),
		Missing:   r.missing,
		Available: b.header,
	}
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

// normalizeCell undoes the report's formula neutralisation, so a fixed
// .errors file or a report re-imports unchanged, and trims spaces. The
// apostrophe is looked for before trimming (the report neutralises a leading
// TAB or CR) and, for hand-edited cells, after it.
func normalizeCell(s string) string {
	if s == "" || plainEdge(s[0]) && s[0] != '\'' && plainEdge(s[len(s)-1]) {
		return s // the common case: nothing to trim or undo
	}
	if u := sheet.Unneutralise(s); u != s {
		return strings.TrimSpace(u)
	}
	return sheet.Unneutralise(strings.TrimSpace(s))
}

// plainEdge: an ASCII byte that is no space, so TrimSpace keeps it.
func plainEdge(c byte) bool { return c > ' ' && c < utf8.RuneSelf }

// cell returns the normalised text of the field's jth column with its
// per-cell values applied; blank reports a cell that was empty as read.
func (bf *boundField) cell(cells []string, j int) (v string, blank bool) {
	if i := bf.cols[j]; i < len(cells) { // else a short (ragged) row
		v = normalizeCell(cells[i])
	}
	if v == "" {
		return "", true
	}
	if cv := bf.spec.CellValues; cv != nil && cv[j] != nil {
		if to, ok := cv[j][strings.ToLower(v)]; ok {
			return to, false
		}
	}
	return v, false
}

// source returns a field's cell text; several columns are joined, skipping
// empty cells. dropped names the blank cells a join skipped while another cell
// had text (tags excepted: an empty cell simply adds no tag).
func (bf *boundField) source(cells []string) (s string, dropped []string) {
	if len(bf.cols) == 1 {
		s, _ = bf.cell(cells, 0)
		return s, nil
	}
	var parts []string
	var blanks []int
	for j := range bf.cols {
		v, blank := bf.cell(cells, j)
		switch {
		case v != "":
			parts = append(parts, v)
		case blank:
			blanks = append(blanks, j)
		}
	}
	if len(parts) > 0 && !bf.spec.isList() {
		for _, j := range blanks {
			dropped = append(dropped, bf.names[j])
		}
	}
	return strings.Join(parts, bf.spec.Join), dropped
}

// evaluated is one field of one row.
type evaluated struct {
	raw      string // after transforms and values, before validation (match keys)
	res      result
	clear    bool     // the cell held the clear token
	fromCell bool     // a source cell was non-empty
	err      error    // transform or validation problem
	dropped  []string // blank columns a join skipped
}

func (b *Binder) eval(bf *boundField, cells []string) evaluated {
	f := bf.spec
	if f.constant != nil {
		return evaluated{raw: f.constant.s, res: *f.constant}
	}
	s, dropped := bf.source(cells)
	if s == "" {
		if f.fallback != nil {
			return evaluated{raw: f.fallback.s, res: *f.fallback}
		}
		// A cell mapped to "" by per-cell values still counts as present.
		return evaluated{fromCell: bf.anyCell(cells)}
	}
	if b.m.ClearToken != "" && s == b.m.ClearToken {
		return evaluated{clear: true, fromCell: true}
	}
	raw, res, err := f.convert(s)
	return evaluated{raw: raw, res: res, fromCell: true, err: err, dropped: dropped}
}

// convert runs a non-empty value through transforms, split (list fields),
// values and validation. raw is the value before validation (empty for a
// list); an empty result means no value.
func (f *FieldSpec) convert(s string) (raw string, res result, err error) {
	for _, t := range f.Transforms {
		if s, err = t.apply(s); err != nil {
			return "", result{}, err
		}
	}
	if f.isList() {
		return "", f.convertList(s), nil
	}
	raw = f.mapValue(s)
	if raw == "" || f.Def.Check == nil {
		return raw, result{s: raw}, nil
	}
	v, err := f.Def.Check(raw)
	return raw, result{s: v}, err
}

// convertList splits a list value (when the field has split), maps and trims
// each part and drops empty parts (and repeated tags). It leaves raw empty: no
// match key is a list.
func (f *FieldSpec) convertList(s string) (res result) {
	n := 1
	if f.Split != "" {
		n += strings.Count(s, f.Split)
	}
	res.list = make([]string, 0, n) // one allocation: no split slice, no regrowth
	for rest, more := s, true; more; {
		var p string
		if f.Split == "" {
			p, more = rest, false
		} else {
			p, rest, more = strings.Cut(rest, f.Split)
		}
		p = f.mapValue(strings.TrimSpace(p))
		if p != "" && !(f.Def.Role == RoleTags && slices.Contains(res.list, p)) {
			res.list = append(res.list, p)
		}
	}
	if len(res.list) == 0 {
		res.list = nil
	}
	return res
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

// Map maps and validates one row. Every problem is listed in Row.Errors as
// `row N, column "X": …`, X naming the source column(s); doubtful but usable
// values (a join that skipped an empty cell, a tag holding a separator, a zip
// code unlike the country's) are listed in Row.Warnings the same way.
func (b *Binder) Map(r sheet.Row) *Row {
	return b.mapRow(r).row
}

// mapKeyed maps a row and returns its group key as matchKey does, from the
// evaluation the mapping made anyway.
func (b *Binder) mapKeyed(r sheet.Row) (row *Row, key string, ok bool) {
	m := b.mapRow(r)
	key, ok = b.groupKey(m.key)
	return m.row, key, ok
}

func (b *Binder) mapRow(r sheet.Row) *rowMapper {
	ra := &rowAlloc{row: Row{Row: r}}
	m := rowMapper{b: b, row: &ra.row, spare: ra.addr[:0:1]}
	if r.Err != nil {
		m.row.Errors = append(m.row.Errors, fmt.Sprintf("row %d: %v", r.Num, r.Err))
	}
	m.customer()
	if b.accounts {
		for _, p := range accountProblems(m.row.Customer) {
			m.row.Errors = append(m.row.Errors, fmt.Sprintf("row %d: %s", r.Num, p))
		}
	}
	for _, block := range b.addresses {
		m.address(block)
	}
	return &m
}

// rowAlloc is a Row with room for its first address: most rows have one,
// and one allocation then holds both.
type rowAlloc struct {
	row  Row
	addr [1]Address
}

// rowMapper maps one row: the customer fields, then each address block.
type rowMapper struct {
	b     *Binder
	row   *Row
	spare []Address // the rowAlloc's room for the first address
	key   evaluated // the match key field, as evaluated
}

func (m *rowMapper) msg(bf *boundField, format string, args ...any) string {
	label := bf.label
	if label == "" {
		label = bf.spec.name()
	}
	return fmt.Sprintf("row %d, column %q: ", m.row.Num, label) + fmt.Sprintf(format, args...)
}

func (m *rowMapper) fail(bf *boundField, format string, args ...any) {
	m.row.Errors = append(m.row.Errors, m.msg(bf, format, args...))
}

func (m *rowMapper) warn(bf *boundField, format string, args ...any) {
	m.row.Warnings = append(m.row.Warnings, m.msg(bf, format, args...))
}

// value evaluates one field; ok=false when it failed (already reported).
func (m *rowMapper) value(bf *boundField) (v evaluated, ok bool) {
	v = m.b.eval(bf, m.row.Cells)
	for _, c := range v.dropped {
		m.warn(bf, "column %q is empty; joined without it", c)
	}
	switch def := bf.spec.Def; {
	case v.err != nil && def.Secret:
		// The error may quote the cell: a hash is never shown.
		m.fail(bf, "%s: the mapping's values or transforms cannot convert the value %s", def.Name, redacted)
		return v, false
	case v.err != nil:
		m.fail(bf, "%v", v.err)
		return v, false
	case v.clear && def.NoClear != "":
		m.fail(bf, "%s cannot be cleared: %s", bf.spec.name(), def.NoClear)
		return v, false
	}
	return v, true
}

// result is the Value of an evaluated field; ok=false when the field has none.
func (v evaluated) value() (Value, bool) {
	switch {
	case v.clear:
		return Value{Clear: true}, true
	case len(v.res.list) > 0:
		return Value{List: v.res.list}, true
	case v.res.s != "":
		return Value{S: v.res.s}, true
	}
	return Value{}, false
}

// fieldValue is one field of a row before it goes into Fields.
type fieldValue struct {
	field string
	v     Value
}

// maxFields is how many field values a row collects on the stack before
// making its map: every field of the standard table and some mixins (more
// spill to the heap).
const maxFields = 32

// fields makes the map of the collected values, sized to hold exactly them:
// a map sized for every bound field would mostly be empty, and one of more
// than 8 entries costs several allocations.
func fields(vals []fieldValue) Fields {
	out := make(Fields, len(vals))
	for _, fv := range vals {
		out[fv.field] = fv.v
	}
	return out
}

func (m *rowMapper) customer() {
	b := m.b
	keyFailed := false
	var buf [maxFields]fieldValue
	vals := buf[:0]
	for i := range b.customer {
		bf := &b.customer[i]
		v, ok := m.value(bf)
		if i == b.key {
			m.key, keyFailed = v, !ok
		}
		if val, has := v.value(); ok && has {
			vals = append(vals, fieldValue{bf.spec.Field, val})
		}
	}
	m.row.Customer = fields(vals)
	if _, ok := m.row.Customer[b.m.Match]; !ok && !keyFailed {
		m.fail(&b.customer[b.key], "%s is required", b.m.Match)
	}
}

func (m *rowMapper) address(block []boundField) {
	var a Address
	present, nameFailed := false, false
	warned := len(m.row.Warnings)
	var nameField, zipField *boundField
	var buf [maxFields]fieldValue
	vals := buf[:0]
	for i := range block {
		bf := &block[i]
		v, ok := m.value(bf)
		present = present || v.fromCell
		switch bf.spec.Field {
		case FieldContactName:
			nameField, nameFailed = bf, !ok
		case "zipCode":
			zipField = bf
		}
		val, has := v.value()
		switch {
		case !ok || !has:
		case bf.spec.Def.Role == RoleTags:
			a.Tags = val.List
			m.checkTags(bf, a.Tags)
		default:
			vals = append(vals, fieldValue{bf.spec.Field, val})
		}
	}
	if !present {
		m.row.Warnings = m.row.Warnings[:warned]
		return // only constants or defaults: no address in this row
	}
	if len(vals) > 0 {
		a.Fields = fields(vals)
	}
	if _, ok := a.Fields[FieldContactName]; !ok && !nameFailed {
		if nameField == nil {
			nameField = &boundField{spec: &FieldSpec{Field: FieldContactName, Address: true, Def: stdTable.Lookup(FieldContactName, true)}}
		}
		m.fail(nameField, "address.contactName is required when the row has an address")
	}
	if zip, country := a.Fields["zipCode"], a.Fields["country"]; zipField != nil && zip.S != "" && country.S != "" {
		if why := CheckZip(country.S, zip.S); why != "" {
			m.warn(zipField, "%s", why)
		}
	}
	if m.row.Addresses == nil {
		m.row.Addresses = m.spare
	}
	m.row.Addresses = append(m.row.Addresses, a)
}

// checkTags warns about a tag holding a list separator.
func (m *rowMapper) checkTags(bf *boundField, tags []string) {
	for _, t := range tags {
		if sep := tagSeparator(t); sep != "" {
			m.warn(bf, "tag %s contains %q, so Emporix would read several tags; add split: %q", quote(t), sep, sep)
		}
	}
}

// tagSeparator returns the list separator a tag contains, if any: the tags
// endpoint takes a comma-separated list, and ; or | usually mean a missing split.
func tagSeparator(t string) string {
	for i := 0; i < len(t); i++ {
		if c := t[i]; c == ',' || c == ';' || c == '|' {
			return t[i : i+1]
		}
	}
	return ""
}

// groupKey is the group key of an evaluated match key field.
func (b *Binder) groupKey(v evaluated) (string, bool) {
	if v.clear || v.raw == "" {
		return "", false
	}
	if b.m.Match == MatchContactEmail {
		return strings.ToLower(v.raw), true
	}
	return v.raw, true
}

// matchKey returns a row's group key (the match key, lower-cased for e-mail)
// and its other identity (e-mail lower-cased, or customer number), evaluating
// only those two fields. ok=false: the row has no usable match key.
func (b *Binder) matchKey(r sheet.Row) (key, other string, ok bool) {
	if key, ok = b.groupKey(b.eval(&b.customer[b.key], r.Cells)); !ok {
		return "", "", false
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
