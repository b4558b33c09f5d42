package mapping

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v4"
)

// The mapping file is decoded into these typed documents with unknown keys
// refused (KnownFields). Leaves are scalars that remember their line, so every
// problem found afterwards still names the line it is on. Shape problems (a
// list where a value belongs) are recorded, not returned, so that the message
// can name the field concerned.

// problem is a shape error found while decoding, reported by the build step.
type problem struct {
	line int
	msg  string
}

// scalar is one YAML value with its position.
type scalar struct {
	V    string
	Line int
	Set  bool // the key was present
	Null bool // present but empty (~ or nothing)
	bad  bool // not a single value (a list or a mapping)
}

// maxAliasDepth bounds alias chains: yaml lets an anchor refer to itself (`&a [*a]`).
const maxAliasDepth = 16

func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < maxAliasDepth; i++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n == nil || n.Kind == 0 || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

func (s *scalar) UnmarshalYAML(n *yaml.Node) error {
	s.Set, s.Line = true, n.Line
	r := resolve(n)
	switch {
	case isNull(r):
		s.Null = true
	case r.Kind == yaml.ScalarNode:
		s.V = r.Value
	default:
		s.bad = true
	}
	return nil
}

// value returns the text of a present, non-null scalar.
func (s scalar) value(what string) (string, *problem) {
	if s.bad || s.Null {
		return "", &problem{s.Line, what + " must be a single value"}
	}
	return s.V, nil
}

// loadStrict decodes a mapping node into v, refusing keys v does not know.
// An unknown key is reported with the known ones, located by the position
// the decoder gives for it.
func loadStrict(n *yaml.Node, v any, what string, known []string) error {
	err := n.Load(v, yaml.WithKnownFields())
	var le *yaml.LoadErrors
	if !errors.As(err, &le) || len(le.Errors) == 0 {
		return err
	}
	if ce := configError(le); ce != nil {
		return ce
	}
	first := le.Errors[0]
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if k.Line == first.Mark.Line && k.Column == first.Mark.Column && !slices.Contains(known, k.Value) {
			return &ConfigError{Line: k.Line, Msg: fmt.Sprintf("unknown key %q%s (known: %s)", k.Value, what, strings.Join(known, ", "))}
		}
	}
	return &ConfigError{Line: first.Mark.Line, Msg: first.Message, Err: err}
}

// configError finds our own *ConfigError among the decoder's errors: one
// returned by a nested UnmarshalYAML comes back wrapped.
func configError(le *yaml.LoadErrors) *ConfigError {
	for _, e := range le.Errors {
		var ce *ConfigError
		if errors.As(e, &ce) {
			return ce
		}
	}
	return nil
}

// fileDoc is the whole mapping file.
type fileDoc struct {
	Input               inputDoc  `yaml:"input"`
	Match               scalar    `yaml:"match"`
	ClearToken          scalar    `yaml:"clear_token"`
	MixinSchemas        pairList  `yaml:"mixin_schemas"`
	AddressMixinSchemas pairList  `yaml:"address_mixin_schemas"`
	Customer            fieldMap  `yaml:"customer"`
	Account             fieldMap  `yaml:"account"`
	Addresses           blockList `yaml:"addresses"`
}

var fileKeys = []string{"input", "match", "clear_token", "mixin_schemas", "address_mixin_schemas", "customer", "account", "addresses"}

func (d *fileDoc) UnmarshalYAML(n *yaml.Node) error {
	n = resolve(n)
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return &ConfigError{Line: n.Line, Msg: "the mapping file must be a mapping of key: value"}
	}
	type plain fileDoc
	return loadStrict(n, (*plain)(d), "", fileKeys)
}

// inputDoc is the `input:` section.
type inputDoc struct {
	Sheet     scalar `yaml:"sheet"`
	HeaderRow scalar `yaml:"header_row"`
	Delimiter scalar `yaml:"delimiter"`
	Encoding  scalar `yaml:"encoding"`
	bad       *problem
}

func (d *inputDoc) UnmarshalYAML(n *yaml.Node) error {
	n = resolve(n)
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		d.bad = &problem{n.Line, "input must be a mapping of key: value"}
		return nil
	}
	type plain inputDoc
	return loadStrict(n, (*plain)(d), " in input", []string{"sheet", "header_row", "delimiter", "encoding"})
}

// pair is one key: value of a free-form mapping (field names, values, schemas).
type pair struct {
	Key scalar
	Val scalar
	doc *fieldDoc // fieldMap only
}

// pairList is a mapping whose keys are data, in file order.
type pairList struct {
	Pairs []pair
	Line  int
	Set   bool
	bad   bool // not a mapping
}

func (l *pairList) UnmarshalYAML(n *yaml.Node) error {
	return l.decode(n, false)
}

