package emporix

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestNewValidation(t *testing.T) {
	ok := Config{Tenant: "tnt", ClientID: "id", ClientSecret: "secret"}
	tests := []struct {
		name    string
		mod     func(*Config)
		wantErr string
	}{
		{"default https", func(c *Config) {}, ""},
		{"https with prefix", func(c *Config) { c.BaseURL = "https://gw.example.com/api/" }, ""},
		{"http loopback v4", func(c *Config) { c.BaseURL = "http://127.0.0.1:8089" }, ""},
		{"http loopback 127/8", func(c *Config) { c.BaseURL = "http://127.1.2.3" }, ""},
		{"http loopback v6", func(c *Config) { c.BaseURL = "http://[::1]:8089/x" }, ""},
		{"http localhost", func(c *Config) { c.BaseURL = "http://LOCALHOST:1" }, ""},
		{"http remote", func(c *Config) { c.BaseURL = "http://api.emporix.io" }, "refusing plain http://"},
		{"http private ip", func(c *Config) { c.BaseURL = "http://10.0.0.1" }, "refusing plain http://"},
		{"http localhost lookalike", func(c *Config) { c.BaseURL = "http://localhost.evil.com" }, "refusing plain http://"},
		{"ftp", func(c *Config) { c.BaseURL = "ftp://x" }, "scheme"},
		{"no host", func(c *Config) { c.BaseURL = "api.emporix.io" }, "no host"},
		{"query", func(c *Config) { c.BaseURL = "https://x/?a=b" }, "query"},
		{"tenant upper", func(c *Config) { c.Tenant = "Tnt" }, "invalid tenant"},
		{"tenant short", func(c *Config) { c.Tenant = "ab" }, "invalid tenant"},
		{"tenant long", func(c *Config) { c.Tenant = "abcdefghijklmnopq" }, "invalid tenant"},
		{"tenant 16", func(c *Config) { c.Tenant = "abcdefghijklmnop" }, ""},
		{"tenant digit first", func(c *Config) { c.Tenant = "1abc" }, "invalid tenant"},
		{"no secret", func(c *Config) { c.ClientSecret = "" }, "client secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := ok
			tt.mod(&cfg)
			_, err := New(cfg)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("error %v, want containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestRequestsShape(t *testing.T) {
	ta := newTestAPI(t, func(w http.ResponseWriter, r *http.Request, path string, n int) {
		switch {
		case r.Method == "GET" && path == "/customers/a%2Fb":
			writeJSON(w, 200, `{"id":"a/b","customerNumber":"a/b","contactEmail":"x@y.z","addresses":[{"id":"ad1","contactName":"X"}]}`)
		case r.Method == "GET" && path == "/customers":
			w.Header().Set("Count", "1")
			writeJSON(w, 200, `[{"id":"C1","contactEmail":"a+b@x.com"}]`)
		case r.Method == "POST" && path == "/customers/search":
			writeJSON(w, 200, `[]`)
		case r.Method == "POST" && path == "/customers":
			writeJSON(w, 201, `{"id":"47718865","link":"x"}`)
		case r.Method == "PUT" && path == "/customers/NEW":
			writeJSON(w, 201, `{"id":"NEW"}`)
		case r.Method == "PUT" && path == "/customers/OLD":
			w.WriteHeader(204)
		case r.Method == "PATCH":
			w.WriteHeader(200)
		case r.Method == "DELETE" && path == "/customers/C1":
			w.WriteHeader(202)
		case r.Method == "GET" && path == "/customers/C1/addresses":
			writeJSON(w, 200, `[{"id":"e6eae2c789","contactName":"A","tags":["BILLING"],"country":"DE"}]`)
		case r.Method == "GET" && path == "/customers/C1/addresses/e6eae2c789":
			writeJSON(w, 200, `{"id":"e6eae2c789","contactName":"A"}`)
		case r.Method == "POST" && path == "/customers/C1/addresses":
			writeJSON(w, 201, `{"id":"e6eae2c789"}`)
		case r.Method == "PUT" && path == "/customers/C1/addresses/new":
			writeJSON(w, 201, `{"id":"new"}`)
		case r.Method == "PUT" && path == "/customers/C1/addresses/old":
			w.WriteHeader(204)
		case path == "/customers/C1/addresses/a1/tags" || path == "/customers/C1/addresses/a1":
			w.WriteHeader(204)
		default:
			writeJSON(w, 404, `{"type":"resource_not_found","status":404,"message":"no route `+r.Method+` `+path+`"}`)
		}
	})
	c := ta.client()
	ctx := ctxT(t)

	cust, err := c.GetCustomer(ctx, "a/b", "addresses", "accounts")
	if err != nil || cust.CustomerNumber != "a/b" || len(cust.Addresses) != 1 {
		t.Fatalf("GetCustomer = %+v, %v", cust, err)
	}
	if q := ta.last().rawQuery; q != "expand=addresses%2Caccounts" {
		t.Errorf("expand query %q", q)
	}
	if a := ta.last().auth; a != "Bearer tok-1" {
		t.Errorf("Authorization %q", a)
	}

	found, err := c.FindByEmail(ctx, "a+b@x.com", "addresses")
	if err != nil || len(found) != 1 {
		t.Fatalf("FindByEmail = %v, %v", found, err)
	}
	raw := ta.last().rawQuery
	if strings.Contains(raw, "+") || !strings.Contains(raw, "%2B") {
		t.Errorf("'+' not encoded: %q", raw)
	}
	if v, _ := url.ParseQuery(raw); v.Get("q") != `contactEmail:"a+b@x.com"` || v.Get("expand") != "addresses" {
		t.Errorf("query decodes to %v", v)
	}

	if _, err := c.ListCustomers(ctx, ListOptions{PageNumber: 2}); err == nil || ta.apiCalls.Load() != 2 {
		t.Errorf("pageNumber without pageSize: err %v, calls %d", err, ta.apiCalls.Load())
	}
	if _, err := c.ListCustomers(ctx, ListOptions{Q: "firstName:John", PageNumber: 2, PageSize: 50, Sort: "metadataCreatedAt:DESC"}); err != nil {
		t.Fatal(err)
	}
	if v, _ := url.ParseQuery(ta.last().rawQuery); v.Get("pageNumber") != "2" || v.Get("pageSize") != "50" || v.Get("sort") != "metadataCreatedAt:DESC" || v.Get("q") != "firstName:John" {
		t.Errorf("list query %v", v)
	}

	if _, err := c.SearchCustomers(ctx, `lastName:"Doe"`, ListOptions{PageSize: 10}); err != nil {
		t.Fatal(err)
	}
	if l := ta.last(); l.body != `{"q":"lastName:\"Doe\""}` || l.rawQuery != "pageSize=10" || l.contentType != "application/json" {
		t.Errorf("search request %+v", l)
	}

	id, err := c.CreateCustomer(ctx, &Customer{ContactEmail: "n@x.com", FirstName: "N"}, false)
	if err != nil || id != "47718865" {
		t.Fatalf("CreateCustomer = %q, %v", id, err)
	}
	if l := ta.last(); l.rawQuery != "sendPasswordResetNotifications=false" || l.body != `{"contactEmail":"n@x.com","firstName":"N"}` {
		t.Errorf("create request %+v", l)
	}

	created, id, err := c.UpsertCustomer(ctx, "NEW", &Customer{ContactEmail: "n@x.com"}, true)
	if err != nil || !created || id != "NEW" || ta.last().rawQuery != "sendPasswordResetNotifications=true" {
		t.Fatalf("UpsertCustomer(NEW) = %v %q %v", created, id, err)
	}
	created, id, err = c.UpsertCustomer(ctx, "OLD", map[string]any{"contactEmail": "o@x.com"}, false)
	if err != nil || created || id != "OLD" {
		t.Fatalf("UpsertCustomer(OLD) = %v %q %v", created, id, err)
	}

	if err := c.PatchCustomer(ctx, "C1", map[string]any{"company": "X", "middleName": ""}); err != nil {
		t.Fatal(err)
	}
	if l := ta.last(); l.contentType != "application/merge-patch+json" || l.body != `{"company":"X","middleName":""}` {
		t.Errorf("patch request %+v", l)
	}
	// active/onHold exist only in the application/json body (CustomerPatchBySellerDto).
	if err := c.PatchCustomer(ctx, "C1", map[string]any{"active": true, "onHold": false}); err != nil {
		t.Fatal(err)
	}
	if l := ta.last(); l.contentType != "application/json" || l.body != `{"active":true,"onHold":false}` {
		t.Errorf("activation patch request %+v", l)
	}
	if err := c.PatchCustomer(ctx, "C1", map[string]any{"company": nil}); err == nil {
		t.Error("a null value (not allowed by the spec) must be refused before sending")
	}
	// restriction is nullable in the schema: null removes it.
	if err := c.PatchCustomer(ctx, "C1", map[string]any{"restriction": nil}); err != nil {
		t.Fatal(err)
	}
	if l := ta.last(); l.body != `{"restriction":null}` {
		t.Errorf("restriction removal %+v", l)
	}
	if err := c.DeleteCustomer(ctx, "C1"); err != nil {
		t.Fatal(err)
	}

	addrs, err := c.ListAddresses(ctx, "C1")
	if err != nil || len(addrs) != 1 || addrs[0].Tags[0] != "BILLING" {
		t.Fatalf("ListAddresses = %+v, %v", addrs, err)
	}
	if a, err := c.GetAddress(ctx, "C1", "e6eae2c789"); err != nil || a.ContactName != "A" {
		t.Fatalf("GetAddress = %+v, %v", a, err)
	}
	if id, err := c.AddAddress(ctx, "C1", &Address{ContactName: "A", Country: "DE"}); err != nil || id != "e6eae2c789" {
		t.Fatalf("AddAddress = %q, %v", id, err)
	}
	if created, err := c.UpsertAddress(ctx, "C1", "new", &Address{ContactName: "A"}); err != nil || !created {
		t.Fatalf("UpsertAddress(new) = %v, %v", created, err)
	}
	if created, err := c.UpsertAddress(ctx, "C1", "old", &Address{ContactName: "A"}); err != nil || created {
		t.Fatalf("UpsertAddress(old) = %v, %v", created, err)
	}
	if err := c.AddTags(ctx, "C1", "a1", []string{"BILLING", "SHIPPING"}); err != nil {
		t.Fatal(err)
	}
	if l := ta.last(); l.method != "POST" || l.rawQuery != "tags=BILLING%2CSHIPPING" {
		t.Errorf("add tags request %+v", l)
	}
	if err := c.RemoveTags(ctx, "C1", "a1", []string{"X"}); err != nil {
		t.Fatal(err)
	}
	if l := ta.last(); l.method != "DELETE" || l.rawQuery != "tags=X" {
		t.Errorf("remove tags request %+v", l)
	}
	if err := c.AddTags(ctx, "C1", "a1", []string{"A,B"}); err == nil {
		t.Error("tag containing a comma accepted")
	}
	if err := c.DeleteAddress(ctx, "C1", "a1"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetCustomer(ctx, ""); err == nil {
		t.Error("empty customer number accepted")
	}

	_, err = c.GetCustomer(ctx, "missing")
	if !IsNotFound(err) || !strings.HasPrefix(err.Error(), "GET /customers/missing: 404") {
		t.Errorf("missing customer: %v", err)
	}
	if got := ta.tokenCalls.Load(); got != 1 {
		t.Errorf("token requests = %d, want 1 (cached)", got)
	}
}

func TestTokenRequest(t *testing.T) {
	var form url.Values
	var basic bool
	ta := newTestAPI(t, func(w http.ResponseWriter, r *http.Request, path string, n int) { writeJSON(w, 200, `[]`) })
	ta.token = func(w http.ResponseWriter, r *http.Request) {
		_, _, basic = r.BasicAuth()
		r.ParseForm()
		form = r.PostForm
		writeJSON(w, 200, `{"access_token":"tok","token_type":"Bearer","expires_in":14399}`)
	}
	c := ta.client()
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if _, err := c.ListCustomers(ctxT(t), ListOptions{}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if got := ta.tokenCalls.Load(); got != 1 {
		t.Errorf("token requests = %d, want 1", got)
	}
	if basic || form.Get("grant_type") != "client_credentials" || form.Get("client_id") != testID ||
		form.Get("client_secret") != testSecret || form.Get("scope") != "customer.customer_read customer.customer_manage" {
		t.Errorf("token form %v (basic auth %v)", form, basic)
	}
	if s := c.Stats(); s.Requests != 20 || s.Retries != 0 {
		t.Errorf("stats %+v", s)
	}
}

const expiredBody = `{"fault":{"faultstring":"Access Token expired","detail":{"errorcode":"keymanagement.service.access_token_expired"}}}`

func TestAuthRenewal(t *testing.T) {
	var bodies []string
	ta := newTestAPI(t, func(w http.ResponseWriter, r *http.Request, path string, n int) {
		b, _ := io.ReadAll(r.Body)
		bodies = append(bodies, string(b))
		if r.Header.Get("Authorization") != "Bearer tok-2" {
			writeJSON(w, 401, expiredBody)
			return
		}
		w.WriteHeader(204)
	})
	c := ta.client()
	created, _, err := c.UpsertCustomer(ctxT(t), "C1", &Customer{ContactEmail: "a@x.com"}, false)
	if err != nil || created {
		t.Fatalf("UpsertCustomer = %v, %v", created, err)
	}
	if len(bodies) != 2 || bodies[0] != bodies[1] || bodies[1] == "" {
		t.Errorf("body not replayed: %q", bodies)
	}
	if s := c.Stats(); s.AuthRenewals != 1 || s.Requests != 2 || ta.tokenCalls.Load() != 2 {
		t.Errorf("stats %+v, token calls %d", s, ta.tokenCalls.Load())
	}
	// The renewed token is cached.
	if _, _, err := c.UpsertCustomer(ctxT(t), "C1", &Customer{}, false); err != nil || ta.tokenCalls.Load() != 2 {
		t.Errorf("second call: %v, token calls %d", err, ta.tokenCalls.Load())
	}
}

func TestAuthRenewalOnlyOnce(t *testing.T) {
	tests := []struct {
		name        string
		body        string
		wantRenewal int64
	}{
		{"token fault renews once", expiredBody, 1},
		{"invalid token renews once", `{"fault":{"faultstring":"Invalid access token","detail":{"errorcode":"oauth.v2.InvalidAccessToken"}}}`, 1},
		{"other 401 is final", `{"type":"unauthorized","status":401,"message":"Nope"}`, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ta := newTestAPI(t, func(w http.ResponseWriter, r *http.Request, path string, n int) { writeJSON(w, 401, tt.body) })
			c := ta.client()
			_, err := c.GetCustomer(ctxT(t), "C1")
			if StatusOf(err) != 401 {
				t.Fatalf("err = %v, want 401", err)
			}
			if s := c.Stats(); s.AuthRenewals != tt.wantRenewal || s.Requests != 1+tt.wantRenewal || s.Retries != 0 {
				t.Errorf("stats %+v", s)
			}
		})
	}
}

func TestTokenRefusalNeverLeaksSecret(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		body       string
		wantAuth   bool
		wantTokens int32
	}{
		{"401 oauth error echoing secret", 401, `{"error":"invalid_client","error_description":"bad secret ` + testSecret + `"}`, true, 1},
		{"401 error code is the secret", 401, `{"error":"` + testSecret + `"}`, true, 1},
		{"400 non-JSON echo", 400, "client_secret=" + testSecret, true, 1},
		{"403 fault", 403, `{"fault":{"faultstring":"` + testSecret + `"}}`, true, 1},
		{"500 echo is transient", 500, "oops " + testSecret, false, 3},
		{"200 garbage echo", 200, "{" + testSecret, false, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ta := newTestAPI(t, func(w http.ResponseWriter, r *http.Request, path string, n int) { w.WriteHeader(204) })
			ta.token = func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			}
			var logs strings.Builder
			c := ta.client(func(c *Config) {
				c.MaxRetries = 2
				c.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			})
			_, err := c.GetCustomer(ctxT(t), "C1")
			if err == nil {
				t.Fatal("no error")
			}
			if strings.Contains(err.Error(), testSecret) || strings.Contains(logs.String(), testSecret) {
				t.Fatalf("secret leaked: %v\nlogs: %s", err, logs.String())
			}
			var ae *AuthError
			if errors.As(err, &ae) != tt.wantAuth {
				t.Errorf("AuthError = %v, want %v (err %v)", ae, tt.wantAuth, err)
			}
			if got := ta.tokenCalls.Load(); got != tt.wantTokens {
				t.Errorf("token calls = %d, want %d", got, tt.wantTokens)
			}
			if ta.apiCalls.Load() != 0 {
				t.Error("API called without a token")
			}
		})
	}
}

func retryAfterTooLong(err error) bool {
	return errors.Is(err, ErrRetryAfterTooLong) && errors.Is(err, ErrServerUnreachable) &&
		!strings.Contains(err.Error(), "gave up after")
}

func TestRetry(t *testing.T) {
	type step struct {
		status int
		header string // Retry-After
		drop   bool   // close the connection without answering
	}
	tests := []struct {
		name        string
		call        func(c *Client) error
		steps       []step // answer n (beyond the list: 200/201/204 success)
		maxRetries  int
		wantErr     func(error) bool
		wantCalls   int32
		wantRetries int64
		wantWaits   []time.Duration // honoured Retry-After waits (0 = backoff)
	}{
		{"GET 503 then 200", getC1, []step{{status: 503}}, 0, noErr, 2, 1, []time.Duration{0}},
		{"GET 429 Retry-After honoured", getC1, []step{{status: 429, header: "1"}}, 0, noErr, 2, 1, []time.Duration{time.Millisecond}},
		{"GET 429 Retry-After capped", getC1, []step{{status: 429, header: "20"}}, 0, noErr, 2, 1, []time.Duration{5 * time.Millisecond}},
		// Beyond RetryAfterGiveUp (30 s; a test "second" is 1 ms): no wait, no retry.
		{"GET 429 Retry-After beyond give-up", getC1, []step{{status: 429, header: "86400"}}, 0, retryAfterTooLong, 1, 0, nil},
		{"PUT 503 Retry-After beyond give-up", upsertC1, []step{{status: 503, header: "31000"}}, 0, retryAfterTooLong, 1, 0, nil},
		// PUT, not GET: net/http itself replays a GET dropped on a reused connection.
		{"PUT 502 504 dropped then ok", upsertC1, []step{{status: 502}, {status: 504}, {drop: true}}, 0, noErr, 4, 3, []time.Duration{0, 0, 0}},
		{"GET 400 not retried", getC1, []step{{status: 400}}, 0, statusIs(400), 1, 0, nil},
		{"GET 500 not retried", getC1, []step{{status: 500}}, 0, statusIs(500), 1, 0, nil},
		{"MaxRetries exhausted", getC1, []step{{status: 503}, {status: 503}, {status: 503}, {status: 503}}, 2,
			func(err error) bool {
				return StatusOf(err) == 503 && strings.Contains(err.Error(), "gave up after 3 attempts")
			}, 3, 2, []time.Duration{0, 0}},
		{"MaxRetries 0: no retry", getC1, []step{{status: 503}}, -1, statusIs(503), 1, 0, nil},
		{"POST create 503 not retried", createC, []step{{status: 503}}, 0,
			func(err error) bool { return errors.Is(err, ErrOutcomeUnknown) && StatusOf(err) == 503 }, 1, 0, nil},
		{"POST create dropped not retried", createC, []step{{drop: true}}, 0,
			func(err error) bool { return errors.Is(err, ErrOutcomeUnknown) && StatusOf(err) == 0 }, 1, 0, nil},
		{"POST address 504 not retried", addAddr, []step{{status: 504}}, 0,
			func(err error) bool { return errors.Is(err, ErrOutcomeUnknown) }, 1, 0, nil},
		{"POST create 429 retried", createC, []step{{status: 429, header: "2"}, {status: 429}}, 0, noErr, 3, 2, []time.Duration{2 * time.Millisecond, 0}},
		{"POST create 409 final", createC, []step{{status: 409}}, 0,
			func(err error) bool { return IsConflict(err) && !errors.Is(err, ErrOutcomeUnknown) }, 1, 0, nil},
		{"POST tags 503 retried (idempotent)", func(c *Client) error { return c.AddTags(ctxT(nil), "C1", "a1", []string{"B"}) },
			[]step{{status: 503}}, 0, noErr, 2, 1, []time.Duration{0}},
		{"POST search 503 retried (read)", func(c *Client) error { _, err := c.SearchCustomers(ctxT(nil), "x:y", ListOptions{}); return err },
			[]step{{status: 503}}, 0, noErr, 2, 1, []time.Duration{0}},
		{"DELETE customer 404 after lost answer = ok", func(c *Client) error { return c.DeleteCustomer(ctxT(nil), "C1") },
			[]step{{drop: true}, {status: 404}}, 0, noErr, 2, 1, []time.Duration{0}},
		{"DELETE address 404 after 503 = ok", func(c *Client) error { return c.DeleteAddress(ctxT(nil), "C1", "a1") },
			[]step{{status: 503}, {status: 404}}, 0, noErr, 2, 1, []time.Duration{0}},
		{"DELETE address 404 after 429 = not found", func(c *Client) error { return c.DeleteAddress(ctxT(nil), "C1", "a1") },
			[]step{{status: 429}, {status: 404}}, 0, statusIs(404), 2, 1, []time.Duration{0}},
		{"DELETE address 404 first = not found", func(c *Client) error { return c.DeleteAddress(ctxT(nil), "C1", "a1") },
			[]step{{status: 404}}, 0, statusIs(404), 1, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ta := newTestAPI(t, func(w http.ResponseWriter, r *http.Request, path string, n int) {
				if n <= len(tt.steps) {
					s := tt.steps[n-1]
					if s.drop {
						dropConn(t, w)
						return
					}
					if s.header != "" {
						w.Header().Set("Retry-After", s.header)
					}
					writeJSON(w, s.status, `{"status":`+http.StatusText(s.status)+`}`)
					return
				}
				switch {
				case strings.HasSuffix(path, "/search"):
					writeJSON(w, 200, `[]`)
				case r.Method == "POST":
					writeJSON(w, 201, `{"id":"X1"}`)
				case r.Method == "GET":
					writeJSON(w, 200, `{"id":"C1"}`)
				default:
					w.WriteHeader(204)
				}
			})
			c := ta.client(func(c *Config) {
				switch { // 0 in the table: the helper's default; -1: none
				case tt.maxRetries < 0:
					c.MaxRetries = 0
				case tt.maxRetries > 0:
					c.MaxRetries = tt.maxRetries
				}
				c.RetryAfterMax = 5 * time.Millisecond
			})
			var waits []time.Duration
			c.onRetry = func(err error, wait time.Duration) {
				if _, ok := errors.AsType[*retryAfterError](err); !ok {
					wait = 0 // exponential backoff: random, only its presence matters
				}
				waits = append(waits, wait)
			}
			err := tt.call(c)
			if !tt.wantErr(err) {
				t.Errorf("unexpected error result: %v", err)
			}
			if got := ta.apiCalls.Load(); got != tt.wantCalls {
				t.Errorf("API calls = %d, want %d", got, tt.wantCalls)
			}
			if s := c.Stats(); s.Retries != tt.wantRetries || s.Requests != int64(tt.wantCalls) {
				t.Errorf("stats %+v", s)
			}
			if len(waits) != len(tt.wantWaits) {
				t.Fatalf("waits %v, want %v", waits, tt.wantWaits)
			}
			for i := range waits {
				if waits[i] != tt.wantWaits[i] {
					t.Errorf("wait %d = %v, want %v", i, waits[i], tt.wantWaits[i])
				}
			}
		})
	}
}

