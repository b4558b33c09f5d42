package importer

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/emporix-import/emporix-import/emporix"
	"github.com/emporix-import/emporix-import/mapping"
)

// API is the part of the Emporix client the sync engine uses; *emporix.Client
// implements it against the real service and the emulator alike.
type API interface {
	GetCustomer(ctx context.Context, number string, expand ...string) (*emporix.Customer, error)
	ListCustomersTotal(ctx context.Context, opts emporix.ListOptions) ([]emporix.Customer, int, error)
	FindByEmail(ctx context.Context, email string, expand ...string) ([]emporix.Customer, error)
	CreateCustomer(ctx context.Context, c *emporix.Customer, sendPasswordReset bool) (string, error)
	UpsertCustomer(ctx context.Context, number string, body any, sendPasswordReset bool) (bool, string, error)
	PatchCustomer(ctx context.Context, number string, patch map[string]any) error
	ListAddresses(ctx context.Context, number string) ([]emporix.Address, error)
	AddAddress(ctx context.Context, number string, a *emporix.Address) (string, error)
	PatchAddress(ctx context.Context, number, id string, patch map[string]any) error
	DeleteAddress(ctx context.Context, number, id string) error
	AddTags(ctx context.Context, number, id string, tags []string) error
	RemoveTags(ctx context.Context, number, id string, tags []string) error
}

// syncer executes plans for one run.
type syncer struct {
	api               API
	policy            Policy
	match             string // mapping match key
	dryRun            bool
	sendPasswordReset bool
	// createAttempts bounds how often a create whose outcome stayed unknown
	// is looked up and tried again (1 + --max-retries).
	createAttempts int
	// retryInitial is the first wait between such rounds; it doubles (with
	// jitter) each round, giving an overloaded or lagging tenant time.
	retryInitial time.Duration
}

