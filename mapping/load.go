package mapping

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/emporix-import/emporix-import/presets"
	"github.com/emporix-import/emporix-import/sheet"
)

// Match keys: which field identifies a customer across rows and in the tenant.
const (
	MatchCustomerNumber = "customerNumber"
	MatchContactEmail   = "contactEmail"
)

// Mapping says how input columns become Emporix customer and address fields.
type Mapping struct {
	File       string       // mapping file path; "" for Default
	Input      Input        // reader overrides
	Match      string       // MatchCustomerNumber (default) or MatchContactEmail
	ClearToken string       // a cell holding exactly this clears the field; "" = none
	Customer   []*FieldSpec // customer fields, in file order
	Addresses  []*AddressSpec

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
	Field      string              // Emporix field: customer "contactEmail", address "zipCode", "tags"
	Address    bool                // an address field
	Line       int                 // line in the mapping file; 0 for the canonical mapping
	Columns    []string            // source columns; empty for a constant
	CellValues []map[string]string // per column of Columns: values applied to that cell before join; nil entries = none
	Join       string              // separator between non-empty cells of several columns
	Value      string              // constant, when Columns is empty
	Default    string              // used when the source cells are all empty
	HasDefault bool                //
	Values     map[string]string   // lower-cased, trimmed source value → target; others pass unchanged
	Split      string              // tags: separator between several tags in one cell
	Transforms []Transform

	check    validator
	constant *result // converted Value, when Columns is empty
	fallback *result // converted Default
}

// result is a converted value: s for plain fields, tags for the tags field.
type result struct {
	s    string
	tags []string
}

func (r result) empty() bool { return r.s == "" && len(r.tags) == 0 }

func (f *FieldSpec) isTags() bool { return f.Address && f.Field == "tags" }

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
// and address.tags split on ",".
func Default() *Mapping {
	m := &Mapping{Match: MatchCustomerNumber}
	m.setCanonical()
	return m
}

func (m *Mapping) setCanonical() {
	m.canonical = true
	m.Customer = m.Customer[:0]
	for _, c := range CustomerColumns {
		m.Customer = append(m.Customer, &FieldSpec{Field: c, Columns: []string{c}, check: validatorFor(c, false)})
	}
	a := &AddressSpec{}
	for _, f := range AddressFields {
		fs := &FieldSpec{Field: f, Address: true, Columns: []string{"address." + f}, check: validatorFor(f, true)}
		if f == "tags" {
			fs.Split = ","
		}
		a.Fields = append(a.Fields, fs)
	}
	m.Addresses = []*AddressSpec{a}
}

// Load reads and checks a mapping file, or a built-in mapping when path is
// "preset:NAME". Every problem is a *ConfigError naming the file and, where
// it has one, the line.
func Load(path string) (*Mapping, error) {
	data, err := ReadSource(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
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

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// Parse is Load for a mapping held in memory; name is used in messages.
func Parse(name string, data []byte) (*Mapping, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		ce := &ConfigError{File: name, Msg: "invalid YAML: " + err.Error(), Err: err}
		if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
			ce.Line, _ = strconv.Atoi(m[1])
			ce.Msg = "invalid YAML: " + m[2]
		}
		return nil, ce
	}
	p := &parser{file: name}
	m, err := p.mapping(&doc)
	if err != nil {
		return nil, err
	}
	m.File = name
	return m, nil
}

type parser struct{ file string }

func (p *parser) errf(n *yaml.Node, format string, args ...any) error {
	line := 0
	if n != nil {
		line = n.Line
	}
	return &ConfigError{File: p.file, Line: line, Msg: fmt.Sprintf(format, args...)}
}

// resolve follows aliases. yaml.v3 lets an anchor refer to itself (`&a [*a]`),
// so the schema-driven walk below never recurses on aliases beyond a fixed depth.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 16; i++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n == nil || n.Kind == 0 || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

type pair struct{ key, val *yaml.Node }

