package mapping

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v4"

	"github.com/emporix-import/emporix-import/presets"
	"github.com/emporix-import/emporix-import/sheet"
)

// Match keys: which field identifies a customer across rows and in the tenant.
const (
	MatchCustomerNumber = FieldCustomerNumber
	MatchContactEmail   = FieldContactEmail
)

// Mapping says how input columns become Emporix customer and address fields.
type Mapping struct {
	File       string       // mapping file path; "" for Default
	Input      Input        // reader overrides
	Match      string       // MatchCustomerNumber (default) or MatchContactEmail
	ClearToken string       // a cell holding exactly this clears the field; "" = none
	Customer   []*FieldSpec // customer fields, in file order
	Addresses  []*AddressSpec

	table Table
	// canonical: no field mapping was given, so the canonical columns present
	// in the input are mapped and absent ones are simply unmapped.
	canonical bool
}

// Input holds the `input:` section: overrides for the sheet reader.
type Input struct {
	Sheet     string
	HeaderRow int  // 0 = 1
	Delimiter rune // 0 = sniff
	Encoding  string
}

// AddressSpec is one address block: every input row yields at most one address per block.
type AddressSpec struct {
	Line   int
	Fields []*FieldSpec
}

// FieldSpec says where one Emporix field comes from and how its value is converted:
// cells → per-cell values → (join) → clear token? → transforms → (split) → values → validation.
type FieldSpec struct {
	Field      string              // field name: customer "contactEmail", address "zipCode", "mixins.erp.tier"
	Def        *Field              // the field's description
	Address    bool                // an address field
	Line       int                 // line in the mapping file; 0 for the canonical mapping
	Columns    []string            // source columns; empty for a constant
	CellValues []map[string]string // per column of Columns: values applied to that cell before join; nil entries = none
	Join       string              // separator between non-empty cells of several columns
	Value      string              // constant, when Columns is empty
	Default    string              // used when the source cells are all empty
	HasDefault bool                //
	Values     map[string]string   // lower-cased, trimmed source value → target; others pass unchanged
	Split      string              // list fields: separator between several items in one cell
	Transforms []Transform

	constant *result // converted Value, when Columns is empty
	fallback *result // converted Default
}

// result is a converted value: s for plain fields, list for list fields.
type result struct {
	s    string
	list []string
}

func (r result) empty() bool { return r.s == "" && len(r.list) == 0 }

func (f *FieldSpec) isList() bool { return f.Def.Kind == KindList }

// name is the field as users write it in messages: "address.zipCode", "contactEmail".
func (f *FieldSpec) name() string {
	if f.Address {
		return "address." + f.Field
	}
	return f.Field
}

// SheetOptions returns the reader overrides of the `input:` section.
func (m *Mapping) SheetOptions() sheet.Options {
	return sheet.Options{
		Sheet:     m.Input.Sheet,
		HeaderRow: m.Input.HeaderRow,
		Delimiter: m.Input.Delimiter,
		Encoding:  m.Input.Encoding,
	}
}

// Default is the mapping used without --mapping: the canonical columns, named
// exactly like the Emporix fields, one address block from the address.* columns
// and address.tags split on ",". Mixin columns present in the input
// (mixins.<mixin>.<field>, address.mixins.<…>) are mapped as text.
func Default() *Mapping { return DefaultFor(Std()) }

// DefaultFor is Default over another field table.
func DefaultFor(t Table) *Mapping {
	m := &Mapping{Match: MatchCustomerNumber, table: t}
	m.setCanonical()
	return m
}

func (m *Mapping) setCanonical() {
	m.canonical = true
	m.Customer = m.Customer[:0]
	a := &AddressSpec{}
	for _, f := range m.table {
		if !f.Canonical {
			continue
		}
		fs := &FieldSpec{Field: f.Name, Def: f, Address: f.Address, Columns: []string{f.Column()}}
		if f.Address {
			if f.Kind == KindList {
				fs.Split = ","
			}
			a.Fields = append(a.Fields, fs)
		} else {
			m.Customer = append(m.Customer, fs)
		}
	}
	m.Addresses = []*AddressSpec{a}
}

// Load reads and checks a mapping file, or a built-in mapping when path is
// "preset:NAME". Every problem is a *ConfigError naming the file and, where
// it has one, the line.
func Load(path string) (*Mapping, error) { return LoadTable(Std(), path) }

