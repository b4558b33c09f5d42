package mapping

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
)

// Schema is what a bound mapping delivers: the fields its rows carry, in
// mapping order (mixin fields and schema links included). The sync builds
// create bodies, diffs and patches from it alone.
type Schema struct {
	Customer []*Field
	Address  []*Field
}

// stdSchema is the schema of the standard table's canonical columns.
var stdSchema = func() *Schema {
	s := &Schema{}
	for _, f := range stdTable {
		s.add(f)
	}
	return s
}()

// Fields returns the schema of the group's mapping.
func (g *Group) Fields() *Schema {
	if g.Schema != nil {
		return g.Schema
	}
	return stdSchema
}

// Join is the schema of groups that carry the rows of both (a customer file
// joined with an address file).
func (s *Schema) Join(o *Schema) *Schema {
	out := &Schema{}
	for _, x := range []*Schema{s, o} {
		for _, f := range append(slices.Clone(x.Customer), x.Address...) {
			out.add(f)
		}
	}
	return out
}

func (s *Schema) add(f *Field) {
	list := &s.Customer
	if f.Address {
		list = &s.Address
	}
	if !slices.ContainsFunc(*list, func(x *Field) bool { return x.Name == f.Name }) {
		*list = append(*list, f)
	}
}

// JSON is the value as the API carries it. A clear is "" for text and null
// where the schema allows it (mixin fields, restriction).
func (f *Field) JSON(v Value) any {
	switch {
	case v.Clear && f.Nullable:
		return nil
	case v.Clear:
		return ""
	}
	switch f.Kind {
	case KindNumber:
		return json.Number(v.S)
	case KindBool:
		return v.S == "true"
	case KindList:
		return slices.Clone(v.List)
	}
	return v.S
}

// Equal reports whether the current JSON value have (present=false: absent)
// already is want, so that no write is needed.
func (f *Field) Equal(want Value, have any, present bool) bool {
	if !present || have == nil {
		have = nil
	}
	if want.Clear {
		s, isString := have.(string)
		return have == nil || (isString && s == "")
	}
	switch f.Kind {
	case KindNumber:
		w, err1 := strconv.ParseFloat(want.S, 64)
		h, err2 := strconv.ParseFloat(jsonText(have), 64)
		return err1 == nil && err2 == nil && w == h
	case KindBool:
		b, _ := have.(bool) // absent reads as false, the API's default
		return (want.S == "true") == b
	case KindList:
		list, ok := have.([]any)
		if !ok || len(list) != len(want.List) {
			return len(want.List) == 0 && have == nil
		}
		for i, x := range list {
			if s, ok := x.(string); !ok || s != want.List[i] {
				return false
			}
		}
		return true
	}
	s, _ := have.(string)
	if f.Fold {
		return strings.EqualFold(s, want.S)
	}
	return s == want.S
}

func jsonText(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case json.Number:
		return v.String()
	}
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}

// Get returns the value at path in a decoded JSON object.
func Get(doc map[string]any, path []string) (any, bool) {
	var cur any = doc
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[p]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// Set writes v at path, creating the objects on the way: in a create body or
// a merge patch, a nested path patches only that member.
func Set(doc map[string]any, path []string, v any) {
	for _, p := range path[:len(path)-1] {
		next, ok := doc[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			doc[p] = next
		}
		doc = next
	}
	doc[path[len(path)-1]] = v
}