// pairs returns the entries of a mapping node (nil for null), rejecting
// duplicate and non-scalar keys.
func (p *parser) pairs(n *yaml.Node, what string) ([]pair, error) {
	n = resolve(n)
	if isNull(n) {
		return nil, nil
	}
	if n.Kind != yaml.MappingNode {
		return nil, p.errf(n, "%s must be a mapping of key: value", what)
	}
	out := make([]pair, 0, len(n.Content)/2)
	seen := make(map[string]bool, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), n.Content[i+1]
		if k == nil || k.Kind != yaml.ScalarNode {
			return nil, p.errf(n.Content[i], "%s: keys must be plain names", what)
		}
		if seen[k.Value] {
			return nil, p.errf(k, "%s: duplicate key %q", what, k.Value)
		}
		seen[k.Value] = true
		out = append(out, pair{k, v})
	}
	return out, nil
}

// scalar returns the text of a non-null scalar.
func (p *parser) scalar(n *yaml.Node, what string) (string, error) {
	r := resolve(n)
	if r == nil || r.Kind != yaml.ScalarNode || isNull(r) {
		return "", p.errf(n, "%s must be a single value", what)
	}
	return r.Value, nil
}

func (p *parser) mapping(doc *yaml.Node) (*Mapping, error) {
	root := doc
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			root = nil
		} else {
			root = root.Content[0]
		}
	}
	top, err := p.pairs(root, "the mapping file")
	if err != nil {
		return nil, err
	}
	m := &Mapping{Match: MatchCustomerNumber}
	var customerKey, addressesKey, matchKey *yaml.Node
	for _, kv := range top {
		switch kv.key.Value {
		case "input":
			if err := p.input(kv.val, &m.Input); err != nil {
				return nil, err
			}
		case "match":
			matchKey = kv.key
			s, err := p.scalar(kv.val, "match")
			if err != nil {
				return nil, err
			}
			if s != MatchCustomerNumber && s != MatchContactEmail {
				return nil, p.errf(kv.val, "match must be %s or %s, not %q", MatchCustomerNumber, MatchContactEmail, s)
			}
			m.Match = s
		case "clear_token":
			s, err := p.scalar(kv.val, "clear_token")
			if err != nil {
				return nil, err
			}
			if m.ClearToken = strings.TrimSpace(s); m.ClearToken == "" {
				return nil, p.errf(kv.val, "clear_token must not be empty (empty cells never clear)")
			}
		case "customer":
			customerKey = kv.key
			fields, err := p.pairs(kv.val, "customer")
			if err != nil {
				return nil, err
			}
			for _, f := range fields {
				if !slices.Contains(CustomerColumns, f.key.Value) {
					return nil, p.errf(f.key, "unknown customer field %q (known: %s)", f.key.Value, strings.Join(CustomerColumns, ", "))
				}
				fs, err := p.field(f.key.Value, false, f.key, f.val)
				if err != nil {
					return nil, err
				}
				m.Customer = append(m.Customer, fs)
			}
		case "addresses":
			addressesKey = kv.key
			if err := p.addresses(kv.val, m); err != nil {
				return nil, err
			}
		default:
			return nil, p.errf(kv.key, "unknown key %q (known: input, match, clear_token, customer, addresses)", kv.key.Value)
		}
	}
	if customerKey == nil && addressesKey == nil {
		// Only reader options (or nothing): the canonical columns apply.
		m.setCanonical()
		return m, nil
	}
	if !slices.ContainsFunc(m.Customer, func(f *FieldSpec) bool { return f.Field == m.Match && len(f.Columns) > 0 }) {
		at := customerKey
		if matchKey != nil {
			at = matchKey
		} else if at == nil {
			at = addressesKey
		}
		return nil, p.errf(at, "the match key %s must be mapped to a column under customer", m.Match)
	}
	return m, nil
}

