package importer

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v5"

	"github.com/emporix-import/emporix-import/emporix"
	"github.com/emporix-import/emporix-import/mapping"
)

// API is the part of the Emporix client the sync engine uses; *emporix.Client
// implements it against the real service and the emulator alike. It has no
// PUT on a customer: a create is a POST (409 when the id or e-mail is taken),
// so it can never overwrite.
type API interface {
	GetCustomer(ctx context.Context, number string, expand ...string) (*emporix.Customer, error)
	ListCustomersTotal(ctx context.Context, opts emporix.ListOptions) ([]emporix.Customer, int, error)
	FindByEmail(ctx context.Context, email string, expand ...string) ([]emporix.Customer, error)
	FindByNumbers(ctx context.Context, numbers []string, expand ...string) (emporix.Found, error)
	FindByEmails(ctx context.Context, emails []string, expand ...string) (emporix.Found, error)
	CreateCustomer(ctx context.Context, c *emporix.Customer, sendPasswordReset bool) (string, error)
	PatchCustomer(ctx context.Context, number string, patch map[string]any) error
	ListAddresses(ctx context.Context, number string) ([]emporix.Address, error)
	AddAddress(ctx context.Context, number string, a *emporix.Address) (string, error)
	PatchAddress(ctx context.Context, number, id string, patch map[string]any) error
	DeleteAddress(ctx context.Context, number, id string) error
	AddTags(ctx context.Context, number, id string, tags []string) error
	RemoveTags(ctx context.Context, number, id string, tags []string) error
	// The mirror phase (--missing).
	ListKeys(ctx context.Context, scope emporix.Scope, pageSize int, fn func([]emporix.CustomerKey) error) (emporix.ListStats, error)
	DeleteCustomer(ctx context.Context, number string) error
	// ImportCustomers creates customers with their password hashes (bulk import).
	ImportCustomers(ctx context.Context, batch []emporix.CustomerImport) ([]emporix.ImportItemResult, error)
	GetRetention(ctx context.Context) (*emporix.Retention, error)
}

// syncer executes plans for one run. The dry run goes through the same code:
// each write is recorded instead of sent, so both report the same decisions.
type syncer struct {
	api               API
	policy            Policy
	mode              Mode
	match             string // mapping match key
	dryRun            bool
	sendPasswordReset bool
	// createAttempts bounds how often a create whose outcome stayed unknown
	// is looked up and tried again (1 + --max-retries).
	createAttempts int
	// retryInitial is the first wait between such rounds; it grows
	// exponentially with jitter, giving an overloaded or lagging tenant time.
	retryInitial time.Duration
	deletes      *deleteBudget
	// sentBefore holds the keys of the creates an interrupted run sent, in
	// bulk import batches or one by one (resume only; nil otherwise).
	sentBefore map[string]bool
	// intents records each create before it is sent (nil in a dry run).
	intents *bulkLog
	// mixins: the mapping writes customer mixins, so reads ask for them
	// (the API returns mixins only with expand=mixin:*).
	mixins bool
}

// expand is what every customer read asks for.
func (s *syncer) expand() []string {
	if s.mixins {
		return []string{"addresses", "mixin:*"}
	}
	return []string{"addresses"}
}

func (s *syncer) bulkSent(key string) bool { return s.sentBefore[key] }

// deleteBudget is --max-deletes across all workers.
type deleteBudget struct {
	mu    sync.Mutex
	limit int // 0 = no limit
	used  int // deletions granted (real run) or planned (dry run)
}

// take grants n deletions, or none when they would exceed the limit. The dry
// run only counts, so it shows the total planned.
func (b *deleteBudget) take(n int, dryRun bool) bool {
	if n == 0 {
		return true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if !dryRun && b.limit > 0 && b.used+n > b.limit {
		return false
	}
	b.used += n
	return true
}

func (b *deleteBudget) total() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}

// retry runs op with exponential backoff and jitter (the library the client
// uses), at most createAttempts times; op marks final errors backoff.Permanent.
func retry[T any](ctx context.Context, s *syncer, op backoff.Operation[T]) (T, error) {
	eb := backoff.NewExponentialBackOff()
	eb.InitialInterval = s.retryInitial
	return backoff.Retry(ctx, op,
		backoff.WithBackOff(eb),
		backoff.WithMaxTries(uint(max(1, s.createAttempts))),
		backoff.WithMaxElapsedTime(0))
}

// job is one valid group for a worker, with its current state when a batch
// lookup already found it.
type job struct {
	g     *mapping.Group
	cur   *emporix.Customer // current state (nil = missing) when known
	known bool
	// logged: its create is in the batch log already (see logCreates).
	logged bool
}

