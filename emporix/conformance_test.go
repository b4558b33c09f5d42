package emporix_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emporix-import/emporix-import/emporix"
	"github.com/emporix-import/emporix-import/emulator"
	"github.com/emporix-import/emporix-import/internal/apispec"
)

// The conformance suite: the tutorial run verbatim, the documented error cases
// through the real client against the emulator, every request and response
// (status included) validated against the repository's copy of the contract
// (internal/apispec).

type fixture struct {
	srv    *emulator.Server
	client *emporix.Client
	base   string       // API root (mount prefix included)
	http   *http.Client // the validating transport, for raw requests
}

// newFixture mounts the emulator under a path prefix (catching absolute-URL
// bugs) behind a spec-validating transport.
func newFixture(t testing.TB, cfg emulator.Config, mode apispec.Mode, tweak func(*emporix.Config)) *fixture {
	return newFixtureHandler(t, cfg, mode, tweak, nil)
}

// newFixtureHandler is newFixture with wrap (when set) between the client and
// the emulator.
func newFixtureHandler(t testing.TB, cfg emulator.Config, mode apispec.Mode, tweak func(*emporix.Config), wrap func(http.Handler) http.Handler) *fixture {
	t.Helper()
	v := apispec.Load(t)
	srv := emulator.New(cfg)
	var h http.Handler = srv
	if wrap != nil {
		h = wrap(srv)
	}
	mux := http.NewServeMux()
	mux.Handle("/prefix/", http.StripPrefix("/prefix", h))
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	def := srv.Config()
	ccfg := emporix.Config{
		BaseURL: hs.URL + "/prefix", Tenant: def.Tenant, ClientID: def.ClientID, ClientSecret: def.ClientSecret,
		HTTPClient:   &http.Client{Transport: v.TransportMode(t, nil, mode), Timeout: 10 * time.Second},
		RetryInitial: time.Millisecond, RetryMax: 5 * time.Millisecond, RetryAfterMax: 5 * time.Millisecond,
		MaxRetries: 50,
	}
	if tweak != nil {
		tweak(&ccfg)
	}
	c, err := emporix.New(ccfg)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{srv: srv, client: c, base: hs.URL + "/prefix", http: ccfg.HTTPClient}
}