func (p *parser) input(n *yaml.Node, in *Input) error {
	kvs, err := p.pairs(n, "input")
	if err != nil {
		return err
	}
	for _, kv := range kvs {
		k := kv.key.Value
		switch k {
		case "sheet", "header_row", "delimiter", "encoding":
		default:
			return p.errf(kv.key, "unknown key %q in input (known: sheet, header_row, delimiter, encoding)", k)
		}
		s, err := p.scalar(kv.val, "input."+k)
		if err != nil {
			return err
		}
		switch k {
		case "sheet":
			in.Sheet = s
		case "header_row":
			h, aerr := strconv.Atoi(strings.TrimSpace(s))
			if aerr != nil || h < 1 || h > 1_048_576 {
				return p.errf(kv.val, "input.header_row must be a row number from 1, not %q", s)
			}
			in.HeaderRow = h
		case "delimiter":
			switch strings.ToLower(s) {
			case "tab", `\t`:
				s = "\t"
			}
			r, size := utf8.DecodeRuneInString(s)
			if size == 0 || size != len(s) || r == utf8.RuneError || r == '"' || r == '\r' || r == '\n' {
				return p.errf(kv.val, "input.delimiter must be one character such as \";\" or \"tab\", not %q", s)
			}
			in.Delimiter = r
		case "encoding":
			enc, _, err := sheet.LookupEncoding(s)
			if err != nil {
				return p.errf(kv.val, "input.encoding must be utf-8, utf-16, windows-1252, iso-8859-1 or another IANA encoding name, not %q", s)
			}
			in.Encoding = enc
		}
	}
	return nil
}

func (p *parser) addresses(n *yaml.Node, m *Mapping) error {
	n = resolve(n)
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		return p.errf(n, "addresses must be a list of address blocks (each starting with \"- \")")
	}
	for i, item := range n.Content {
		what := fmt.Sprintf("addresses[%d]", i)
		kvs, err := p.pairs(item, what)
		if err != nil {
			return err
		}
		if len(kvs) == 0 {
			return p.errf(item, "%s maps no fields", what)
		}
		a := &AddressSpec{Line: item.Line}
		for _, kv := range kvs {
			if !slices.Contains(AddressFields, kv.key.Value) {
				return p.errf(kv.key, "unknown address field %q (known: %s)", kv.key.Value, strings.Join(AddressFields, ", "))
			}
			fs, err := p.field(kv.key.Value, true, kv.key, kv.val)
			if err != nil {
				return err
			}
			a.Fields = append(a.Fields, fs)
		}
		if !slices.ContainsFunc(a.Fields, func(f *FieldSpec) bool { return f.Field == "contactName" }) {
			return p.errf(item, "%s must map contactName (Emporix requires it for every address)", what)
		}
		m.Addresses = append(m.Addresses, a)
	}
	return nil
}

