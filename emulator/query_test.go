package emulator

import (
	"reflect"
	"testing"
)

func TestParseQuery(t *testing.T) {
	tests := []struct {
		q    string
		want Query
		err  bool
	}{
		{q: `id:123`, want: Query{{Field: "id", Alts: []Alt{{Value: "123"}}}}},
		{q: `contactEmail:"a b\"c\\d"`, want: Query{{Field: "contactEmail", Alts: []Alt{{Value: `a b"c\d`}}}}},
		{q: `id:(a, "b c",d)`, want: Query{{Field: "id", Alts: []Alt{{Value: "a"}, {Value: "b c"}, {Value: "d"}}}}},
		{q: `type:("CUSTOMER" OR missing)`, want: Query{{Field: "type", Alts: []Alt{{Value: "CUSTOMER"}, {Pred: "missing"}}}}},
		{q: ` firstName:John  lastName:Doe `, want: Query{{Field: "firstName", Alts: []Alt{{Value: "John"}}}, {Field: "lastName", Alts: []Alt{{Value: "Doe"}}}}},
		{q: `company:"null"`, want: Query{{Field: "company", Alts: []Alt{{Value: "null"}}}}},
		{q: ``, err: true},
		{q: `John`, err: true},
		{q: `shoe:1`, err: true},
		{q: `id:`, err: true},
		{q: `id:()`, err: true},
		{q: `id:(a b)`, err: true},
		{q: `id:"open`, err: true},
		{q: `id:a"b`, err: true},
		{q: `id:~^a`, err: true},
		{q: `id:(>=1 AND <=5)`, err: true},
		{q: `id:a)`, err: true},
		{q: `id:"a"b`, err: true},
	}
	for _, tt := range tests {
		got, err := ParseQuery(tt.q)
		if (err != nil) != tt.err {
			t.Errorf("ParseQuery(%q) error = %v, want error %v", tt.q, err, tt.err)
			continue
		}
		if !tt.err && !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseQuery(%q) = %+v, want %+v", tt.q, got, tt.want)
		}
	}
}

func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{`id:1`, `contactEmail:"a+b@x.com"`, `id:(a,b)`, `type:("X" OR missing)`, `a:b c:d`, `x:"\`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		got, err := ParseQuery(q)
		if err != nil {
			return
		}
		if len(got) == 0 {
			t.Fatalf("ParseQuery(%q) = empty query without error", q)
		}
		for _, term := range got {
			if _, ok := queryFields[term.Field]; !ok || len(term.Alts) == 0 {
				t.Fatalf("ParseQuery(%q) gave invalid term %+v", q, term)
			}
		}
		got.Match(&Customer{CustomerNumber: "1"}) // must not panic
	})
}