// TestConformanceTutorial runs the Emporix tutorial for tenant-managed
// customers verbatim: its token request (the scope names customer_manage and
// customer_manage_own only), its bodies and its call order, placeholders
// filled, each documented status checked, then its final GET.
func TestConformanceTutorial(t *testing.T) {
	f := newFixture(t, emulator.Config{Tenant: "acme", ClientID: "test-client", ClientSecret: "test-secret"}, apispec.Both, nil)
	step := func(method, path, ctype, body, token string, want int) []byte {
		t.Helper()
		req, err := http.NewRequest(method, f.base+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := f.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != want {
			t.Fatalf("%s %s: %d, want %d: %s", method, path, resp.StatusCode, want, b)
		}
		return b
	}
	var tok struct {
		AccessToken string `json:"access_token"`
		Scope       string `json:"scope"`
	}
	// The form is sent as the tutorial's curl --data sends it: the space unencoded.
	mustJSON(t, step("POST", "/oauth/token", "application/x-www-form-urlencoded",
		"grant_type=client_credentials&client_id=test-client&client_secret=test-secret&scope=customer.customer_manage customer.customer_manage_own",
		"", http.StatusOK), &tok)
	if !slices.Contains(strings.Fields(tok.Scope), emulator.ScopeCustomerRead) {
		t.Errorf("token scope %q: the client's assigned read scope is missing, the final GET would be refused", tok.Scope)
	}
	var created struct{ ID string }
	mustJSON(t, step("POST", "/customer/acme/customers?sendPasswordResetNotifications=true", "application/json", `{
    "contactEmail": "john.doe@emporix.com",
    "title": "MR",
    "firstName": "John",
    "lastName": "Doe",
    "contactPhone": "123456789",
    "company": "Emporix",
    "preferredLanguage": "en_US",
    "preferredCurrency": "EUR",
    "preferredSite": "main",
    "b2b": {
      "companyRegistrationId": "123-456-789"
    }
  }`, tok.AccessToken, http.StatusCreated), &created)
	n := created.ID
	step("PUT", "/customer/acme/customers/"+n, "application/json", `{
    "contactEmail": "john.updated@emporix.com",
    "firstName": "John",
    "lastName": "Doe",
    "preferredLanguage": "de_DE"
  }`, tok.AccessToken, http.StatusNoContent)
	var addr struct{ ID string }
	mustJSON(t, step("POST", "/customer/acme/customers/"+n+"/addresses", "application/json", `{
    "contactName": "John Doe",
    "companyName": "Emporix",
    "street": "Platz der Republik",
    "streetNumber": "1",
    "zipCode": "11011",
    "city": "Berlin",
    "country": "DE",
    "state": "Berlin",
    "contactPhone": "123456789",
    "tags": ["BILLING", "SHIPPING"],
    "isDefault": true
  }`, tok.AccessToken, http.StatusCreated), &addr)
	step("POST", "/customer/acme/customers/"+n+"/addresses/"+addr.ID+"/tags?tags=PRIMARY_CONTACT", "", "", tok.AccessToken, http.StatusNoContent)
	step("PATCH", "/customer/acme/customers/"+n, "application/json", `{
    "active": true,
    "onHold": false
  }`, tok.AccessToken, http.StatusOK)
	var got emporix.Customer
	mustJSON(t, step("GET", "/customer/acme/customers/"+n+"?expand=addresses,accounts", "", "", tok.AccessToken, http.StatusOK), &got)

	if got.ContactEmail != "john.updated@emporix.com" || got.PreferredLanguage != "de_DE" {
		t.Errorf("the PUT's fields: contactEmail %q, preferredLanguage %q", got.ContactEmail, got.PreferredLanguage)
	}
	if got.Title != "MR" || got.ContactPhone != "123456789" || got.Company != "Emporix" {
		t.Errorf("fields the PUT omitted are gone: %+v", got)
	}
	if got.Active == nil || !*got.Active || got.OnHold == nil || *got.OnHold {
		t.Errorf("active/onHold = %v/%v, want true/false", got.Active, got.OnHold)
	}
	if len(got.Addresses) != 1 || got.Addresses[0].ID != addr.ID ||
		!slices.Equal(got.Addresses[0].Tags, []string{"BILLING", "SHIPPING", "PRIMARY_CONTACT"}) {
		t.Errorf("addresses = %+v", got.Addresses)
	}
}

func mustJSON(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
}

// recordingTB records Errorf instead of failing, to show that the suite
// would fail.
type recordingTB struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (r *recordingTB) Helper() {}

func (r *recordingTB) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

// TestConformanceCatchesUndocumentedStatus mounts a deliberately wrong handler
// in front of the emulator (it answers the customer PATCH with 409, which the
// contract does not document for that operation) and shows that the suite
// reports it; the same run against the plain emulator reports nothing.
func TestConformanceCatchesUndocumentedStatus(t *testing.T) {
	wrong := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPatch && strings.Count(r.URL.Path, "/") == 4 { // /customer/{t}/customers/{n}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusConflict)
				_, _ = io.WriteString(w, `{"status":409,"type":"conflict_resource","message":"Version mismatch."}`)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	for _, tt := range []struct {
		name    string
		wrap    func(http.Handler) http.Handler
		wantErr bool
	}{{"emulator", nil, false}, {"wrong handler", wrong, true}} {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recordingTB{TB: t}
			f := newFixtureHandler(rec, emulator.Config{}, apispec.Both, nil, tt.wrap)
			ctx := context.Background()
			if _, err := f.client.CreateCustomer(ctx, &emporix.Customer{ID: "C1", ContactEmail: "c1@example.com"}, false); err != nil {
				t.Fatal(err)
			}
			_ = f.client.PatchCustomer(ctx, "C1", map[string]any{"firstName": "X"})
			got := strings.Join(rec.errs, "\n")
			if tt.wantErr != strings.Contains(got, "status 409 is not documented for PATCH-customer-tenant-update-customer") {
				t.Errorf("validation errors %q, want the undocumented 409 reported: %v", got, tt.wantErr)
			}
		})
	}
}

