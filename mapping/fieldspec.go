package mapping

import (
	"fmt"
	"strings"
)

// field builds one field spec from its document; line is the key's line.
func (b *builder) field(def *Field, line int, d *fieldDoc) (*FieldSpec, error) {
	f := &FieldSpec{Field: def.Name, Def: def, Address: def.Address, Line: line}
	what := fmt.Sprintf("field %q", f.name())
	if d.bad {
		return nil, errAt(line, "%s needs a column name or a mapping such as { column: Name }", what)
	}
	if err := f.sources(d, what); err != nil {
		return nil, err
	}
	if err := f.conversions(d, what); err != nil {
		return nil, err
	}
	hasColumn, hasColumns, hasValue := d.Column.Set, d.Columns.Set, d.Value.Set
	switch {
	case hasColumn && hasColumns:
		return nil, errAt(line, "%s has both column and columns; use one", what)
	case hasValue && (hasColumn || hasColumns):
		return nil, errAt(line, "%s has both a column and a constant value; use one", what)
	case hasValue && f.HasDefault:
		return nil, errAt(line, "%s has both value and default; a constant needs no default", what)
	case d.Join.Set && !hasColumns:
		return nil, errAt(d.Join.Line, "%s: join needs columns: [...]", what)
	case !hasValue && !hasColumn && !hasColumns && !f.HasDefault:
		return nil, errAt(line, "%s needs column, columns or value", what)
	}
	if hasColumns && !d.Join.Set {
		f.Join = " "
	}
	if !hasValue && !hasColumn && !hasColumns {
		// A bare default is a constant.
		f.Value, f.Default, f.HasDefault = f.Default, "", false
	}
	f.Line = line
	return f, compile(f)
}

// sources reads column, columns, join, value and default.
func (f *FieldSpec) sources(d *fieldDoc, what string) error {
	if d.Column.Set {
		s, p := d.Column.value(what + ": column")
		if p != nil {
			return fromProblem(p)
		}
		if strings.TrimSpace(s) == "" {
			return errAt(d.Column.Line, "%s: empty column name", what)
		}
		f.Columns = []string{s}
	}
	if d.Columns.Set {
		if err := f.columns(&d.Columns, what); err != nil {
			return err
		}
	}
	if d.Join.Set && !d.Join.Null {
		s, p := d.Join.value(what + ": join")
		if p != nil {
			return fromProblem(p)
		}
		f.Join = s
	}
	for _, c := range []struct {
		s   scalar
		key string
		dst *string
	}{{d.Value, "value", &f.Value}, {d.Default, "default", &f.Default}} {
		if !c.s.Set {
			continue
		}
		s, p := c.s.value(what + ": " + c.key)
		if p != nil {
			return fromProblem(p)
		}
		if *c.dst = strings.TrimSpace(s); *c.dst == "" {
			return errAt(c.s.Line, "%s: %s must not be empty", what, c.key)
		}
	}
	f.HasDefault = d.Default.Set
	return nil
}

// columns reads `columns:`, whose entries may carry per-cell values.
func (f *FieldSpec) columns(l *colList, what string) error {
	if l.bad || len(l.Items) == 0 {
		return errAt(l.Line, "%s: columns must list at least one column, such as [A, B]", what)
	}
	hasCellValues := false
	for _, c := range l.Items {
		s, p := c.Column.value(what + ": columns entries")
		if p != nil {
			return fromProblem(p)
		}
		if strings.TrimSpace(s) == "" {
			return errAt(c.line, "%s: empty column name", what)
		}
		var vals map[string]string
		if c.Values.Set {
			v, err := valueMap(&c.Values, what+": columns entry")
			if err != nil {
				return err
			}
			vals, hasCellValues = v, true
		}
		f.Columns = append(f.Columns, s)
		f.CellValues = append(f.CellValues, vals)
	}
	if !hasCellValues {
		f.CellValues = nil
	}
	return nil
}

// conversions reads values, split and transform.
func (f *FieldSpec) conversions(d *fieldDoc, what string) error {
	if d.Values.Set {
		v, err := valueMap(&d.Values, what)
		if err != nil {
			return err
		}
		f.Values = v
	}
	if d.Split.Set {
		s, p := d.Split.value(what + ": split")
		if p != nil {
			return fromProblem(p)
		}
		if s == "" {
			return errAt(d.Split.Line, "%s: split must not be empty", what)
		}
		if !f.isList() {
			return errAt(d.Split.Line, "%s: split only applies to address tags and mixin fields of kind list", what)
		}
		f.Split = s
	}
	if !d.Transform.Set {
		return nil
	}
	if d.Transform.bad {
		return errAt(d.Transform.Line, "%s: transform must be a list such as [trim, lower]", what)
	}
	for _, it := range d.Transform.Items {
		s, p := it.value(what + ": transform entries")
		if p != nil {
			return fromProblem(p)
		}
		t, err := parseTransform(strings.TrimSpace(s))
		if err != nil {
			return errAt(it.Line, "%s: %v", what, err)
		}
		if t.Name == "split_street" && t.Part == "" {
			// The field says which half it takes.
			switch {
			case f.Address && f.Field == "street":
				t.Part = "street"
			case f.Address && f.Field == "streetNumber":
				t.Part = "number"
			default:
				return errAt(it.Line, "%s: split_street takes the street on street and the number on streetNumber; elsewhere write split_street:street or split_street:number", what)
			}
		}
		f.Transforms = append(f.Transforms, t)
	}
	return nil
}

// valueMap reads `values:`: keys lower-cased and trimmed, matched case-insensitively.
func valueMap(l *pairList, what string) (map[string]string, error) {
	if l.bad {
		return nil, errAt(l.Line, "%s: values must be a mapping such as { Herr: MR, Frau: MRS }", what)
	}
	out := make(map[string]string, len(l.Pairs))
	lines := make(map[string]int, len(l.Pairs))
	for _, p := range l.Pairs {
		from := strings.ToLower(strings.TrimSpace(p.Key.V))
		if from == "" {
			return nil, errAt(p.Key.Line, "%s: values: empty source value", what)
		}
		to := ""
		if !p.Val.Null {
			s, pr := p.Val.value(fmt.Sprintf("%s: values: %q", what, p.Key.V))
			if pr != nil {
				return nil, fromProblem(pr)
			}
			to = s
		}
		if l, dup := lines[from]; dup {
			return nil, errAt(p.Key.Line, "%s: values: %q repeats the key on line %d (keys are matched case-insensitively)", what, p.Key.V, l)
		}
		lines[from] = p.Key.Line
		out[from] = strings.TrimSpace(to)
	}
	return out, nil
}

// compile converts a constant and a default once, so a bad one is a config
// error on its line instead of an error on every row.
func compile(f *FieldSpec) error {
	conv := func(kind, s string) (*result, error) {
		_, r, err := f.convert(s)
		if err != nil {
			return nil, errAt(f.Line, "field %q: %s %s: %v", f.name(), kind, quote(s), err)
		}
		if r.empty() {
			return nil, errAt(f.Line, "field %q: %s %s converts to nothing", f.name(), kind, quote(s))
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