// backoff waits before look-up-then-retry round attempt+1.
func (s *syncer) backoff(ctx context.Context, attempt int) error {
	d := s.retryInitial << min(attempt-1, 5)
	d += time.Duration(rand.Int64N(int64(d)/2 + 1)) // jitter: up to +50%
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// outcome is what happened to one group.
type outcome struct {
	plan    *Plan
	number  string
	created bool
	err     error         // customer-level failure: every row failed
	addrErr map[int]error // per-address failures by plan index
}

// job is one valid group for a worker, with its current state when a batch
// lookup already found it.
type job struct {
	g     *mapping.Group
	cur   *emporix.Customer // current state (nil = missing) when known
	known bool
}

// lookupBatch is how many customers one list request looks up.
const lookupBatch = 50

// lookup reads the current state of a batch of groups with one list request
// (q=id:(a,b,…) or contactEmail:("a","b",…), expand=addresses). It returns a
// function telling, per group, the customer and whether that is certain.
// A group absent from the answer is certainly missing only when matched by
// number and the answer is complete (Count header): e-mail matches may differ
// in case, so those fall back to a single lookup. A failed batch request is
// not an error: each group is then looked up on its own.
func (s *syncer) lookup(ctx context.Context, groups []*mapping.Group) func(*mapping.Group) (*emporix.Customer, bool) {
	byEmail := s.match == mapping.MatchContactEmail
	vals := make([]string, 0, len(groups))
	for _, g := range groups {
		v := g.Key
		if byEmail {
			v = g.Email()
		}
		vals = append(vals, quoteQ(v))
	}
	field := "id"
	if byEmail {
		field = "contactEmail"
	}
	found, total, err := s.api.ListCustomersTotal(ctx, emporix.ListOptions{
		Q: field + ":(" + strings.Join(vals, ",") + ")", Expand: []string{"addresses"},
		PageNumber: 1, PageSize: len(groups),
	})
	if err != nil || len(found) > len(groups) {
		return func(*mapping.Group) (*emporix.Customer, bool) { return nil, false }
	}
	// A miss proves absence only if the page holds every match: a server that
	// caps pageSize below ours would otherwise make an existing customer look
	// new, and a create by PUT could then overwrite its profile.
	complete := total >= 0 && total == len(found)
	index := map[string]*emporix.Customer{}
	for i := range found {
		c := &found[i]
		k := c.CustomerNumber
		if byEmail {
			k = strings.ToLower(c.ContactEmail)
		}
		if _, dup := index[k]; dup {
			index[k] = nil // ambiguous: let the single lookup decide (and explain)
			continue
		}
		index[k] = c
	}
	return func(g *mapping.Group) (*emporix.Customer, bool) {
		k := g.Key
		if byEmail {
			k = strings.ToLower(g.Email())
		}
		c, ok := index[k]
		switch {
		case ok && c != nil:
			return c, true
		case ok: // ambiguous
			return nil, false
		}
		return nil, !byEmail && complete
	}
}

// quoteQ quotes a value for the q query language.
func quoteQ(v string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(v) + `"`
}

// sync finds (unless the job knows), decides and (unless dry run) applies one valid group.
func (s *syncer) sync(ctx context.Context, j job) *outcome {
	g, cur := j.g, j.cur
	if !j.known {
		var err error
		if cur, err = s.find(ctx, g); err != nil {
			return &outcome{err: fmt.Errorf("find: %w", err)}
		}
	}
	plan := Decide(g, cur, s.policy)
	out := &outcome{plan: plan, number: plan.Number, created: plan.Create}
	if s.dryRun || !plan.Writes() {
		return out
	}
	if plan.Create {
		if err := s.create(ctx, g, out); err != nil {
			out.err = err
			return out
		}
	}
	s.apply(ctx, out)
	return out
}

// find returns the current customer with addresses, or nil when it does not exist.
func (s *syncer) find(ctx context.Context, g *mapping.Group) (*emporix.Customer, error) {
	if s.match == "contactEmail" {
		return s.findByEmail(ctx, g.Email())
	}
	c, err := s.api.GetCustomer(ctx, g.Key, "addresses")
	if emporix.IsNotFound(err) {
		return nil, nil
	}
	return c, err
}

func (s *syncer) findByEmail(ctx context.Context, email string) (*emporix.Customer, error) {
	found, err := s.api.FindByEmail(ctx, email, "addresses")
	if err != nil {
		return nil, err
	}
	// The q match may be case-sensitive; compare ourselves to be sure.
	var hits []emporix.Customer
	for _, c := range found {
		if strings.EqualFold(c.ContactEmail, email) {
			hits = append(hits, c)
		}
	}
	switch len(hits) {
	case 0:
		return nil, nil
	case 1:
		return &hits[0], nil
	}
	return nil, fmt.Errorf("%d customers have contactEmail %q; refusing to guess", len(hits), email)
}

// create makes the customer: PUT with a number (idempotent), POST without one
// (never blindly retried: an unknown outcome or a 409 is resolved by a lookup).
func (s *syncer) create(ctx context.Context, g *mapping.Group, out *outcome) error {
	plan := out.plan
	if plan.Body.ContactEmail == "" {
		return errors.New("contactEmail is required to create a customer")
	}
	if plan.Number != "" {
		if _, _, err := s.api.UpsertCustomer(ctx, plan.Number, plan.Body, s.sendPasswordReset); err != nil {
			return fmt.Errorf("create: %w", err)
		}
		return nil
	}
	for attempt := 1; ; attempt++ {
		id, err := s.api.CreateCustomer(ctx, plan.Body, s.sendPasswordReset)
		if err == nil {
			plan.Number, out.number = id, id
			return nil
		}
		conflict := emporix.IsConflict(err)
		if !conflict && !errors.Is(err, emporix.ErrOutcomeUnknown) {
			return fmt.Errorf("create: %w", err)
		}
		cur, ferr := s.findByEmail(ctx, plan.Body.ContactEmail)
		if ferr != nil {
			return fmt.Errorf("create: %w; lookup after it: %w", err, ferr)
		}
		if cur != nil {
			// Either our POST landed (its answer was lost) or the customer existed:
			// continue as an update against what is there.
			// An earlier attempt's lost answer makes a later 409 ours too.
			created := !conflict || attempt > 1
			*plan = *Decide(g, cur, s.policy)
			if created {
				plan.Changes = append([]string{"created"}, plan.Changes...)
				plan.SetActivation(g, cur, s.policy.Activate)
			}
			out.number, out.created = plan.Number, created
			return nil
		}
		if conflict || attempt >= s.createAttempts {
			return fmt.Errorf("create: %w", err)
		}
		if err := s.backoff(ctx, attempt); err != nil {
			return fmt.Errorf("create: %w", err)
		}
	}
}

// apply performs the customer patch, address and tag work and activation.
func (s *syncer) apply(ctx context.Context, out *outcome) {
	plan, number := out.plan, out.number
	if len(plan.Patch) > 0 {
		if err := s.api.PatchCustomer(ctx, number, plan.Patch); err != nil {
			out.err = fmt.Errorf("update: %w", err)
			return
		}
	}
	for i, ap := range plan.Addresses {
		if err := s.applyAddress(ctx, number, ap); err != nil {
			if out.addrErr == nil {
				out.addrErr = map[int]error{}
			}
			out.addrErr[i] = err
		}
	}
	if len(out.addrErr) == 0 {
		// Deleting while a sheet address failed could remove the only copy of it.
		for _, id := range plan.Delete {
			if err := s.api.DeleteAddress(ctx, number, id); err != nil {
				out.err = fmt.Errorf("delete address %s: %w", id, err)
				return
			}
		}
	}
	if len(plan.Activation) > 0 {
		if err := s.api.PatchCustomer(ctx, number, plan.Activation); err != nil {
			out.err = fmt.Errorf("activation: %w", err)
		}
	}
}

func (s *syncer) applyAddress(ctx context.Context, number string, ap *AddressPlan) error {
	if ap.ID == "" {
		return s.createAddress(ctx, number, ap)
	}
	if len(ap.Patch) > 0 {
		if err := s.api.PatchAddress(ctx, number, ap.ID, ap.Patch); err != nil {
			return fmt.Errorf("update address: %w", err)
		}
	}
	if len(ap.AddTags) > 0 {
		if err := s.api.AddTags(ctx, number, ap.ID, ap.AddTags); err != nil {
			return fmt.Errorf("add tags: %w", err)
		}
	}
	if len(ap.RemoveTags) > 0 {
		if err := s.api.RemoveTags(ctx, number, ap.ID, ap.RemoveTags); err != nil {
			return fmt.Errorf("remove tags: %w", err)
		}
	}
	return nil
}

// createAddress POSTs the address; when the outcome is unknown it re-reads the
// addresses and adopts a content match instead of posting a duplicate.
func (s *syncer) createAddress(ctx context.Context, number string, ap *AddressPlan) error {
	for attempt := 1; ; attempt++ {
		id, err := s.api.AddAddress(ctx, number, ap.Body)
		if err == nil {
			ap.ID = id
			return nil
		}
		if !errors.Is(err, emporix.ErrOutcomeUnknown) {
			return fmt.Errorf("add address: %w", err)
		}
		existing, lerr := s.api.ListAddresses(ctx, number)
		if lerr != nil {
			return fmt.Errorf("add address: %w; re-read: %w", err, lerr)
		}
		for i := range existing {
			if AddressKey(&existing[i]) == ap.Key {
				ap.ID = existing[i].ID
				return nil
			}
		}
		if attempt >= s.createAttempts {
			return fmt.Errorf("add address: %w", err)
		}
		if err := s.backoff(ctx, attempt); err != nil {
			return fmt.Errorf("add address: %w", err)
		}
	}
}