func TestConformanceClientFlow(t *testing.T) {
	f := newFixture(t, emulator.Config{}, apispec.Both, nil)
	ctx := context.Background()
	c := f.client

	id, err := c.CreateCustomer(ctx, &emporix.Customer{
		ID: "C-1001", ContactEmail: "john.doe@example.com", Title: "MR", FirstName: "John", LastName: "Doe",
		ContactPhone: "+49 30 1234567", Company: "Doe Ltd", PreferredCurrency: "EUR",
	}, false)
	if err != nil || id != "C-1001" {
		t.Fatalf("create = %q, %v; want 201 {id: C-1001}", id, err)
	}
	created, _, err := c.UpsertCustomer(ctx, "C-1001", map[string]any{"contactEmail": "john@example.com", "preferredLanguage": "de_DE"}, false)
	if err != nil || created {
		t.Fatalf("upsert = created %v, %v; want 204 update", created, err)
	}
	addrID, err := c.AddAddress(ctx, "C-1001", &emporix.Address{
		ContactName: "John Doe", Street: "Platz der Republik", StreetNumber: "1", ZipCode: "11011",
		City: "Berlin", Country: "DE", Tags: []string{"BILLING", "SHIPPING"},
	})
	if err != nil || addrID == "" {
		t.Fatalf("add address = %q, %v", addrID, err)
	}
	if err := c.AddTags(ctx, "C-1001", addrID, []string{"PRIMARY_CONTACT"}); err != nil {
		t.Fatalf("add tag: %v", err)
	}
	if err := c.PatchCustomer(ctx, "C-1001", map[string]any{"active": true, "onHold": false}); err != nil {
		t.Fatalf("patch: %v", err)
	}
	got, err := c.GetCustomer(ctx, "C-1001", "addresses", "accounts")
	if err != nil {
		t.Fatal(err)
	}
	// The PUT omitted title, contactPhone and company: they are still there.
	if got.ContactEmail != "john@example.com" || got.PreferredLanguage != "de_DE" || got.Title != "MR" ||
		got.ContactPhone != "+49 30 1234567" || got.Company != "Doe Ltd" {
		t.Errorf("profile after the flow: %+v", got)
	}
	if got.Active == nil || !*got.Active || got.OnHold == nil || *got.OnHold {
		t.Errorf("active/onHold = %v/%v", got.Active, got.OnHold)
	}
	if len(got.Addresses) != 1 || !slices.Equal(got.Addresses[0].Tags, []string{"BILLING", "SHIPPING", "PRIMARY_CONTACT"}) {
		t.Errorf("addresses = %+v", got.Addresses)
	}
	if len(got.Accounts) != 1 {
		t.Errorf("accounts = %+v", got.Accounts)
	}
	found, err := c.FindByEmail(ctx, "john@example.com")
	if err != nil || len(found) != 1 || found[0].CustomerNumber != "C-1001" {
		t.Errorf("find by e-mail = %+v, %v", found, err)
	}
	batch, err := c.FindByNumbers(ctx, []string{"C-1001", "C-9"}, "addresses")
	if err != nil || len(batch.Customers) != 1 || !batch.Complete || len(batch.Customers[0].Addresses) != 1 {
		t.Errorf("FindByNumbers = %+v, %v", batch, err)
	}
	batch, err = c.FindByEmails(ctx, []string{"john@example.com", `odd"quote@example.com`})
	if err != nil || len(batch.Customers) != 1 || !batch.Complete || batch.Customers[0].CustomerNumber != "C-1001" {
		t.Errorf("FindByEmails = %+v, %v", batch, err)
	}
}

