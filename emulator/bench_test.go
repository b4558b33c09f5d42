package emulator

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// BenchmarkPutCustomer measures the handler alone (no network): create via PUT.
func BenchmarkPutCustomer(b *testing.B) {
	s := New(Config{})
	tok := randomToken()
	s.tokens[tok] = &token{tenant: "demo", scopes: []string{ScopeCustomerManage}, expires: s.now().Add(s.cfg.TokenTTL)}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		n := strconv.Itoa(i)
		r := httptest.NewRequest(http.MethodPut, "/customer/demo/customers/b"+n,
			strings.NewReader(`{"contactEmail":"u`+n+`@example.com","firstName":"A","lastName":"B","company":"C"}`))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Authorization", "Bearer "+tok)
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code != http.StatusCreated {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}

// BenchmarkFindByEmail looks customers up by q=contactEmail in a 100k tenant
// (the importer's match: contactEmail path).
func BenchmarkFindByEmail(b *testing.B) {
	s := New(Config{})
	tok := randomToken()
	s.tokens[tok] = &token{tenant: "demo", scopes: []string{ScopeCustomerRead}, expires: s.now().Add(s.cfg.TokenTTL)}
	const n = 100_000
	for i := range n {
		s.insertCustomer(&Customer{CustomerNumber: "c" + strconv.Itoa(i), ContactEmail: "u" + strconv.Itoa(i) + "@example.com"}, false)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		r := httptest.NewRequest(http.MethodGet, `/customer/demo/customers?q=contactEmail:%22u`+strconv.Itoa(i%n)+`@example.com%22`, nil)
		r.Header.Set("Authorization", "Bearer "+tok)
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code != http.StatusOK || w.Header().Get("Count") != "1" {
			b.Fatalf("status %d count %s", w.Code, w.Header().Get("Count"))
		}
	}
}
