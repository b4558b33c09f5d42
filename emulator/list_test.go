package emulator

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// seedN seeds customers K0000…K(n-1) (active) and S0000…S(m-1) (shop-only, inactive).
func seedN(t testing.TB, s *Server, n, m int) {
	t.Helper()
	var cs []Customer
	for i := range n {
		cs = append(cs, Customer{CustomerNumber: fmt.Sprintf("K%04d", i), ContactEmail: fmt.Sprintf("k%d@example.com", i), Active: true,
			Mixins: map[string]any{"erp": map[string]any{"source": "SAP", "rank": float64(i % 3)}}})
	}
	for i := range m {
		cs = append(cs, Customer{CustomerNumber: fmt.Sprintf("S%04d", i), ContactEmail: fmt.Sprintf("s%d@example.com", i)})
	}
	if err := s.Seed(cs...); err != nil {
		t.Fatal(err)
	}
}

type listed struct {
	ID     string `json:"id"`
	Active bool   `json:"active"`
}

func (e *env) page(t *testing.T, query url.Values) ([]listed, int) {
	t.Helper()
	res := e.must(t, http.StatusOK, req{method: http.MethodGet, path: "/customers?" + query.Encode()})
	var out []listed
	res.decode(t, &out)
	n, err := strconv.Atoi(res.header.Get("Count"))
	if err != nil {
		t.Fatalf("Count %q: %v", res.header.Get("Count"), err)
	}
	return out, n
}

func ids(ls []listed) string {
	s := make([]string, len(ls))
	for i, l := range ls {
		s[i] = l.ID
	}
	return strings.Join(s, ",")
}

func TestListPaging(t *testing.T) {
	e := newEnv(t, Config{MaxPageSize: 4})
	seedN(t, e.srv, 7, 3)
	tests := []struct {
		name  string
		query url.Values
		want  string
		count int
	}{
		{"default page size above the cap is cut", url.Values{}, "K0000,K0001,K0002,K0003", 10},
		{"pages count in the size served", url.Values{"pageNumber": {"2"}, "pageSize": {"100"}}, "K0004,K0005,K0006,S0000", 10},
		{"sorted descending", url.Values{"sort": {"customerNumber:desc"}, "pageNumber": {"1"}, "pageSize": {"3"}}, "S0002,S0001,S0000", 10},
		{"prefix regex", url.Values{"q": {"customerNumber:~^K"}, "sort": {"customerNumber:asc"}, "pageNumber": {"2"}, "pageSize": {"4"}}, "K0004,K0005,K0006", 7},
		{"past the end", url.Values{"q": {"customerNumber:~^S"}, "pageNumber": {"2"}, "pageSize": {"3"}}, "", 3},
		{"mixin equality", url.Values{"q": {"mixins.erp.source:SAP mixins.erp.rank:1"}}, "K0001,K0004", 2},
		{"mixin missing", url.Values{"q": {"mixins.erp.source:missing"}}, "S0000,S0001,S0002", 3},
		{"sort by mixin", url.Values{"q": {"mixins.erp.rank:(0,2)"}, "sort": {"mixins.erp.rank:desc,customerNumber:desc"}}, "K0005,K0002,K0006,K0003", 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, count := e.page(t, tt.query)
			if ids(got) != tt.want || count != tt.count {
				t.Errorf("got %s (Count %d), want %s (Count %d)", ids(got), count, tt.want, tt.count)
			}
		})
	}
}

// Paging through a query, a write between two pages is visible on the next
// one: the cached matches never outlive a change.
func TestListSeesWritesBetweenPages(t *testing.T) {
	e := newEnv(t, Config{})
	seedN(t, e.srv, 5, 0)
	q := url.Values{"q": {"customerNumber:~^K"}, "sort": {"customerNumber"}, "pageNumber": {"1"}, "pageSize": {"2"}}
	if got, _ := e.page(t, q); ids(got) != "K0000,K0001" {
		t.Fatalf("page 1 = %s", ids(got))
	}
	e.must(t, http.StatusAccepted, req{method: http.MethodDelete, path: "/customers/K0002"})
	e.createCustomer(t, "K0001a", map[string]any{"contactEmail": "new@example.com"})
	e.must(t, http.StatusOK, req{method: http.MethodPatch, path: "/customers/K0003", body: map[string]any{"active": false}})
	q.Set("pageNumber", "2")
	got, count := e.page(t, q)
	if ids(got) != "K0001a,K0003" || count != 5 || got[1].Active {
		t.Errorf("page 2 after writes = %+v (Count %d), want K0001a,K0003 (inactive), Count 5", got, count)
	}
}

func TestDeleteReservesNumber(t *testing.T) {
	e := newEnv(t, Config{})
	seedN(t, e.srv, 1, 0)
	e.must(t, http.StatusAccepted, req{method: http.MethodDelete, path: "/customers/K0000", body: map[string]any{}})
	e.must(t, http.StatusNotFound, req{method: http.MethodDelete, path: "/customers/K0000"})
	e.must(t, http.StatusConflict, req{method: http.MethodPost, path: "/customers", body: map[string]any{"id": "K0000", "contactEmail": "k0@example.com"}})
	e.must(t, http.StatusConflict, req{method: http.MethodPut, path: "/customers/K0000", body: map[string]any{"contactEmail": "k0@example.com"}})
	if err := e.srv.Seed(Customer{CustomerNumber: "K0000"}); err == nil {
		t.Error("Seed reused a deleted number")
	}
}

func TestSeed(t *testing.T) {
	s := New(Config{})
	seedN(t, s, 2, 1)
	for _, bad := range [][]Customer{
		{{CustomerNumber: "K0000"}},
		{{CustomerNumber: "x y"}},
		{{CustomerNumber: "A1", ContactEmail: "K1@EXAMPLE.com"}},
		{{CustomerNumber: "A1", ContactEmail: "a@x.com"}, {CustomerNumber: "A2", ContactEmail: "A@x.com"}},
		{{CustomerNumber: "A1", Addresses: []Address{{ID: "a1"}}}, {CustomerNumber: "A2", Addresses: []Address{{ID: "a1"}}}},
	} {
		if err := s.Seed(bad...); err == nil {
			t.Errorf("Seed(%+v) accepted", bad)
		}
	}
	st := s.State()
	if len(st.Customers) != 3 || s.Stats().Applied != 0 {
		t.Fatalf("state after refused seeds: %d customers, %d applied", len(st.Customers), s.Stats().Applied)
	}
	c := st.Customers[0]
	if c.CustomerNumber != "K0000" || !c.Active || c.Version != 1 || c.PreferredCurrency != "USD" || c.Email != "k0@example.com" {
		t.Errorf("seeded customer = %+v", c)
	}
}

// BenchmarkListPage100k pages through a 100k tenant by customerNumber prefix,
// 1000 per page, as the mirror phase lists it.
func BenchmarkListPage100k(b *testing.B) {
	s := New(Config{})
	tok := randomToken()
	s.tokens[tok] = &token{tenant: "demo", scopes: []string{ScopeCustomerRead}, expires: s.now().Add(s.cfg.TokenTTL)}
	seedN(b, s, 100_000, 0)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		r := httptest.NewRequest(http.MethodGet, "/customer/demo/customers?q=customerNumber:~%5EK&sort=customerNumber&pageSize=1000&pageNumber="+strconv.Itoa(i%100+1), nil)
		r.Header.Set("Authorization", "Bearer "+tok)
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code != http.StatusOK || w.Header().Get("Count") != "100000" {
			b.Fatalf("status %d count %s", w.Code, w.Header().Get("Count"))
		}
	}
}