// lookupBatch is how many customers one list request looks up.
const lookupBatch = 50

// lookup reads the current state of a batch of groups with one list request.
// It returns a function telling, per group, the customer and whether that is
// certain. A group absent from the answer is certainly missing only when
// matched by number and the answer is complete: e-mail matches may differ in
// case, so those fall back to a single lookup. A failed batch request is not
// an error: each group is then looked up on its own.
func (s *syncer) lookup(ctx context.Context, groups []*mapping.Group) func(*mapping.Group) (*emporix.Customer, bool) {
	byEmail := s.match == mapping.MatchContactEmail
	vals := make([]string, 0, len(groups))
	for _, g := range groups {
		if byEmail {
			vals = append(vals, g.Email())
		} else {
			vals = append(vals, g.Key)
		}
	}
	find := s.api.FindByNumbers
	if byEmail {
		find = s.api.FindByEmails
	}
	found, err := find(ctx, vals, s.expand()...)
	if err != nil || len(found.Customers) > len(groups) {
		return func(*mapping.Group) (*emporix.Customer, bool) { return nil, false }
	}
	index := map[string]*emporix.Customer{}
	for i := range found.Customers {
		c := &found.Customers[i]
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
		return nil, !byEmail && found.Complete
	}
}

// begin finds the customer (unless the job knows) and decides. A nil plan
// means out is final (lookup failed, or the group is invalid for the tenant).
func (s *syncer) begin(ctx context.Context, j job) (*Plan, *Outcome) {
	g, cur := j.g, j.cur
	if !j.known {
		var err error
		if cur, err = s.find(ctx, g); err != nil {
			return nil, &Outcome{Err: fmt.Errorf("find: %w", err)}
		}
	}
	plan := Decide(g, cur, s.policy)
	out := &Outcome{Number: plan.Number, AddrIDs: map[string]string{}}
	// An interrupted run created it (its create is in the batch log, its
	// completion not in the journal): it is this run's create, whatever
	// --mode says, and a bulk one carries the row's password. A create is
	// logged before it is sent, so the log alone cannot tell it from a
	// customer created elsewhere before the resume; the profile can: the
	// run's own create left every mapped field as the file has it.
	ours := cur != nil && s.bulkSent(g.Key) && len(plan.Patch) == 0
	if out.Skip = s.excluded(cur != nil); out.Skip != "" {
		if !ours {
			return nil, out
		}
		out.Skip = ""
	}
	if len(plan.Invalid) > 0 {
		out.Invalid = plan.Invalid
		return nil, out
	}
	switch {
	case ours:
		plan = s.adopt(g, cur, out)
	case cur != nil && g.Customer.HasPassword():
		out.Remarks = append(out.Remarks, noteExists)
	}
	return plan, out
}

// finish creates the customer (when the plan says so) and applies the rest;
// logged: the create is in the batch log already.
func (s *syncer) finish(ctx context.Context, g *mapping.Group, plan *Plan, out *Outcome, logged bool) {
	if plan.Create {
		var err error
		if plan, err = s.create(ctx, g, plan, out, logged); err != nil {
			out.Err = err
			return
		}
		if out.Skip != "" {
			return
		}
		if len(plan.Invalid) > 0 {
			out.Invalid = plan.Invalid
			return
		}
	}
	s.apply(ctx, plan, out)
}

// adopt takes over a customer this run (or the interrupted one it resumes)
// created but whose answer was lost: it counts as created, and --activate
// applies to it. Customers with an account are created by bulk import.
func (s *syncer) adopt(g *mapping.Group, cur *emporix.Customer, out *Outcome) *Plan {
	out.Created = true
	change := changeCreate
	if importAccount(g.Customer) != nil {
		change = changeBulkCreate
	}
	out.record(Write{Changes: []string{change}})
	next := Decide(g, cur, s.policy)
	next.SetActivation(g, cur, s.policy.Activate)
	out.Number = next.Number
	return next
}

// excluded says why --mode leaves a customer alone ("" = it does not):
// create-only skips existing customers, update-only missing ones.
func (s *syncer) excluded(exists bool) string {
	switch {
	case exists && s.mode == ModeCreateOnly:
		return "exists; mode create-only"
	case !exists && s.mode == ModeUpdateOnly:
		return "not found; mode update-only"
	}
	return ""
}