func TestConformanceErrors(t *testing.T) {
	ctx := context.Background()
	seed := func(t *testing.T, c *emporix.Client) {
		t.Helper()
		if _, _, err := c.UpsertCustomer(ctx, "C1", &emporix.Customer{ContactEmail: "a+b@example.com"}, false); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("duplicate e-mail is 409", func(t *testing.T) {
		f := newFixture(t, emulator.Config{}, apispec.Both, nil)
		seed(t, f.client)
		_, err := f.client.CreateCustomer(ctx, &emporix.Customer{ContactEmail: "A+B@example.com"}, false)
		var ae *emporix.APIError
		if !emporix.IsConflict(err) || !errors.As(err, &ae) || ae.Type != "conflict_resource" {
			t.Fatalf("err = %v, want 409 conflict_resource", err)
		}
		if found, _ := f.client.FindByEmail(ctx, "a+b@example.com"); len(found) != 1 {
			t.Errorf("a '+' in the e-mail must survive the query: found %d", len(found))
		}
	})
	t.Run("unknown customer is 404", func(t *testing.T) {
		f := newFixture(t, emulator.Config{}, apispec.Both, nil)
		_, err := f.client.GetCustomer(ctx, "NOPE")
		var ae *emporix.APIError
		if !emporix.IsNotFound(err) || !errors.As(err, &ae) || ae.Message != "Customer not Found" || len(ae.Details) != 1 {
			t.Fatalf("err = %#v", err)
		}
	})
	t.Run("missing scope is 403", func(t *testing.T) {
		f := newFixture(t, emulator.Config{Scopes: []string{emulator.ScopeCustomerRead}}, apispec.Both,
			func(c *emporix.Config) { c.Scopes = []string{emulator.ScopeCustomerRead} })
		_, _, err := f.client.UpsertCustomer(ctx, "C1", &emporix.Customer{ContactEmail: "x@example.com"}, false)
		if emporix.StatusOf(err) != http.StatusForbidden {
			t.Fatalf("err = %v, want 403", err)
		}
	})
	t.Run("wrong tenant is 403", func(t *testing.T) {
		f := newFixture(t, emulator.Config{Tenant: "tenanta"}, apispec.Both, func(c *emporix.Config) { c.Tenant = "tenantb" })
		_, err := f.client.GetCustomer(ctx, "C1")
		if emporix.StatusOf(err) != http.StatusForbidden {
			t.Fatalf("err = %v, want 403", err)
		}
	})
	t.Run("expired token is renewed once", func(t *testing.T) {
		f := newFixture(t, emulator.Config{}, apispec.Both, nil)
		seed(t, f.client)
		f.srv.ExpireTokens()
		if _, err := f.client.GetCustomer(ctx, "C1"); err != nil {
			t.Fatal(err)
		}
		if st := f.client.Stats(); st.AuthRenewals != 1 {
			t.Errorf("renewals = %d, want 1", st.AuthRenewals)
		}
		if n := f.srv.Stats().TokensIssued; n != 2 {
			t.Errorf("tokens issued = %d, want 2", n)
		}
	})
	t.Run("429 with Retry-After is retried", func(t *testing.T) {
		f := newFixture(t, emulator.Config{ThrottleRate: 0.5, Seed: 3}, apispec.Both, nil)
		seed(t, f.client)
		for range 20 {
			if _, err := f.client.GetCustomer(ctx, "C1"); err != nil {
				t.Fatal(err)
			}
		}
		if st := f.client.Stats(); st.RateLimited == 0 || st.Retries < st.RateLimited {
			t.Errorf("stats %+v: want 429s, each retried", st)
		}
	})
	t.Run("503 is retried, nothing lost", func(t *testing.T) {
		f := newFixture(t, emulator.Config{FailRate: 0.5, Seed: 5}, apispec.Both, nil)
		for i := range 10 {
			num := "C" + string(rune('A'+i))
			if _, _, err := f.client.UpsertCustomer(ctx, num, &emporix.Customer{ContactEmail: num + "@example.com"}, false); err != nil {
				t.Fatal(err)
			}
		}
		if n := len(f.srv.State().Customers); n != 10 || f.srv.Stats().Failed == 0 {
			t.Errorf("%d customers after %d injected 503s", n, f.srv.Stats().Failed)
		}
	})
	t.Run("drop after commit: idempotent calls retry, POST reports an unknown outcome", func(t *testing.T) {
		// A dropped answer is a transport error: responses cannot be validated.
		f := newFixture(t, emulator.Config{DropAfterCommit: 1}, apispec.Both, nil)
		_, err := f.client.CreateCustomer(ctx, &emporix.Customer{ContactEmail: "p@example.com"}, false)
		if !errors.Is(err, emporix.ErrOutcomeUnknown) {
			t.Fatalf("POST with a dropped answer: %v, want ErrOutcomeUnknown", err)
		}
		if n := len(f.srv.State().Customers); n != 1 {
			t.Fatalf("%d customers: the POST was applied once and not repeated", n)
		}
		f.srv.SetFaults(0, 0, 0.5)
		for i := range 10 {
			num := "D" + string(rune('A'+i))
			if _, _, err := f.client.UpsertCustomer(ctx, num, &emporix.Customer{ContactEmail: num + "@example.com"}, false); err != nil {
				t.Fatalf("PUT under drops: %v", err)
			}
		}
		if n := len(f.srv.State().Customers); n != 11 || f.srv.Stats().Dropped < 2 {
			t.Errorf("%d customers, %d drops", n, f.srv.Stats().Dropped)
		}
	})
}