func getC1(c *Client) error { _, err := c.GetCustomer(context.Background(), "C1"); return err }
func upsertC1(c *Client) error {
	_, _, err := c.UpsertCustomer(context.Background(), "C1", &Customer{ContactEmail: "a@x.com"}, false)
	return err
}
func createC(c *Client) error {
	_, err := c.CreateCustomer(context.Background(), &Customer{ContactEmail: "a@x.com"}, false)
	return err
}
func addAddr(c *Client) error {
	_, err := c.AddAddress(context.Background(), "C1", &Address{ContactName: "A"})
	return err
}
func noErr(err error) bool { return err == nil }
func statusIs(s int) func(error) bool {
	return func(err error) bool { return StatusOf(err) == s && !errors.Is(err, ErrOutcomeUnknown) }
}

func TestRetryAfterParsing(t *testing.T) {
	c := &Client{raMax: 30 * time.Second, raUnit: time.Second}
	tests := []struct {
		header  string
		want    time.Duration
		wantMax time.Duration // for dates: 0 < got <= wantMax
	}{
		{"", 0, 0},
		{"1", time.Second, 0},
		{" 7 ", 7 * time.Second, 0},
		{"-3", 0, 0},
		{"soon", 0, 0},
		{"3600", 30 * time.Second, 0},
		{time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat), 0, 0},
		{time.Now().Add(10 * time.Second).UTC().Format(http.TimeFormat), -1, 10 * time.Second},
	}
	for _, tt := range tests {
		got := c.retryAfter(http.Header{"Retry-After": {tt.header}})
		if tt.want >= 0 && got != tt.want {
			t.Errorf("Retry-After %q = %v, want %v", tt.header, got, tt.want)
		}
		if tt.want < 0 && (got <= 0 || got > tt.wantMax) {
			t.Errorf("Retry-After %q = %v, want in (0, %v]", tt.header, got, tt.wantMax)
		}
	}
}

