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