// find returns the current customer with addresses, or nil when it does not exist.
func (s *syncer) find(ctx context.Context, g *mapping.Group) (*emporix.Customer, error) {
	if s.match == mapping.MatchContactEmail {
		return s.findByEmail(ctx, g.Email())
	}
	return s.findByNumber(ctx, g.Key)
}

func (s *syncer) findByNumber(ctx context.Context, number string) (*emporix.Customer, error) {
	c, err := s.api.GetCustomer(ctx, number, s.expand()...)
	if emporix.IsNotFound(err) {
		return nil, nil
	}
	return c, err
}

func (s *syncer) findByEmail(ctx context.Context, email string) (*emporix.Customer, error) {
	found, err := s.api.FindByEmail(ctx, email, s.expand()...)
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

// create POSTs the customer (carrying its number as id). It is never blindly
// retried: a 409 or an unknown outcome is resolved by a lookup. If the
// customer turns out to exist, the returned plan is the update path against
// it; if the lookup finds our own create (its answer was lost), the customer
// counts as created.
func (s *syncer) create(ctx context.Context, g *mapping.Group, plan *Plan, out *Outcome, logged bool) (*Plan, error) {
	if s.dryRun {
		out.Created = true
		out.record(Write{Changes: []string{changeCreate}})
		return plan, nil
	}
	if s.intents != nil && !logged {
		// Durable before the request: a --resume after a kill knows that
		// the customer, if it exists, is this run's create.
		if err := s.intents.intend(g.Key); err != nil {
			return plan, fmt.Errorf("create: %w", err)
		}
	}
	attempt := 0
	var ours bool
	cur, err := retry(ctx, s, func() (*emporix.Customer, error) {
		attempt++
		id, err := s.api.CreateCustomer(ctx, plan.Body, s.sendPasswordReset)
		if err == nil {
			plan.Number = id
			return nil, nil
		}
		conflict := emporix.IsConflict(err)
		if !conflict && !errors.Is(err, emporix.ErrOutcomeUnknown) {
			return nil, backoff.Permanent(fmt.Errorf("create: %w", err))
		}
		if conflict && attempt == 1 {
			// The customer existed: not this run's create, also for a
			// --resume after a kill (whether the lookup finds it or not).
			if lerr := s.intents.existed(g.Key); lerr != nil {
				return nil, backoff.Permanent(fmt.Errorf("create: %w; %w", err, lerr))
			}
		}
		cur, ferr := s.findCreated(ctx, plan)
		switch {
		case ferr != nil:
			return nil, backoff.Permanent(fmt.Errorf("create: %w; lookup after it: %w", err, ferr))
		case cur != nil:
			// A 409 on the first attempt: the customer existed. After an
			// unknown outcome, the customer found (or a later 409) is ours.
			ours = !conflict || attempt > 1
			return cur, nil
		case conflict:
			return nil, backoff.Permanent(fmt.Errorf("create: %w", err))
		}
		return nil, fmt.Errorf("create: %w", err)
	})
	if err != nil {
		return plan, err
	}
	if cur == nil {
		ours = true
	}
	if ours {
		out.Created = true
		out.record(Write{Changes: []string{changeCreate}})
	}
	if cur == nil {
		out.Number = plan.Number
		return plan, nil
	}
	if !ours {
		// The 409 said the customer exists: create-only leaves it alone.
		if out.Skip = s.excluded(true); out.Skip != "" {
			out.Number = cur.CustomerNumber
			return plan, nil
		}
	}
	next := Decide(g, cur, s.policy)
	if ours {
		next.SetActivation(g, cur, s.policy.Activate)
	}
	out.Number = next.Number
	return next, nil
}

// findCreated looks up the customer a create was meant to make.
func (s *syncer) findCreated(ctx context.Context, plan *Plan) (*emporix.Customer, error) {
	if plan.Number != "" {
		return s.findByNumber(ctx, plan.Number)
	}
	return s.findByEmail(ctx, plan.Body.ContactEmail)
}

// apply performs the customer patch, address and tag work and activation,
// recording each write as it succeeds.
func (s *syncer) apply(ctx context.Context, plan *Plan, out *Outcome) {
	number := out.Number
	// The deletions are granted before any write, so a customer stopped by
	// --max-deletes is left untouched for the resumed run.
	if !s.deletes.take(len(plan.Delete), s.dryRun) {
		out.Err = fmt.Errorf("%w (limit %d)", ErrMaxDeletes, s.deletes.limit)
		return
	}
	if len(plan.Patch) > 0 {
		w := Write{Changes: plan.profileChanges()}
		if err := s.write(out, w, func() error { return s.api.PatchCustomer(ctx, number, plan.Patch) }); err != nil {
			out.Err = fmt.Errorf("update: %w", err)
			return
		}
	}
	for _, ap := range plan.Addresses {
		if err := s.applyAddress(ctx, number, ap, out); err != nil {
			if out.AddrErr == nil {
				out.AddrErr = map[string]error{}
			}
			out.AddrErr[ap.Key] = err
		}
	}
	if len(out.AddrErr) == 0 {
		// Deleting while a sheet address failed could remove the only copy of it.
		for _, id := range plan.Delete {
			w := Write{Changes: []string{addressPrefix(id) + "delete"}}
			if err := s.write(out, w, func() error { return s.api.DeleteAddress(ctx, number, id) }); err != nil {
				out.Err = fmt.Errorf("delete address %s: %w", id, err)
				return
			}
		}
	}
	if len(plan.Activation) > 0 {
		w := Write{Changes: plan.activationChanges()}
		if err := s.write(out, w, func() error { return s.api.PatchCustomer(ctx, number, plan.Activation) }); err != nil {
			out.Err = fmt.Errorf("activation: %w", err)
		}
	}
}

// write sends one request (not in a dry run) and records it once it succeeded.
func (s *syncer) write(out *Outcome, w Write, send func() error) error {
	if !s.dryRun {
		if err := send(); err != nil {
			return err
		}
	}
	out.record(w)
	return nil
}

func (s *syncer) applyAddress(ctx context.Context, number string, ap *AddressPlan, out *Outcome) error {
	if ap.ID == "" {
		return s.createAddress(ctx, number, ap, out)
	}
	out.AddrIDs[ap.Key] = ap.ID
	at := func(changes ...string) Write { return Write{Addr: ap.Key, Changes: changes} }
	if len(ap.Patch) > 0 {
		if err := s.write(out, at(ap.patchChanges()...), func() error {
			return s.api.PatchAddress(ctx, number, ap.ID, ap.Patch)
		}); err != nil {
			return fmt.Errorf("update address: %w", err)
		}
	}
	if len(ap.AddTags) > 0 {
		if err := s.write(out, at(addressPrefix(ap.ID)+"tags.add: "+strings.Join(ap.AddTags, ", ")), func() error {
			return s.api.AddTags(ctx, number, ap.ID, ap.AddTags)
		}); err != nil {
			return fmt.Errorf("add tags: %w", err)
		}
	}
	if len(ap.RemoveTags) > 0 {
		if err := s.write(out, at(addressPrefix(ap.ID)+"tags.remove: "+strings.Join(ap.RemoveTags, ", ")), func() error {
			return s.api.RemoveTags(ctx, number, ap.ID, ap.RemoveTags)
		}); err != nil {
			return fmt.Errorf("remove tags: %w", err)
		}
	}
	return nil
}

// createAddress POSTs the address (a keyed one with its key as id); when the
// outcome is unknown it re-reads the addresses and adopts the match (by id,
// or by content for an unkeyed one) instead of posting a duplicate.
func (s *syncer) createAddress(ctx context.Context, number string, ap *AddressPlan, out *Outcome) error {
	w := Write{Addr: ap.Key, Changes: []string{ap.createChange()}}
	if s.dryRun {
		out.record(w)
		out.note(ap)
		return nil
	}
	id, err := retry(ctx, s, func() (string, error) {
		id, err := s.api.AddAddress(ctx, number, ap.Body)
		switch {
		case err == nil:
			return id, nil
		case ap.Keyed && emporix.IsConflict(err):
			// This customer's addresses were read before: the key is taken elsewhere.
			return "", backoff.Permanent(fmt.Errorf("address id %q is already used by another customer's address; "+
				"an address key must be unique in the tenant", ap.Body.ID))
		case !errors.Is(err, emporix.ErrOutcomeUnknown):
			return "", backoff.Permanent(fmt.Errorf("add address: %w", err))
		}
		existing, lerr := s.api.ListAddresses(ctx, number)
		if lerr != nil {
			return "", backoff.Permanent(fmt.Errorf("add address: %w; re-read: %w", err, lerr))
		}
		for i := range existing {
			if ap.Keyed && existing[i].ID == ap.Body.ID || !ap.Keyed && AddressKey(&existing[i]) == ap.Key {
				return existing[i].ID, nil
			}
		}
		return "", fmt.Errorf("add address: %w", err)
	})
	if err != nil {
		return err
	}
	ap.ID = id
	out.AddrIDs[ap.Key] = id
	out.record(w)
	out.note(ap)
	return nil
}
