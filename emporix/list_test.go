package emporix_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/emporix-import/emporix-import/emporix"
	"github.com/emporix-import/emporix-import/emulator"
	"github.com/emporix-import/emporix-import/internal/apispec"
)

// seedMirror seeds k ERP customers K000…, active, with mixin erp.source=SAP,
// and s shop-only customers S000… (every third inactive).
func seedMirror(t testing.TB, srv *emulator.Server, k, s int) {
	t.Helper()
	var cs []emulator.Customer
	for i := range k {
		cs = append(cs, emulator.Customer{CustomerNumber: fmt.Sprintf("K%03d", i), ContactEmail: fmt.Sprintf("k%d@example.com", i),
			Active: true, Mixins: map[string]any{"erp": map[string]any{"source": "SAP"}}})
	}
	for i := range s {
		cs = append(cs, emulator.Customer{CustomerNumber: fmt.Sprintf("S%03d", i), ContactEmail: fmt.Sprintf("s%d@example.com", i), Active: i%3 != 0})
	}
	if err := srv.Seed(cs...); err != nil {
		t.Fatal(err)
	}
}

func listAll(t *testing.T, c *emporix.Client, scope string, pageSize int) ([]emporix.CustomerKey, emporix.ListStats, error) {
	t.Helper()
	sc, err := emporix.ParseScope(scope)
	if err != nil {
		t.Fatal(err)
	}
	var keys []emporix.CustomerKey
	st, err := c.ListKeys(context.Background(), sc, pageSize, func(page []emporix.CustomerKey) error {
		if len(page) == 0 {
			t.Error("empty page passed on")
		}
		keys = append(keys, page...)
		return nil
	})
	return keys, st, err
}

func numbers(keys []emporix.CustomerKey) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = k.Number
	}
	return out
}

func seq(prefix string, from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprintf("%s%03d", prefix, i))
	}
	return out
}

func TestListKeys(t *testing.T) {
	tests := []struct {
		name              string
		maxPage, pageSize int
		scope             string
		want              []string
		requests          int
	}{
		// 23 in scope, server serves at most 5: page 1 comes back cut, the rest is asked for 5 at a time.
		{"cut page size followed", 5, 10, "customerNumber:K*", seq("K", 0, 23), 5},
		{"exact multiple ends on an empty page", 100, 23, "customerNumber:K*", seq("K", 0, 23), 2},
		{"short first page probes once", 100, 50, "customerNumber:K*", seq("K", 0, 23), 2},
		{"mixin scope", 100, 0, "mixins.erp.source:SAP", seq("K", 0, 23), 2},
		{"all", 7, 7, "all", append(seq("K", 0, 23), seq("S", 0, 9)...), 5},
		{"two terms", 100, 10, "customerNumber:S* active:true", []string{"S001", "S002", "S004", "S005", "S007", "S008"}, 2},
		{"nothing in scope", 100, 10, "customerNumber:X*", nil, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, emulator.Config{MaxPageSize: tt.maxPage}, apispec.Both, nil)
			seedMirror(t, f.srv, 23, 9)
			keys, st, err := listAll(t, f.client, tt.scope, tt.pageSize)
			if err != nil {
				t.Fatal(err)
			}
			if got := numbers(keys); !slices.Equal(got, tt.want) {
				t.Errorf("listed %v, want %v", got, tt.want)
			}
			if st.Requests != tt.requests || int(f.srv.Stats().ByMethod["GET"]) != tt.requests || st.Listed != len(tt.want) {
				t.Errorf("stats %+v, emulator saw %d GETs; want %d requests", st, f.srv.Stats().ByMethod["GET"], tt.requests)
			}
		})
	}
}

func TestListKeysCarriesEmailAndActive(t *testing.T) {
	f := newFixture(t, emulator.Config{}, apispec.Both, nil)
	seedMirror(t, f.srv, 1, 1)
	keys, _, err := listAll(t, f.client, "all", 0)
	want := []emporix.CustomerKey{{Number: "K000", Email: "k0@example.com", Active: true}, {Number: "S000", Email: "s0@example.com", Active: false}}
	if err != nil || !slices.Equal(keys, want) {
		t.Errorf("keys = %+v, %v; want %+v", keys, err, want)
	}
}

// A service that ignores q would list customers outside the scope: the
// listing refuses to go on rather than hand them to a deletion.
func TestListKeysRefusesOutOfScope(t *testing.T) {
	dropQ := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			v := r.URL.Query()
			v.Del("q")
			r.URL.RawQuery = v.Encode()
			h.ServeHTTP(w, r)
		})
	}
	for _, scope := range []string{"customerNumber:K*", "mixins.erp.source:SAP"} {
		f := newFixtureHandler(t, emulator.Config{}, apispec.Both, nil, dropQ)
		seedMirror(t, f.srv, 3, 3)
		_, _, err := listAll(t, f.client, scope, 0)
		if oos, ok := errors.AsType[*emporix.OutOfScopeError](err); !ok || oos.Number != "S000" {
			t.Errorf("scope %s: err = %v, want OutOfScopeError for S000", scope, err)
		}
	}
}

// A service that ignores pageNumber repeats page 1 forever: the listing stops.
func TestListKeysRefusesNonAdvancingPages(t *testing.T) {
	var calls atomic.Int32
	firstPage := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.Contains(r.URL.Path, "/customers") && r.Method == http.MethodGet {
				calls.Add(1)
				v := r.URL.Query()
				v.Set("pageNumber", "1")
				r.URL.RawQuery = v.Encode()
			}
			h.ServeHTTP(w, r)
		})
	}
	f := newFixtureHandler(t, emulator.Config{}, apispec.Both, nil, firstPage)
	seedMirror(t, f.srv, 10, 0)
	_, _, err := listAll(t, f.client, "all", 5)
	if pe, ok := errors.AsType[*emporix.PagingError](err); !ok || pe.Page != 2 || calls.Load() != 2 {
		t.Errorf("err = %v after %d requests, want PagingError on page 2", err, calls.Load())
	}
}

func TestListKeysStopsOnCallbackError(t *testing.T) {
	f := newFixture(t, emulator.Config{}, apispec.Both, nil)
	seedMirror(t, f.srv, 10, 0)
	sc, _ := emporix.ParseScope("all")
	stop := errors.New("stop")
	_, err := f.client.ListKeys(context.Background(), sc, 5, func([]emporix.CustomerKey) error { return stop })
	if gets := f.srv.Stats().ByMethod["GET"]; !errors.Is(err, stop) || gets != 1 {
		t.Errorf("err = %v after %d requests", err, gets)
	}
}