// failDial fails the first n API dials with a dial error (connection refused).
type failDial struct {
	next http.RoundTripper
	n    atomic.Int32
}

func (f *failDial) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.Contains(r.URL.Path, "/customer/") && f.n.Add(-1) >= 0 {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	}
	return f.next.RoundTrip(r)
}

func TestPostRetriedOnDialError(t *testing.T) {
	ta := newTestAPI(t, func(w http.ResponseWriter, r *http.Request, path string, n int) { writeJSON(w, 201, `{"id":"X1"}`) })
	fd := &failDial{next: ta.srv.Client().Transport}
	fd.n.Store(2)
	c := ta.client(func(c *Config) { c.HTTPClient = &http.Client{Transport: fd} })
	id, err := c.CreateCustomer(ctxT(t), &Customer{ContactEmail: "a@x.com"}, false)
	if err != nil || id != "X1" {
		t.Fatalf("CreateCustomer = %q, %v", id, err)
	}
	if s := c.Stats(); s.Retries != 2 || ta.apiCalls.Load() != 1 {
		t.Errorf("stats %+v, calls %d", s, ta.apiCalls.Load())
	}
}

func TestContextCancelStopsRetry(t *testing.T) {
	ta := newTestAPI(t, func(w http.ResponseWriter, r *http.Request, path string, n int) { writeJSON(w, 503, `{}`) })
	c := ta.client(func(c *Config) { c.RetryInitial, c.RetryMax = time.Hour, time.Hour })
	ctx, cancel := context.WithCancel(t.Context())
	c.onRetry = func(error, time.Duration) { cancel() }
	_, err := c.GetCustomer(ctx, "C1")
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "GET /customers/C1") {
		t.Fatalf("err = %v", err)
	}
	if ta.apiCalls.Load() != 1 {
		t.Errorf("calls = %d", ta.apiCalls.Load())
	}
}