// field parses one field spec: a column name, or a mapping of spec keys.
func (p *parser) field(field string, address bool, key, n *yaml.Node) (*FieldSpec, error) {
	f := &FieldSpec{Field: field, Address: address, Line: key.Line, check: validatorFor(field, address)}
	what := fmt.Sprintf("field %q", f.name())
	n = resolve(n)
	if n != nil && n.Kind == yaml.ScalarNode && !isNull(n) {
		if strings.TrimSpace(n.Value) == "" {
			return nil, p.errf(n, "%s: empty column name", what)
		}
		f.Columns = []string{n.Value}
		return f, p.compile(f, n)
	}
	if n == nil || n.Kind != yaml.MappingNode {
		return nil, p.errf(key, "%s needs a column name or a mapping such as { column: Name }", what)
	}
	kvs, err := p.pairs(n, what)
	if err != nil {
		return nil, err
	}
	var hasValue, hasColumn, hasColumns bool
	var joinNode *yaml.Node
	for _, kv := range kvs {
		k := kv.key.Value
		switch k {
		case "column":
			s, err := p.scalar(kv.val, what+": column")
			if err != nil {
				return nil, err
			}
			if strings.TrimSpace(s) == "" {
				return nil, p.errf(kv.val, "%s: empty column name", what)
			}
			f.Columns, hasColumn = []string{s}, true
		case "columns":
			if err := p.columns(kv.val, f, what); err != nil {
				return nil, err
			}
			hasColumns = true
		case "join":
			s, err := p.scalarOrEmpty(kv.val, what+": join")
			if err != nil {
				return nil, err
			}
			f.Join, joinNode = s, kv.key
		case "value":
			s, err := p.scalar(kv.val, what+": value")
			if err != nil {
				return nil, err
			}
			if strings.TrimSpace(s) == "" {
				return nil, p.errf(kv.val, "%s: value must not be empty", what)
			}
			f.Value, hasValue = strings.TrimSpace(s), true
		case "default":
			s, err := p.scalar(kv.val, what+": default")
			if err != nil {
				return nil, err
			}
			if strings.TrimSpace(s) == "" {
				return nil, p.errf(kv.val, "%s: default must not be empty", what)
			}
			f.Default, f.HasDefault = strings.TrimSpace(s), true
		case "values":
			if err := p.values(kv.val, f, what); err != nil {
				return nil, err
			}
		case "split":
			s, err := p.scalar(kv.val, what+": split")
			if err != nil {
				return nil, err
			}
			if s == "" {
				return nil, p.errf(kv.val, "%s: split must not be empty", what)
			}
			if !f.isTags() {
				return nil, p.errf(kv.key, "%s: split only applies to address tags", what)
			}
			f.Split = s
		case "transform":
			if err := p.transforms(kv.val, f, what); err != nil {
				return nil, err
			}
		default:
			return nil, p.errf(kv.key, "%s: unknown key %q (known: column, columns, join, value, default, values, split, transform)", what, k)
		}
	}
	switch {
	case hasColumn && hasColumns:
		return nil, p.errf(key, "%s has both column and columns; use one", what)
	case hasValue && (hasColumn || hasColumns):
		return nil, p.errf(key, "%s has both a column and a constant value; use one", what)
	case hasValue && f.HasDefault:
		return nil, p.errf(key, "%s has both value and default; a constant needs no default", what)
	case joinNode != nil && !hasColumns:
		return nil, p.errf(joinNode, "%s: join needs columns: [...]", what)
	case !hasValue && !hasColumn && !hasColumns && !f.HasDefault:
		return nil, p.errf(key, "%s needs column, columns or value", what)
	}
	if hasColumns && joinNode == nil {
		f.Join = " "
	}
	if !hasValue && !hasColumn && !hasColumns {
		// A bare default is a constant.
		f.Value, f.Default, f.HasDefault = f.Default, "", false
	}
	return f, p.compile(f, key)
}

// compile converts a constant and a default once, so a bad one is a config
// error on its line instead of an error on every row.
func (p *parser) compile(f *FieldSpec, at *yaml.Node) error {
	conv := func(kind, s string) (*result, error) {
		_, r, err := f.convert(s)
		if err != nil {
			return nil, p.errf(at, "field %q: %s %s: %v", f.name(), kind, quote(s), err)
		}
		if r.empty() {
			return nil, p.errf(at, "field %q: %s %s converts to nothing", f.name(), kind, quote(s))
		}
		return &r, nil
	}
	var err error
	if len(f.Columns) == 0 {
		f.constant, err = conv("value", f.Value)
		return err
	}
	if f.HasDefault {
		f.fallback, err = conv("default", f.Default)
	}
	return err
}

func (p *parser) scalarOrEmpty(n *yaml.Node, what string) (string, error) {
	if r := resolve(n); r != nil && r.Kind == yaml.ScalarNode && isNull(r) {
		return "", nil
	}
	return p.scalar(n, what)
}

