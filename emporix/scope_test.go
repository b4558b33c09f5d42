package emporix

import (
	"encoding/json"
	"testing"
)

func TestParseScope(t *testing.T) {
	tests := []struct {
		in, q string // q "" with err false: scope all
		err   bool
	}{
		{in: "all"},
		{in: " all "},
		{in: "customerNumber:K*", q: `customerNumber:~^K.*`},
		{in: "id:ERP-1*", q: `id:~^ERP-1.*`},
		{in: "contactEmail:a.b+c*", q: `contactEmail:~^a\.b\+c.*`},
		{in: "mixins.erp.source:SAP", q: `mixins.erp.source:SAP`},
		{in: `mixins.erp.source:"SAP AG" active:true`, q: `mixins.erp.source:"SAP AG" active:true`},
		{in: `mixins.erp.source:"K*"`, q: `mixins.erp.source:"K*"`},
		{in: `mixins.erp.flag:"missing"`, q: `mixins.erp.flag:"missing"`},
		{in: `contactEmail:x+y@shop.example`, q: `contactEmail:"x+y@shop.example"`},
		{in: "customerNumber:K*  mixins.erp.a.b:1", q: `customerNumber:~^K.* mixins.erp.a.b:1`},
		{in: "", err: true},
		{in: "ALL", err: true},
		{in: "K*", err: true},
		{in: "customerNumber:*", err: true},
		{in: "customerNumber:", err: true},
		{in: "firstName:Jo", err: true},
		{in: "mixins.erp:SAP", err: true},
		{in: "mixins.erp..x:SAP", err: true},
		{in: "customerNumber:~^K", err: true},
		{in: "customerNumber:(a,b)", err: true},
		{in: "customerNumber:K(*", err: true},
		{in: "active:yes", err: true},
		{in: "active:t*", err: true},
		{in: `mixins.erp.source:"SAP`, err: true},
		{in: `mixins.erp.source:"SAP"x`, err: true},
		{in: `mixins.erp.source:""`, err: true},
	}
	for _, tt := range tests {
		s, err := ParseScope(tt.in)
		if (err != nil) != tt.err {
			t.Errorf("ParseScope(%q) error = %v, want error %v", tt.in, err, tt.err)
			continue
		}
		if err != nil {
			continue
		}
		if got := s.Q(); got != tt.q || s.All() != (tt.q == "") {
			t.Errorf("ParseScope(%q).Q() = %q (all %v), want %q", tt.in, got, s.All(), tt.q)
		}
	}
}

func TestScopeContains(t *testing.T) {
	yes, no := true, false
	mix := func(s string) map[string]json.RawMessage {
		var m map[string]json.RawMessage
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	tests := []struct {
		scope string
		c     listedCustomer
		want  bool
	}{
		{"customerNumber:K*", listedCustomer{ID: "K1"}, true},
		{"customerNumber:K*", listedCustomer{ID: "k1"}, false},
		{"customerNumber:K1", listedCustomer{CustomerNumber: "K1", ID: "x"}, true},
		{"contactEmail:A@x.com", listedCustomer{ID: "1", ContactEmail: "a@X.com"}, true},
		{"contactEmail:a*", listedCustomer{ID: "1", ContactEmail: "b@x.com"}, false},
		{"active:true", listedCustomer{ID: "1", Active: &no}, false},
		{"active:true", listedCustomer{ID: "1", Active: &yes}, true},
		{"mixins.erp.source:SAP", listedCustomer{ID: "1", Mixins: mix(`{"erp":{"source":"SAP"}}`)}, true},
		{"mixins.erp.source:SAP", listedCustomer{ID: "1", Mixins: mix(`{"erp":{"source":"SAPX"}}`)}, false},
		{"mixins.erp.source:SAP", listedCustomer{ID: "1"}, false},
		{"mixins.erp.n:2 mixins.erp.b:true", listedCustomer{ID: "1", Mixins: mix(`{"erp":{"n":2,"b":true}}`)}, true},
		{"mixins.erp.deep.x:1", listedCustomer{ID: "1", Mixins: mix(`{"erp":{"deep":"x"}}`)}, false},
	}
	for _, tt := range tests {
		s, err := ParseScope(tt.scope)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.contains(&tt.c); got != tt.want {
			t.Errorf("%q contains %+v = %v, want %v", tt.scope, tt.c, got, tt.want)
		}
	}
}

func FuzzParseScope(f *testing.F) {
	for _, s := range []string{"all", "customerNumber:K*", `mixins.e.s:"a b" active:true`, `id:"x\"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		s, err := ParseScope(in)
		if err != nil {
			return
		}
		if s.All() != (s.Q() == "") {
			t.Fatalf("ParseScope(%q): all=%v but q=%q", in, s.All(), s.Q())
		}
		s.contains(&listedCustomer{ID: "1"}) // must not panic
	})
}