// LoadTable is Load over another field table.
func LoadTable(t Table, path string) (*Mapping, error) {
	data, err := ReadSource(path)
	if err != nil {
		return nil, err
	}
	return ParseTable(t, path, data)
}

// ReadSource returns the text of a mapping file or of a "preset:NAME".
func ReadSource(path string) ([]byte, error) {
	if name, ok := strings.CutPrefix(path, presets.Prefix); ok {
		p, ok := presets.Get(name)
		if !ok {
			return nil, &ConfigError{File: path, Msg: fmt.Sprintf("unknown preset %q (known: %s; see emporix-import presets)",
				name, strings.Join(presets.Names(), ", "))}
		}
		return p.Source, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &ConfigError{File: path, Msg: "cannot read mapping file: " + err.Error(), Err: err}
	}
	return data, nil
}

// Columns returns the input columns the mapping reads, in mapping order,
// each once; nil for the canonical mapping (it reads whichever are present).
func (m *Mapping) Columns() []string {
	if m.canonical {
		return nil
	}
	var cols []string
	add := func(fs []*FieldSpec) {
		for _, f := range fs {
			for _, c := range f.Columns {
				if !slices.Contains(cols, c) {
					cols = append(cols, c)
				}
			}
		}
	}
	add(m.Customer)
	for _, a := range m.Addresses {
		add(a.Fields)
	}
	return cols
}

// Parse is Load for a mapping held in memory; name is used in messages.
func Parse(name string, data []byte) (*Mapping, error) { return ParseTable(Std(), name, data) }

// ParseTable is Parse over another field table.
func ParseTable(t Table, name string, data []byte) (*Mapping, error) {
	m, err := parse(t, data)
	if err != nil {
		var ce *ConfigError
		if !errors.As(err, &ce) {
			ce = &ConfigError{Msg: err.Error(), Err: err}
		}
		ce.File = name
		return nil, ce
	}
	m.File = name
	return m, nil
}

func parse(t Table, data []byte) (*Mapping, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var doc fileDoc
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		return nil, yamlError(err)
	}
	b := &builder{m: &Mapping{Match: MatchCustomerNumber, table: t}}
	if err := b.build(&doc); err != nil {
		return nil, err
	}
	return b.m, nil
}

// yamlError turns a decoder error into a *ConfigError on its line.
func yamlError(err error) error {
	var ce *ConfigError
	if errors.As(err, &ce) {
		return ce
	}
	var les *yaml.LoadErrors
	if errors.As(err, &les) {
		if ce := configError(les); ce != nil {
			return ce
		}
	}
	var le *yaml.LoadError
	if errors.As(err, &le) {
		return &ConfigError{Line: le.Mark.Line, Msg: "invalid YAML: " + le.Message, Err: err}
	}
	return &ConfigError{Msg: "invalid YAML: " + err.Error(), Err: err}
}

// builder turns the decoded document into a Mapping.
type builder struct{ m *Mapping }

func errAt(line int, format string, args ...any) error {
	return &ConfigError{Line: line, Msg: fmt.Sprintf(format, args...)}
}

func fromProblem(p *problem) error { return &ConfigError{Line: p.line, Msg: p.msg} }

func (b *builder) build(d *fileDoc) error {
	m := b.m
	if err := b.input(&d.Input); err != nil {
		return err
	}
	if d.Match.Set {
		s, p := d.Match.value("match")
		if p != nil {
			return fromProblem(p)
		}
		if s != MatchCustomerNumber && s != MatchContactEmail {
			return errAt(d.Match.Line, "match must be %s or %s, not %q", MatchCustomerNumber, MatchContactEmail, s)
		}
		m.Match = s
	}
	if d.ClearToken.Set {
		s, p := d.ClearToken.value("clear_token")
		if p != nil {
			return fromProblem(p)
		}
		if m.ClearToken = strings.TrimSpace(s); m.ClearToken == "" {
			return errAt(d.ClearToken.Line, "clear_token must not be empty (empty cells never clear)")
		}
	}
	if !d.Customer.Set && !d.Addresses.set() && !d.Account.Set {
		// Only reader options (or nothing): the canonical columns apply.
		if d.MixinSchemas.Set || d.AddressMixinSchemas.Set {
			return errAt(max(d.MixinSchemas.Line, d.AddressMixinSchemas.Line), "mixin_schemas needs the mixin fields mapped under customer or addresses")
		}
		m.setCanonical()
		return nil
	}
	specs, err := b.fields(&d.Customer, false, "customer")
	if err != nil {
		return err
	}
	m.Customer = specs
	if err := b.account(&d.Account); err != nil {
		return err
	}
	if err := b.addresses(&d.Addresses); err != nil {
		return err
	}
	if err := b.schemas(&d.MixinSchemas, &d.AddressMixinSchemas); err != nil {
		return err
	}
	return b.requireMatch(d)
}