// countingLimiter records Wait and Throttled calls.
type countingLimiter struct {
	waits     atomic.Int32
	mu        sync.Mutex
	throttled []time.Duration
}

func (l *countingLimiter) Wait(ctx context.Context) error { l.waits.Add(1); return ctx.Err() }
func (l *countingLimiter) Throttled(d time.Duration) {
	l.mu.Lock()
	l.throttled = append(l.throttled, d)
	l.mu.Unlock()
}

func TestLimiterUsedPerAttempt(t *testing.T) {
	ta := newTestAPI(t, func(w http.ResponseWriter, r *http.Request, path string, n int) {
		if n == 1 {
			w.Header().Set("Retry-After", "3")
			writeJSON(w, 429, `{"fault":{"faultstring":"Spike arrest violation","detail":{"errorcode":"policies.ratelimit.SpikeArrestViolation"}}}`)
			return
		}
		writeJSON(w, 200, `[]`)
	})
	lim := &countingLimiter{}
	c := ta.client(func(c *Config) { c.Limiter = lim })
	if _, err := c.ListAddresses(ctxT(t), "C1"); err != nil {
		t.Fatal(err)
	}
	if lim.waits.Load() != 2 || len(lim.throttled) != 1 || lim.throttled[0] != 3*time.Millisecond {
		t.Errorf("waits %d, throttled %v", lim.waits.Load(), lim.throttled)
	}
	if s := c.Stats(); s.RateLimited != 1 || s.Requests != 2 || s.Retries != 1 {
		t.Errorf("stats %+v", s)
	}
}

func TestLoggerNeverLogsToken(t *testing.T) {
	ta := newTestAPI(t, func(w http.ResponseWriter, r *http.Request, path string, n int) {
		if n == 1 {
			writeJSON(w, 401, expiredBody)
			return
		}
		writeJSON(w, 200, `{"id":"C1"}`)
	})
	var logs strings.Builder
	c := ta.client(func(c *Config) {
		c.Logger = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	if _, err := c.GetCustomer(ctxT(t), "C1"); err != nil {
		t.Fatal(err)
	}
	out := logs.String()
	if !strings.Contains(out, `"path":"/customers/C1"`) || strings.Contains(out, "tok-") || strings.Contains(out, testSecret) {
		t.Errorf("logs: %s", out)
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(strings.SplitN(out, "\n", 2)[0]), &rec); err != nil || rec["status"] != float64(200) {
		t.Errorf("first log record %v (%v)", rec, err)
	}
}
