package emulator

import (
	"reflect"
	"testing"
)

func TestParseQuery(t *testing.T) {
	tests := []struct {
		q    string
		want query
		err  bool
	}{
		{q: `id:123`, want: query{{Field: "id", Alts: []queryAlt{{Value: "123"}}}}},
		{q: `contactEmail:"a b\"c\\d"`, want: query{{Field: "contactEmail", Alts: []queryAlt{{Value: `a b"c\d`}}}}},
		{q: `id:(a, "b c",d)`, want: query{{Field: "id", Alts: []queryAlt{{Value: "a"}, {Value: "b c"}, {Value: "d"}}}}},
		{q: `type:("CUSTOMER" OR missing)`, want: query{{Field: "type", Alts: []queryAlt{{Value: "CUSTOMER"}, {Pred: "missing"}}}}},
		{q: ` firstName:John  lastName:Doe `, want: query{{Field: "firstName", Alts: []queryAlt{{Value: "John"}}}, {Field: "lastName", Alts: []queryAlt{{Value: "Doe"}}}}},
		{q: `company:"null"`, want: query{{Field: "company", Alts: []queryAlt{{Value: "null"}}}}},
		{q: ``, err: true},
		{q: `John`, err: true},
		{q: `shoe:1`, err: true},
		{q: `id:`, err: true},
		{q: `id:()`, err: true},
		{q: `id:(a b)`, err: true},
		{q: `id:"open`, err: true},
		{q: `id:a"b`, err: true},
		{q: `id:~^a`, want: query{{Field: "id", Alts: []queryAlt{{Value: "^a"}}}}},
		{q: `company:(~AC ME) id:~(^K(1|2))`, want: query{
			{Field: "company", Alts: []queryAlt{{Value: "AC ME"}}},
			{Field: "id", Alts: []queryAlt{{Value: "^K(1|2)"}}},
		}},
		{q: `mixins.erp.source:SAP`, want: query{{Field: "mixins.erp.source", Alts: []queryAlt{{Value: "SAP"}}}}},
		{q: `id:~`, err: true},
		{q: `id:~(a`, err: true},
		{q: `id:~[`, err: true},
		{q: `mixins.erp:SAP`, err: true},
		{q: `mixins..x:SAP`, err: true},
		{q: `id:(>=1 AND <=5)`, err: true},
		{q: `id:a)`, err: true},
		{q: `id:"a"b`, err: true},
	}
	for _, tt := range tests {
		got, err := parseQuery(tt.q)
		if (err != nil) != tt.err {
			t.Errorf("parseQuery(%q) error = %v, want error %v", tt.q, err, tt.err)
			continue
		}
		if !tt.err && !reflect.DeepEqual(comparable(got), tt.want) {
			t.Errorf("parseQuery(%q) = %+v, want %+v", tt.q, got, tt.want)
		}
	}
}

// comparable strips what DeepEqual cannot compare (accessors, compiled
// regexes); a regex alternative keeps its pattern as Value.
func comparable(q query) query {
	out := make(query, len(q))
	for i, t := range q {
		out[i] = queryTerm{Field: t.Field}
		for _, a := range t.Alts {
			a.Regex = nil
			out[i].Alts = append(out[i].Alts, a)
		}
	}
	return out
}

func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{`id:1`, `contactEmail:"a+b@x.com"`, `id:(a,b)`, `type:("X" OR missing)`, `a:b c:d`, `x:"\`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		got, err := parseQuery(q)
		if err != nil {
			return
		}
		if len(got) == 0 {
			t.Fatalf("parseQuery(%q) = empty query without error", q)
		}
		for _, term := range got {
			if _, ok := queryField(term.Field); !ok || term.get == nil || len(term.Alts) == 0 {
				t.Fatalf("parseQuery(%q) gave invalid term %+v", q, term)
			}
		}
		got.match(&Customer{CustomerNumber: "1"}) // must not panic
	})
}