func (l *blockList) set() bool { return l.Line > 0 }

func (b *builder) requireMatch(d *fileDoc) error {
	m := b.m
	if slices.ContainsFunc(m.Customer, func(f *FieldSpec) bool { return f.Field == m.Match && len(f.Columns) > 0 }) {
		return nil
	}
	line := d.Customer.Line
	switch {
	case d.Match.Set:
		line = d.Match.Line
	case !d.Customer.Set:
		line = d.Addresses.Line
	}
	return errAt(line, "the match key %s must be mapped to a column under customer", m.Match)
}

func (b *builder) input(d *inputDoc) error {
	if d.bad != nil {
		return fromProblem(d.bad)
	}
	in := &b.m.Input
	for _, s := range []struct {
		name string
		v    scalar
		set  func(string) bool
	}{
		{"sheet", d.Sheet, func(v string) bool { in.Sheet = v; return true }},
		{"header_row", d.HeaderRow, func(v string) bool {
			h, err := strconv.Atoi(strings.TrimSpace(v))
			in.HeaderRow = h
			return err == nil && h >= 1 && h <= 1_048_576
		}},
		{"delimiter", d.Delimiter, func(v string) bool { in.Delimiter = delimiter(v); return in.Delimiter != 0 }},
		{"encoding", d.Encoding, func(v string) bool {
			enc, _, err := sheet.LookupEncoding(v)
			in.Encoding = enc
			return err == nil
		}},
	} {
		if !s.v.Set {
			continue
		}
		v, p := s.v.value("input." + s.name)
		if p != nil {
			return fromProblem(p)
		}
		if !s.set(v) {
			return errAt(s.v.Line, "input.%s %s, not %q", s.name, inputRules[s.name], v)
		}
	}
	return nil
}

var inputRules = map[string]string{
	"header_row": "must be a row number from 1",
	"delimiter":  `must be one character such as ";" or "tab"`,
	"encoding":   "must be utf-8, utf-16, windows-1252, iso-8859-1 or another IANA encoding name",
}

// delimiter returns the one-character delimiter s names, 0 when it names none.
func delimiter(s string) rune {
	switch strings.ToLower(s) {
	case "tab", `\t`:
		s = "\t"
	}
	r, size := utf8.DecodeRuneInString(s)
	if size == 0 || size != len(s) || r == utf8.RuneError || r == '"' || r == '\r' || r == '\n' {
		return 0
	}
	return r
}

func (b *builder) addresses(l *blockList) error {
	if l.bad {
		return errAt(l.Line, "addresses must be a list of address blocks (each starting with \"- \")")
	}
	for i := range l.Blocks {
		blk := &l.Blocks[i]
		what := fmt.Sprintf("addresses[%d]", i)
		if blk.bad {
			return errAt(blk.Line, "%s must be a mapping of key: value", what)
		}
		if len(blk.Pairs) == 0 {
			return errAt(blk.Line, "%s maps no fields", what)
		}
		specs, err := b.fields(blk, true, what)
		if err != nil {
			return err
		}
		if !slices.ContainsFunc(specs, func(f *FieldSpec) bool { return f.Field == FieldContactName }) {
			return errAt(blk.Line, "%s must map contactName (Emporix requires it for every address)", what)
		}
		b.m.Addresses = append(b.m.Addresses, &AddressSpec{Line: blk.Line, Fields: specs})
	}
	return nil
}

