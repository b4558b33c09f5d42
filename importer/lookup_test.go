package importer

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/emporix-import/emporix-import/emporix"
	"github.com/emporix-import/emporix-import/mapping"
)

// finderOnly answers the batch lookup; any other call panics (nil API).
type finderOnly struct {
	API
	found emporix.Found
	err   error
	asked string // "numbers" or "emails"
	vals  []string
}

func (l *finderOnly) FindByNumbers(_ context.Context, v []string, _ ...string) (emporix.Found, error) {
	l.asked, l.vals = "numbers", v
	return l.found, l.err
}

func (l *finderOnly) FindByEmails(_ context.Context, v []string, _ ...string) (emporix.Found, error) {
	l.asked, l.vals = "emails", v
	return l.found, l.err
}

func TestBatchLookup(t *testing.T) {
	g1 := &mapping.Group{Key: "C1", Customer: mapping.Fields{"contactEmail": val("a@x.de")}}
	g2 := &mapping.Group{Key: "C-2", Customer: mapping.Fields{"contactEmail": val("B@x.de")}}
	c1 := emporix.Customer{CustomerNumber: "C1", ContactEmail: "a@x.de"}
	c2 := emporix.Customer{CustomerNumber: "C-2", ContactEmail: "b@X.de"}
	found := func(complete bool, cs ...emporix.Customer) emporix.Found {
		return emporix.Found{Customers: cs, Complete: complete}
	}
	tests := []struct {
		name               string
		match              string
		api                *finderOnly
		wantAsked          string
		wantVals           []string
		g2Found, g2Certain bool
	}{
		{"by number, complete page: a miss is certain", mapping.MatchCustomerNumber,
			&finderOnly{found: found(true, c1)}, "numbers", []string{"C1", "C-2"}, false, true},
		{"by number, incomplete page: a miss is not certain", mapping.MatchCustomerNumber,
			&finderOnly{found: found(false, c1)}, "numbers", []string{"C1", "C-2"}, false, false},
		{"by e-mail: found case-insensitively", mapping.MatchContactEmail,
			&finderOnly{found: found(true, c1, c2)}, "emails", []string{"a@x.de", "B@x.de"}, true, true},
		{"by e-mail: a miss is never certain", mapping.MatchContactEmail,
			&finderOnly{found: found(true, c1)}, "emails", []string{"a@x.de", "B@x.de"}, false, false},
		{"failed request: nothing is certain", mapping.MatchCustomerNumber,
			&finderOnly{err: errors.New("boom")}, "numbers", []string{"C1", "C-2"}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &syncer{api: tt.api, match: tt.match}
			found := s.lookup(context.Background(), []*mapping.Group{g1, g2})
			if tt.api.asked != tt.wantAsked || !slices.Equal(tt.api.vals, tt.wantVals) {
				t.Errorf("asked %s %v, want %s %v", tt.api.asked, tt.api.vals, tt.wantAsked, tt.wantVals)
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