func (p *parser) transforms(n *yaml.Node, f *FieldSpec, what string) error {
	var items []*yaml.Node
	if r := resolve(n); r != nil && r.Kind == yaml.ScalarNode && !isNull(r) {
		items = []*yaml.Node{r} // `transform: lower` is read as [lower]
	} else if r != nil && r.Kind == yaml.SequenceNode {
		items = r.Content
	} else {
		return p.errf(n, "%s: transform must be a list such as [trim, lower]", what)
	}
	for _, it := range items {
		s, err := p.scalar(it, what+": transform entries")
		if err != nil {
			return err
		}
		t, err := parseTransform(strings.TrimSpace(s))
		if err != nil {
			return p.errf(it, "%s: %v", what, err)
		}
		if t.Name == "split_street" && t.Part == "" {
			// The field says which half it takes.
			switch {
			case f.Address && f.Field == "street":
				t.Part = "street"
			case f.Address && f.Field == "streetNumber":
				t.Part = "number"
			default:
				return p.errf(it, "%s: split_street takes the street on street and the number on streetNumber; elsewhere write split_street:street or split_street:number", what)
			}
		}
		f.Transforms = append(f.Transforms, t)
	}
	return nil
}

func (p *parser) values(n *yaml.Node, f *FieldSpec, what string) error {
	v, err := p.valueMap(n, what)
	f.Values = v
	return err
}

// columns parses `columns:`, whose entries are column names or
// `{ column: Name, values: {...} }` (values applied to that cell before join).
func (p *parser) columns(n *yaml.Node, f *FieldSpec, what string) error {
	r := resolve(n)
	if r == nil || r.Kind != yaml.SequenceNode || len(r.Content) == 0 {
		return p.errf(n, "%s: columns must list at least one column, such as [A, B]", what)
	}
	hasCellValues := false
	for _, c := range r.Content {
		var col string
		var vals map[string]string
		if rc := resolve(c); rc != nil && rc.Kind == yaml.MappingNode {
			kvs, err := p.pairs(rc, what+": columns entry")
			if err != nil {
				return err
			}
			for _, kv := range kvs {
				switch kv.key.Value {
				case "column":
					if col, err = p.scalar(kv.val, what+": columns entry: column"); err != nil {
						return err
					}
				case "values":
					if vals, err = p.valueMap(kv.val, what+": columns entry"); err != nil {
						return err
					}
					hasCellValues = true
				default:
					return p.errf(kv.key, "%s: columns entry: unknown key %q (known: column, values)", what, kv.key.Value)
				}
			}
		} else {
			s, err := p.scalar(c, what+": columns entries")
			if err != nil {
				return err
			}
			col = s
		}
		if strings.TrimSpace(col) == "" {
			return p.errf(c, "%s: empty column name", what)
		}
		f.Columns = append(f.Columns, col)
		f.CellValues = append(f.CellValues, vals)
	}
	if !hasCellValues {
		f.CellValues = nil
	}
	return nil
}

// valueMap parses a `values:` mapping: keys lower-cased and trimmed.
func (p *parser) valueMap(n *yaml.Node, what string) (map[string]string, error) {
	r := resolve(n)
	if r == nil || r.Kind != yaml.MappingNode {
		return nil, p.errf(n, "%s: values must be a mapping such as { Herr: MR, Frau: MRS }", what)
	}
	kvs, err := p.pairs(r, what+": values")
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(kvs))
	lines := make(map[string]int, len(kvs))
	for _, kv := range kvs {
		from := strings.ToLower(strings.TrimSpace(kv.key.Value))
		if from == "" {
			return nil, p.errf(kv.key, "%s: values: empty source value", what)
		}
		to, err := p.scalarOrEmpty(kv.val, fmt.Sprintf("%s: values: %q", what, kv.key.Value))
		if err != nil {
			return nil, err
		}
		if l, dup := lines[from]; dup {
			return nil, p.errf(kv.key, "%s: values: %q repeats the key on line %d (keys are matched case-insensitively)", what, kv.key.Value, l)
		}
		lines[from] = kv.key.Line
		out[from] = strings.TrimSpace(to)
	}
	return out, nil
}