// fields builds the specs of `customer:` or one address block.
func (b *builder) fields(fm *fieldMap, address bool, what string) ([]*FieldSpec, error) {
	if fm.bad {
		return nil, errAt(fm.Line, "%s must be a mapping of key: value", what)
	}
	var out []*FieldSpec
	for _, p := range fm.Pairs {
		def, err := b.lookup(p, address)
		if err != nil {
			return nil, err
		}
		fs, err := b.field(def, p.Key.Line, p.doc)
		if err != nil {
			return nil, err
		}
		out = append(out, fs)
	}
	return out, nil
}

// lookup finds the table entry of a mapped key, or describes a mixin field.
func (b *builder) lookup(p pair, address bool) (*Field, error) {
	name, line := p.Key.V, p.Key.Line
	if strings.HasPrefix(name, mixinPrefix) {
		kind := KindString
		if p.doc.Kind.Set {
			s, pr := p.doc.Kind.value(fmt.Sprintf("field %q: kind", name))
			if pr != nil {
				return nil, fromProblem(pr)
			}
			k, ok := kindNames[s]
			if !ok {
				return nil, errAt(p.doc.Kind.Line, "field %q: unknown kind %q (known: string, number, boolean, date, list)", name, s)
			}
			kind = k
		}
		f, why := mixinField(name, address, kind)
		if f == nil {
			return nil, errAt(line, "field %q: %s", name, why)
		}
		return f, nil
	}
	if p.doc.Kind.Set {
		return nil, errAt(p.doc.Kind.Line, "field %q: kind only applies to mixin fields (mixins.<mixin>.<field>)", name)
	}
	if f := b.m.table.Lookup(name, address); f != nil && f.Role != RoleAccount {
		return f, nil
	}
	if f := accountField(b.m.table, name); f != nil && !address {
		return f, nil
	}
	what := "customer"
	if address {
		what = "address"
	}
	return nil, errAt(line, "unknown %s field %q (known: %s, mixins.<mixin>.<field>)", what, name, strings.Join(b.m.table.Names(address), ", "))
}

// schemas adds the mixin schema links as constant metadata.mixins fields, on
// the customer or on every address block.
func (b *builder) schemas(customer, address *pairList) error {
	for _, s := range []struct {
		l       *pairList
		address bool
		key     string
	}{{customer, false, "mixin_schemas"}, {address, true, "address_mixin_schemas"}} {
		if s.l.bad {
			return errAt(s.l.Line, "%s must be a mapping such as { erp: https://example.com/erp.v1.json }", s.key)
		}
		for _, p := range s.l.Pairs {
			if err := b.schema(p, s.address, s.key); err != nil {
				return err
			}
		}
	}
	return nil
}

func (b *builder) schema(p pair, address bool, key string) error {
	mixin := p.Key.V
	url, pr := p.Val.value(fmt.Sprintf("%s: %s", key, mixin))
	if pr != nil {
		return fromProblem(pr)
	}
	def := schemaField(mixin, address)
	fs := &FieldSpec{Field: def.Name, Def: def, Address: address, Line: p.Key.Line, Value: strings.TrimSpace(url)}
	if err := compile(fs); err != nil {
		return err
	}
	uses := func(specs []*FieldSpec) bool {
		return slices.ContainsFunc(specs, func(f *FieldSpec) bool { return f.Def.Mixin == mixin })
	}
	used := false
	if !address {
		used = uses(b.m.Customer)
		b.m.Customer = append(b.m.Customer, fs)
	}
	for _, a := range b.m.Addresses {
		if address && uses(a.Fields) {
			used = true
			a.Fields = append(a.Fields, fs)
		}
	}
	if !used {
		return errAt(p.Key.Line, "%s: no field of mixin %q is mapped (mixins.%s.<field>)", key, mixin, mixin)
	}
	return nil
}

// account reads the account block: its keys are the account fields without
// their "account." prefix (passwordHash, legacyAuth.hash, …).
func (b *builder) account(fm *fieldMap) error {
	if !fm.Set {
		return nil
	}
	for i := range fm.Pairs {
		k := &fm.Pairs[i].Key
		if accountField(b.m.table, accountPrefix+k.V) == nil {
			return errAt(k.Line, "unknown account field %q (known: email, passwordHash, legacyAuth.algorithm, legacyAuth.hash, legacyAuth.context.<key>)", k.V)
		}
		k.V = accountPrefix + k.V
	}
	specs, err := b.fields(fm, false, "account")
	if err != nil {
		return err
	}
	b.m.Customer = append(b.m.Customer, specs...)
	return nil
}
