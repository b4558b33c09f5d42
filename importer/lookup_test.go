package importer

import (
	"context"
	"errors"
	"testing"

	"github.com/emporix-import/emporix-import/emporix"
	"github.com/emporix-import/emporix-import/mapping"
)

// listOnly answers the batch lookup; any other call panics (nil API).
type listOnly struct {
	API
	found []emporix.Customer
	total int
	err   error
	q     string
}

func (l *listOnly) ListCustomersTotal(_ context.Context, o emporix.ListOptions) ([]emporix.Customer, int, error) {
	l.q = o.Q
	return l.found, l.total, l.err
}

func TestBatchLookup(t *testing.T) {
	g1 := &mapping.Group{Key: "C1", Customer: mapping.Fields{"contactEmail": val("a@x.de")}}
	g2 := &mapping.Group{Key: "C-2", Customer: mapping.Fields{"contactEmail": val("B@x.de")}}
	c1 := emporix.Customer{CustomerNumber: "C1", ContactEmail: "a@x.de"}
	c2 := emporix.Customer{CustomerNumber: "C-2", ContactEmail: "b@X.de"}
	tests := []struct {
		name               string
		match              string
		api                *listOnly
		wantQ              string
		g2Found, g2Certain bool
	}{
		{"by number, complete page: a miss is certain", mapping.MatchCustomerNumber,
			&listOnly{found: []emporix.Customer{c1}, total: 1}, `id:("C1","C-2")`, false, true},
		{"by number, Count above the page: a miss is not certain", mapping.MatchCustomerNumber,
			&listOnly{found: []emporix.Customer{c1}, total: 2}, `id:("C1","C-2")`, false, false},
		{"by number, no Count header: a miss is not certain", mapping.MatchCustomerNumber,
			&listOnly{found: []emporix.Customer{c1}, total: -1}, `id:("C1","C-2")`, false, false},
		{"by e-mail: found case-insensitively", mapping.MatchContactEmail,
			&listOnly{found: []emporix.Customer{c1, c2}, total: 2}, `contactEmail:("a@x.de","B@x.de")`, true, true},
		{"by e-mail: a miss is never certain", mapping.MatchContactEmail,
			&listOnly{found: []emporix.Customer{c1}, total: 1}, `contactEmail:("a@x.de","B@x.de")`, false, false},
		{"failed request: nothing is certain", mapping.MatchCustomerNumber,
			&listOnly{err: errors.New("boom"), total: -1}, `id:("C1","C-2")`, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &syncer{api: tt.api, match: tt.match}
			found := s.lookup(context.Background(), []*mapping.Group{g1, g2})
			if tt.api.q != tt.wantQ {
				t.Errorf("q = %s, want %s", tt.api.q, tt.wantQ)
			}
			c, certain := found(g2)
			if (c != nil) != tt.g2Found || certain != tt.g2Certain {
				t.Errorf("g2: found %v certain %v, want %v %v", c != nil, certain, tt.g2Found, tt.g2Certain)
			}
			if c, certain := found(g1); tt.api.err == nil && (c == nil || !certain) {
				t.Errorf("g1 should be found for certain")
			}
		})
	}
}