// decode reads the pairs; withDocs decodes each value as a field spec.
func (l *pairList) decode(n *yaml.Node, withDocs bool) error {
	l.Set, l.Line = true, n.Line
	n = resolve(n)
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		l.bad = true
		return nil
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		var p pair
		k, v := resolve(n.Content[i]), n.Content[i+1]
		if err := k.Load(&p.Key); err != nil {
			return err
		}
		if p.Key.bad || p.Key.Null {
			return &ConfigError{Line: k.Line, Msg: "keys must be plain names"}
		}
		if seen[p.Key.V] {
			return &ConfigError{Line: k.Line, Msg: fmt.Sprintf("duplicate key %q", p.Key.V)}
		}
		seen[p.Key.V] = true
		if withDocs {
			p.doc = &fieldDoc{bad: isNull(resolve(v)), line: v.Line}
			if err := v.Load(p.doc, yaml.WithKnownFields()); err != nil {
				return inField(p.Key.V, err)
			}
		} else if err := v.Load(&p.Val); err != nil {
			return err
		}
		l.Pairs = append(l.Pairs, p)
	}
	return nil
}

// inField names the field a spec error belongs to.
func inField(name string, err error) error {
	var le *yaml.LoadErrors
	ce, ok := err.(*ConfigError)
	if !ok && errors.As(err, &le) {
		ce = configError(le)
	}
	if ce == nil {
		return err
	}
	out := *ce
	out.Msg = fmt.Sprintf("field %q: %s", name, ce.Msg)
	return &out
}

// fieldMap is `customer:` or one address block: field name → spec, in file order.
type fieldMap struct{ pairList }

func (m *fieldMap) UnmarshalYAML(n *yaml.Node) error { return m.decode(n, true) }

// blockList is `addresses:`.
type blockList struct {
	Blocks []fieldMap
	Line   int
	bad    bool
}

func (l *blockList) UnmarshalYAML(n *yaml.Node) error {
	l.Line = n.Line
	n = resolve(n)
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		l.bad = true
		return nil
	}
	for _, item := range n.Content {
		var b fieldMap
		if err := item.Load(&b, yaml.WithKnownFields()); err != nil {
			return err
		}
		b.Line = resolve(item).Line
		l.Blocks = append(l.Blocks, b)
	}
	return nil
}

// fieldDoc is one field spec: a bare column name, or a mapping of spec keys.
type fieldDoc struct {
	Column    scalar   `yaml:"column"`
	Columns   colList  `yaml:"columns"`
	Join      scalar   `yaml:"join"`
	Value     scalar   `yaml:"value"`
	Default   scalar   `yaml:"default"`
	Values    pairList `yaml:"values"`
	Split     scalar   `yaml:"split"`
	Transform listDoc  `yaml:"transform"`
	Kind      scalar   `yaml:"kind"`
	bad       bool     // neither a column name nor a mapping
	line      int
}

var fieldKeys = []string{"column", "columns", "join", "value", "default", "values", "split", "transform", "kind"}

func (d *fieldDoc) UnmarshalYAML(n *yaml.Node) error {
	d.line = n.Line
	r := resolve(n)
	switch {
	case r != nil && r.Kind == yaml.ScalarNode && !isNull(r):
		d.Column = scalar{V: r.Value, Line: r.Line, Set: true}
		return nil
	case r != nil && r.Kind == yaml.MappingNode:
		type plain fieldDoc
		err := loadStrict(r, (*plain)(d), "", fieldKeys)
		d.line = n.Line
		return err
	}
	d.bad = true
	return nil
}

// listDoc is a list of scalars; a single scalar is read as a list of one.
type listDoc struct {
	Items []scalar
	Line  int
	Set   bool
	one   bool // written as a single value, not a list
	bad   bool
}

func (l *listDoc) UnmarshalYAML(n *yaml.Node) error {
	l.Set, l.Line = true, n.Line
	r := resolve(n)
	switch {
	case r != nil && r.Kind == yaml.ScalarNode && !isNull(r):
		l.Items, l.one = []scalar{{V: r.Value, Line: r.Line, Set: true}}, true
		return nil
	case r == nil || r.Kind != yaml.SequenceNode:
		l.bad = true
		return nil
	}
	for _, c := range r.Content {
		var s scalar
		if err := c.Load(&s); err != nil {
			return err
		}
		l.Items = append(l.Items, s)
	}
	return nil
}

// colList is `columns:`: each entry a column name or
// `{ column: Name, values: {...} }` (values applied to that cell before join).
type colList struct {
	Items []colDoc
	Line  int
	Set   bool
	bad   bool // not a list
}

type colDoc struct {
	Column scalar   `yaml:"column"`
	Values pairList `yaml:"values"`
	line   int
}

func (l *colList) UnmarshalYAML(n *yaml.Node) error {
	l.Set, l.Line = true, n.Line
	r := resolve(n)
	if r == nil || r.Kind != yaml.SequenceNode {
		l.bad = true
		return nil
	}
	for _, c := range r.Content {
		var d colDoc
		if err := c.Load(&d, yaml.WithKnownFields()); err != nil {
			return err
		}
		l.Items = append(l.Items, d)
	}
	return nil
}

func (d *colDoc) UnmarshalYAML(n *yaml.Node) error {
	d.line = n.Line
	r := resolve(n)
	if r != nil && r.Kind == yaml.MappingNode {
		type plain colDoc
		return loadStrict(r, (*plain)(d), " in a columns entry", []string{"column", "values"})
	}
	return d.Column.UnmarshalYAML(n)
}
