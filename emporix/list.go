package emporix

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// ListPageSize is the page size a listing asks for. The contract documents
// no maximum: a server that serves fewer per page is followed at the size it
// serves.
const ListPageSize = 1000

// listSort is the stable order of a listing: customer numbers are unique.
const listSort = "customerNumber:asc"

// CustomerKey is what a mirror run needs of a listed customer: its keys and
// whether it is active. A listing holds these, never whole profiles.
type CustomerKey struct {
	Number string
	Email  string // contactEmail as listed
	Active bool
}

// ListStats describes a finished (or failed) listing.
type ListStats struct {
	Requests int // list requests answered
	PageSize int // the page size the server served
	Listed   int // distinct customers passed on
	// Total is the Count header of the last answer (-1 when absent).
	Total int
}

// OutOfScopeError reports a listed customer that does not satisfy the scope:
// the server ignored (part of) the query, so nothing it listed can be
// trusted to be in scope.
type OutOfScopeError struct {
	Number string
	Scope  string
}

func (e *OutOfScopeError) Error() string {
	return fmt.Sprintf("the service listed customer %s, which is outside the scope %q: it does not apply the query as expected, so no customer is deactivated or deleted", e.Number, e.Scope)
}

// PagingError reports a server whose pages do not advance.
type PagingError struct{ Page int }

func (e *PagingError) Error() string {
	return fmt.Sprintf("list page %d holds only customers already listed: the service does not page as documented", e.Page)
}

// listedCustomer is the part of CustomerForSellerDto a listing decodes.
type listedCustomer struct {
	ID             string                     `json:"id"`
	CustomerNumber string                     `json:"customerNumber"`
	ContactEmail   string                     `json:"contactEmail"`
	Active         *bool                      `json:"active"`
	Mixins         map[string]json.RawMessage `json:"mixins"`
}

func (c *listedCustomer) number() string {
	if c.CustomerNumber != "" {
		return c.CustomerNumber
	}
	return c.ID
}

// active is the listed flag; a customer listed without one is taken as
// active, so that deactivating it is never skipped.
func (c *listedCustomer) active() bool { return c.Active == nil || *c.Active }

// ListKeys lists every customer in scope in customer-number order, one page
// after the other, and calls fn with each page's customers not listed before.
// pageSize 0 means ListPageSize. Only what the list operation documents is
// sent: q, sort, pageNumber with pageSize, and expand=mixin:<name> when the
// scope reads a mixin (for the client-side scope check). A first page shorter
// than asked is either the last one or a cut page size: the next page is
// asked for in the size served, which is right in both cases.
func (c *Client) ListKeys(ctx context.Context, scope Scope, pageSize int, fn func([]CustomerKey) error) (ListStats, error) {
	size := pageSize
	if size <= 0 {
		size = ListPageSize
	}
	st := ListStats{Total: -1}
	seen := map[string]struct{}{}
	for page := 1; ; page++ {
		items, total, err := c.listPage(ctx, scope, page, size)
		if err != nil {
			return st, fmt.Errorf("listing customers, page %d: %w", page, err)
		}
		st.Requests++
		st.Total = total
		keys, err := newKeys(items, scope, seen)
		if err != nil {
			return st, err
		}
		st.Listed += len(keys)
		if len(keys) > 0 {
			if err := fn(keys); err != nil {
				return st, err
			}
		}
		switch {
		case len(items) == 0:
			st.PageSize = size
			return st, nil
		case page == 1 && len(items) < size:
			size = len(items)
		case len(items) < size:
			st.PageSize = size
			return st, nil
		case len(keys) == 0:
			return st, &PagingError{Page: page}
		}
	}
}

// newKeys checks a page against the scope and returns its customers not seen before.
func newKeys(items []listedCustomer, scope Scope, seen map[string]struct{}) ([]CustomerKey, error) {
	keys := make([]CustomerKey, 0, len(items))
	for i := range items {
		it := &items[i]
		n := it.number()
		if n == "" {
			return nil, fmt.Errorf("the service listed a customer without id or customerNumber")
		}
		if !scope.All() && !scope.contains(it) {
			return nil, &OutOfScopeError{Number: n, Scope: scope.String()}
		}
		if _, dup := seen[n]; dup {
			continue
		}
		seen[n] = struct{}{}
		keys = append(keys, CustomerKey{Number: n, Email: it.ContactEmail, Active: it.active()})
	}
	return keys, nil
}

func (c *Client) listPage(ctx context.Context, scope Scope, page, size int) ([]listedCustomer, int, error) {
	q := url.Values{
		"sort":       {listSort},
		"pageNumber": {strconv.Itoa(page)},
		"pageSize":   {strconv.Itoa(size)},
	}
	if expr := scope.Q(); expr != "" {
		q.Set("q", expr)
	}
	if ms := scope.mixins(); len(ms) > 0 {
		q.Set("expand", "mixin:"+strings.Join(ms, ",mixin:"))
	}
	k := c.newCall(http.MethodGet, "/customers")
	k.query = q
	r, err := c.do(ctx, k)
	if err != nil {
		return nil, -1, err
	}
	var out []listedCustomer
	if err := decode(k, r, &out); err != nil {
		return nil, -1, err
	}
	return out, countHeader(r.header), nil
}

// countHeader reads the number of matches: the contract's Count header, or
// hybris-count as Emporix's own UI reads it; -1 when neither is there.
func countHeader(h http.Header) int {
	for _, name := range []string{"Count", "hybris-count"} {
		if n, err := strconv.Atoi(h.Get(name)); err == nil && n >= 0 {
			return n
		}
	}
	return -1
}
