package emulator

import (
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestTutorialFlow replays the seed tutorial: create, PUT upsert, address,
// tag, activate, and the final GET that still shows the omitted fields.
func TestTutorialFlow(t *testing.T) {
	e := newEnv(t, Config{})
	n := e.createCustomer(t, "C-1001", map[string]any{
		"contactEmail": "john.doe@example.com", "title": "MR", "firstName": "John", "lastName": "Doe",
		"contactPhone": "123456789", "company": "Emporix",
	})
	if n != "C-1001" {
		t.Fatalf("id = %q", n)
	}
	e.must(t, http.StatusNoContent, req{method: http.MethodPut, path: "/customers/" + n,
		body: map[string]any{"contactEmail": "john.doe@example.com", "preferredLanguage": "de_DE"}})
	addr := e.addAddress(t, n, map[string]any{
		"contactName": "John Doe", "street": "Platz der Republik", "streetNumber": "1", "zipCode": "11011",
		"city": "Berlin", "country": "DE", "tags": []string{"BILLING", "SHIPPING"}, "isDefault": true,
	})
	if len(addr) != 10 || strings.Trim(addr, "0123456789abcdef") != "" {
		t.Errorf("address id %q is not 10 lowercase hex chars", addr)
	}
	e.must(t, http.StatusNoContent, req{method: http.MethodPost, path: "/customers/" + n + "/addresses/" + addr + "/tags?tags=PRIMARY_CONTACT"})
	e.must(t, http.StatusOK, req{method: http.MethodPatch, path: "/customers/" + n, body: map[string]any{"active": true, "onHold": false}})

	got := e.must(t, http.StatusOK, req{method: http.MethodGet, path: "/customers/" + n + "?expand=addresses,accounts"}).jsonMap(t)
	for k, want := range map[string]any{
		"title": "MR", "contactPhone": "123456789", "company": "Emporix", "preferredLanguage": "de_DE",
		"active": true, "onHold": false, "customerNumber": n, "id": n, "contactEmail": "john.doe@example.com",
	} {
		if got[k] != want {
			t.Errorf("%s = %v, want %v", k, got[k], want)
		}
	}
	addrs, _ := got["addresses"].([]any)
	if len(addrs) != 1 {
		t.Fatalf("addresses = %v", got["addresses"])
	}
	tags := addrs[0].(map[string]any)["tags"]
	if b, _ := json.Marshal(tags); string(b) != `["BILLING","SHIPPING","PRIMARY_CONTACT"]` {
		t.Errorf("tags = %s", b)
	}
	if b, _ := json.Marshal(got["accounts"]); string(b) != `[{"id":"john.doe@example.com"}]` {
		t.Errorf("accounts = %s", b)
	}
	if d, _ := got["defaultAddress"].(map[string]any); d["id"] != addr {
		t.Errorf("defaultAddress = %v", got["defaultAddress"])
	}
	// 1 create + 1 PUT + address + tag + PATCH = version 5.
	if v := got["metadata"].(map[string]any)["version"]; v != float64(5) {
		t.Errorf("metadata.version = %v, want 5", v)
	}
	st := e.srv.State()
	if len(st.Customers) != 1 || !st.Customers[0].Active || st.Customers[0].Title != "MR" {
		t.Errorf("state = %+v", st)
	}
}

func TestPostCreateGeneratesNumber(t *testing.T) {
	e := newEnv(t, Config{Seed: 7})
	res := e.must(t, http.StatusCreated, req{method: http.MethodPost, path: "/customers?sendPasswordResetNotifications=false",
		body: map[string]any{"contactEmail": "a@example.com", "firstName": "A"}})
	var out struct{ ID string }
	res.decode(t, &out)
	if len(out.ID) != 8 || strings.Trim(out.ID, "0123456789") != "" {
		t.Errorf("generated id %q, want 8 digits", out.ID)
	}
	e.must(t, http.StatusCreated, req{method: http.MethodPost, path: "/customers", body: map[string]any{"contactEmail": "b@example.com"}})
	if got := e.srv.Stats().PasswordResets; got != 1 {
		t.Errorf("PasswordResets = %d, want 1 (only the request without the flag)", got)
	}
	c := e.must(t, http.StatusOK, req{method: http.MethodGet, path: "/customers/" + out.ID}).jsonMap(t)
	if c["active"] != false || c["onHold"] != false || c["preferredCurrency"] != "USD" {
		t.Errorf("new customer = %v, want inactive with defaults", c)
	}
}

func TestToken(t *testing.T) {
	e := newEnv(t, Config{TokenTTL: 90 * time.Minute})
	good := url.Values{"grant_type": {"client_credentials"}, "client_id": {"demo-client"}, "client_secret": {"demo-secret"}}
	with := func(k, v string) url.Values {
		f := url.Values{}
		for kk, vv := range good {
			f[kk] = vv
		}
		if v == "" {
			f.Del(k)
		} else {
			f.Set(k, v)
		}
		return f
	}
	// Whatever subset is named, the token carries every assigned scope.
	const assigned = "customer.customer_read customer.customer_manage customer.customer_read_own " +
		"customer.customer_manage_own customer.import_read customer.import_manage tenant=demo"
	tests := []struct {
		name      string
		form      url.Values
		edit      func(*http.Request)
		status    int
		wantError string
	}{
		{name: "form credentials, no scope", form: good, status: 200},
		{name: "basic auth", form: with("client_secret", ""), edit: func(r *http.Request) { r.SetBasicAuth("demo-client", "demo-secret") }, status: 200},
		{name: "the tutorial's scopes", form: with("scope", "customer.customer_manage customer.customer_manage_own"), status: 200},
		{name: "one assigned scope", form: with("scope", "customer.customer_read"), status: 200},
		{name: "tenant only", form: with("scope", "tenant=demo"), status: 200},
		{name: "bad secret", form: with("client_secret", "nope"), status: 401, wantError: "invalid_client"},
		{name: "unknown client", form: with("client_id", "x"), status: 401, wantError: "invalid_client"},
		{name: "bad grant", form: with("grant_type", "password"), status: 400, wantError: "unsupported_grant_type"},
		{name: "scope not assigned", form: with("scope", "customer.customer_read customer.order_read"), status: 400, wantError: "invalid_scope"},
		{name: "other tenant", form: with("scope", "tenant=other"), status: 400, wantError: "invalid_scope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := e.form(t, e.client, tt.form, tt.edit)
			if res.status != tt.status {
				t.Fatalf("status %d, want %d: %s", res.status, tt.status, res.body)
			}
			m := res.jsonMap(t)
			if tt.wantError != "" {
				if m["error"] != tt.wantError {
					t.Errorf("error = %v, want %s", m["error"], tt.wantError)
				}
				return
			}
			keys := slices.Sorted(maps.Keys(m))
			if strings.Join(keys, ",") != "access_token,expires_in,refresh_token,refresh_token_expires_in,scope,session_idle_time,token_type" {
				t.Errorf("keys = %v", keys)
			}
			if m["expires_in"] != float64(5400) || m["token_type"] != "Bearer" || m["refresh_token"] != "" ||
				m["refresh_token_expires_in"] != float64(0) || m["scope"] != assigned {
				t.Errorf("token = %v", m)
			}
		})
	}
	if got := e.srv.Stats().TokensIssued; got != 6 { // newEnv's + 5 successes
		t.Errorf("TokensIssued = %d, want 6", got)
	}
	t.Run("assigned scopes are configurable", func(t *testing.T) {
		e := newEnv(t, Config{Scopes: []string{ScopeCustomerRead}})
		res := e.form(t, e.client, with("scope", "customer.customer_manage"), nil)
		if res.status != 400 || res.jsonMap(t)["error"] != "invalid_scope" {
			t.Errorf("unassigned scope: %d %s", res.status, res.body)
		}
	})
}

func TestAuthErrors(t *testing.T) {
	e := newEnv(t, Config{})
	e.createCustomer(t, "c1", map[string]any{"contactEmail": "c1@example.com"})
	addr := e.addAddress(t, "c1", map[string]any{"contactName": "X"})
	only := func(scopes ...string) *string { return ptr(e.srv.issueToken(scopes)) }
	readOnly, manageOnly := only(ScopeCustomerRead), only(ScopeCustomerManage)
	readOwn, manageOwn := only(ScopeCustomerReadOwn), only(ScopeCustomerManageOwn)
	expired := e.getToken(t, "")
	e.srv.mu.Lock()
	e.srv.tokens[expired].expires = time.Now().Add(-time.Minute)
	e.srv.mu.Unlock()

	const invalid = `{"fault":{"faultstring":"Invalid access token","detail":{"errorcode":"oauth.v2.InvalidAccessToken"}}}`
	const expiredBody = `{"fault":{"faultstring":"Access Token expired","detail":{"errorcode":"keymanagement.service.access_token_expired"}}}`
	const forbidden = `{"type":"Forbidden","status":403,"message":"User not authorized."}`
	const badTenant = `{"type":"bad_request","status":400,"message":"The tenant information provided with the request is not valid."}`
	tests := []struct {
		name   string
		r      req
		status int
		body   string // exact body, or "" to check the status only
	}{
		{"no token", req{method: "GET", path: "/customers/c1", token: ptr("")}, 401, invalid},
		{"unknown token", req{method: "GET", path: "/customers/c1", token: ptr("bogus")}, 401, invalid},
		{"expired token", req{method: "GET", path: "/customers/c1", token: &expired}, 401, expiredBody},
		{"malformed tenant", req{method: "GET", path: "/customer/De_mo/customers"}, 400, badTenant},
		{"short tenant", req{method: "GET", path: "/customer/de/customers"}, 400, badTenant},
		{"other tenant", req{method: "GET", path: "/customer/other/customers"}, 403, forbidden},
		{"read scope cannot create", req{method: "POST", path: "/customers", body: map[string]any{"contactEmail": "x@example.com"}, token: readOnly}, 403, forbidden},
		{"read scope cannot tag", req{method: "POST", path: "/customers/c1/addresses/" + addr + "/tags?tags=A", token: readOnly}, 403, forbidden},
		{"manage scope cannot read", req{method: "GET", path: "/customers", token: manageOnly}, 403, forbidden},
		{"manage scope cannot search", req{method: "POST", path: "/customers/search", body: map[string]any{}, token: manageOnly}, 403, forbidden},
		// The contract lists the *_own scopes as alternatives on the customer operations only.
		{"read_own lists customers", req{method: "GET", path: "/customers", token: readOwn}, 200, ""},
		{"read_own reads a customer", req{method: "GET", path: "/customers/c1", token: readOwn}, 200, ""},
		{"manage_own patches", req{method: "PATCH", path: "/customers/c1", body: map[string]any{"firstName": "O"}, token: manageOwn}, 200, ""},
		{"read_own cannot list addresses", req{method: "GET", path: "/customers/c1/addresses", token: readOwn}, 403, forbidden},
		{"manage_own cannot add an address", req{method: "POST", path: "/customers/c1/addresses", body: map[string]any{"contactName": "Y"}, token: manageOwn}, 403, forbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := e.do(t, e.loose, tt.r)
			if res.status != tt.status {
				t.Fatalf("status %d, want %d: %s", res.status, tt.status, res.body)
			}
			if tt.body != "" {
				jsonEq(t, res.body, tt.body)
			}
		})
	}

	t.Run("ExpireTokens", func(t *testing.T) {
		e.srv.ExpireTokens()
		res := e.do(t, e.client, req{method: "GET", path: "/customers/c1"})
		if res.status != 401 {
			t.Fatalf("status %d", res.status)
		}
		jsonEq(t, res.body, expiredBody)
		e.token = e.getToken(t, "")
		e.must(t, 200, req{method: "GET", path: "/customers/c1"})
	})
}

// TestImportScopes checks the scopes of the import and retention-config
// operations: reading the retention config takes customer.import_read.
func TestImportScopes(t *testing.T) {
	e := newEnv(t, Config{})
	plain := &http.Client{} // these endpoints may not be emulated in full: only authorisation is checked
	importRead, importManage := ptr(e.srv.issueToken([]string{ScopeImportRead})), ptr(e.srv.issueToken([]string{ScopeImportManage}))
	customerAll := ptr(e.srv.issueToken([]string{ScopeCustomerRead, ScopeCustomerManage}))
	tests := []struct {
		name      string
		r         req
		forbidden bool
	}{
		{"import_read reads the retention config", req{method: "GET", path: "/config/password-migration-retention", token: importRead}, false},
		{"import_manage alone cannot read it", req{method: "GET", path: "/config/password-migration-retention", token: importManage}, true},
		{"import_read cannot set it", req{method: "POST", path: "/config/password-migration-retention", body: map[string]any{"retentionEndDate": "2099-01-01"}, token: importRead}, true},
		{"import_manage deletes it", req{method: "DELETE", path: "/config/password-migration-retention", token: importManage}, false},
		{"customer scopes cannot import", req{method: "POST", path: "/customers/import", body: []any{}, token: customerAll}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := e.do(t, plain, tt.r)
			if got := res.status == http.StatusForbidden; got != tt.forbidden {
				t.Errorf("status %d, forbidden want %v: %s", res.status, tt.forbidden, res.body)
			}
		})
	}
}

func TestNotFound(t *testing.T) {
	e := newEnv(t, Config{})
	e.createCustomer(t, "c1", map[string]any{"contactEmail": "c1@example.com"})
	const custBody = `{"status":404,"type":"application/json","message":"Customer not Found","details":[{"message":"Couldn't find a customer with customerNumber 'nope'"}]}`
	tests := []struct {
		name string
		r    req
		body string
	}{
		{"get customer", req{method: "GET", path: "/customers/nope"}, custBody},
		{"patch customer", req{method: "PATCH", path: "/customers/nope", body: map[string]any{"firstName": "x"}}, custBody},
		{"delete customer", req{method: "DELETE", path: "/customers/nope"}, custBody},
		{"list addresses (documented without a body)", req{method: "GET", path: "/customers/nope/addresses"}, ""},
		{"post address", req{method: "POST", path: "/customers/nope/addresses", body: map[string]any{"contactName": "x"}}, custBody},
		{"put address, customer missing", req{method: "PUT", path: "/customers/nope/addresses/a1", body: map[string]any{"contactName": "x"}}, custBody},
		{"get address", req{method: "GET", path: "/customers/c1/addresses/a1"}, `{"type":"resource_not_found","status":404,"message":"Address a1 of customer c1 not found."}`},
		{"patch address", req{method: "PATCH", path: "/customers/c1/addresses/a1", body: map[string]any{"city": "x"}}, `{"type":"resource_not_found","status":404,"message":"Address a1 of customer c1 not found."}`},
		{"tag address", req{method: "POST", path: "/customers/c1/addresses/a1/tags?tags=A"}, `{"type":"resource_not_found","status":404,"message":"Address a1 of customer c1 not found."}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := e.must(t, http.StatusNotFound, tt.r)
			if tt.body == "" {
				if len(res.body) != 0 {
					t.Errorf("body %s, want none", res.body)
				}
				return
			}
			jsonEq(t, res.body, tt.body)
		})
	}
}

func TestConflicts(t *testing.T) {
	e := newEnv(t, Config{})
	e.createCustomer(t, "c1", map[string]any{"contactEmail": "Jane@Example.com"})
	e.createCustomer(t, "c2", map[string]any{"contactEmail": "other@example.com"})
	e.createCustomer(t, "gone", map[string]any{"contactEmail": "gone@example.com"})
	e.must(t, http.StatusAccepted, req{method: "DELETE", path: "/customers/gone"})
	addr := e.addAddress(t, "c1", map[string]any{"contactName": "X", "id": "addr-1"})
	if addr != "addr-1" {
		t.Fatalf("custom address id = %q", addr)
	}
	dup := func(email string) string {
		return `{"type":"conflict_resource","status":409,"message":"Duplicate account '` + email + `' for tenant 'demo'."}`
	}
	tests := []struct {
		name string
		r    req
		body string // exact body, or "" to check status only
	}{
		{"POST duplicate e-mail, other case", req{method: "POST", path: "/customers", body: map[string]any{"contactEmail": "jane@example.COM"}}, dup("jane@example.COM")},
		{"PUT create duplicate e-mail", req{method: "PUT", path: "/customers/c3", body: map[string]any{"contactEmail": "JANE@example.com"}}, dup("JANE@example.com")},
		{"PUT update to taken e-mail", req{method: "PUT", path: "/customers/c2", body: map[string]any{"contactEmail": "jane@example.com"}}, dup("jane@example.com")},
		{"POST id in use", req{method: "POST", path: "/customers", body: map[string]any{"id": "c1", "contactEmail": "new@example.com"}}, ""},
		{"POST id of deleted customer", req{method: "POST", path: "/customers", body: map[string]any{"id": "gone", "contactEmail": "new@example.com"}}, ""},
		{"PUT id of deleted customer", req{method: "PUT", path: "/customers/gone", body: map[string]any{"contactEmail": "new@example.com"}}, ""},
		{"address id in use", req{method: "POST", path: "/customers/c2/addresses", body: map[string]any{"contactName": "Y", "id": "addr-1"}}, ""},
		{"version mismatch", req{method: "PUT", path: "/customers/c1", body: map[string]any{"firstName": "J", "metadata": map[string]any{"version": 99}}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := e.must(t, http.StatusConflict, tt.r)
			if tt.body != "" {
				jsonEq(t, res.body, tt.body)
			}
		})
	}
	// The PATCH and the address PUT document no 409: their conflicts are 400s.
	res := e.must(t, http.StatusBadRequest, req{method: "PATCH", path: "/customers/c2", body: map[string]any{"contactEmail": "jane@example.com"}})
	jsonEq(t, res.body, `{"type":"conflict_resource","status":400,"message":"Duplicate account 'jane@example.com' for tenant 'demo'."}`)
	e.must(t, http.StatusBadRequest, req{method: "PUT", path: "/customers/c2/addresses/addr-1", body: map[string]any{"contactName": "Y"}})
	e.must(t, http.StatusBadRequest, req{method: "PATCH", path: "/customers/c1/addresses/addr-1", body: map[string]any{"city": "X", "metadata": map[string]any{"version": 99}}})
	if st := e.srv.State(); len(st.Customers) != 2 || st.Customers[1].ContactEmail != "other@example.com" {
		t.Errorf("conflicting writes changed state: %+v", st.Customers)
	}
}

func TestVersion(t *testing.T) {
	e := newEnv(t, Config{})
	e.createCustomer(t, "c1", map[string]any{"contactEmail": "c1@example.com"})
	get := func() map[string]any { return e.must(t, 200, req{method: "GET", path: "/customers/c1"}).jsonMap(t) }
	v := get()["metadata"].(map[string]any)["version"].(float64)
	e.must(t, http.StatusNoContent, req{method: "PUT", path: "/customers/c1", body: map[string]any{"firstName": "A", "metadata": map[string]any{"version": v}}})
	e.must(t, http.StatusBadRequest, req{method: "PATCH", path: "/customers/c1", body: map[string]any{"firstName": "B", "metadata": map[string]any{"version": v}}})
	e.must(t, http.StatusOK, req{method: "PATCH", path: "/customers/c1", body: map[string]any{"firstName": "B", "metadata": map[string]any{"version": v + 1}}})
	c := get()
	if c["firstName"] != "B" || c["metadata"].(map[string]any)["version"] != v+2 {
		t.Errorf("customer = %v", c)
	}
}

func TestValidation(t *testing.T) {
	e := newEnv(t, Config{})
	e.createCustomer(t, "c1", map[string]any{"contactEmail": "c1@example.com"})
	addr := e.addAddress(t, "c1", map[string]any{"contactName": "X"})
	tests := []struct {
		name  string
		r     req
		field string // expected details[].field, "" = none checked
	}{
		{"unknown customer field", req{method: "POST", path: "/customers", body: map[string]any{"contactEmail": "n@example.com", "nickname": "x"}}, "nickname"},
		{"read-only field on PUT", req{method: "PUT", path: "/customers/c1", body: map[string]any{"customerNumber": "c1"}}, "customerNumber"},
		{"id not in update DTO", req{method: "PATCH", path: "/customers/c1", body: map[string]any{"id": "c1"}}, "id"},
		{"active not in merge-patch DTO", req{method: "PATCH", path: "/customers/c1", body: map[string]any{"active": true}, ctype: "application/merge-patch+json"}, "active"},
		{"unknown nested field", req{method: "PUT", path: "/customers/c1", body: map[string]any{"b2b": map[string]any{"legalEntities": []any{}}}}, "b2b.legalEntities"},
		{"invalid JSON", req{method: "POST", path: "/customers", body: `{"contactEmail":`}, ""},
		{"JSON array", req{method: "POST", path: "/customers", body: `[]`}, ""},
		{"currency length", req{method: "POST", path: "/customers", body: map[string]any{"contactEmail": "n@example.com", "preferredCurrency": "EURO"}}, "preferredCurrency"},
		{"currency empty (minLength 3)", req{method: "PATCH", path: "/customers/c1", body: map[string]any{"preferredCurrency": ""}}, "preferredCurrency"},
		{"country empty (minLength 2)", req{method: "POST", path: "/customers/c1/addresses", body: map[string]any{"contactName": "X", "country": ""}}, "country"},
		{"country empty on PATCH", req{method: "PATCH", path: "/customers/c1/addresses/" + addr, body: map[string]any{"country": ""}}, "country"},
		{"currency unknown", req{method: "PATCH", path: "/customers/c1", body: map[string]any{"preferredCurrency": "XYZ"}}, "preferredCurrency"},
		{"contactEmail missing", req{method: "POST", path: "/customers", body: map[string]any{"firstName": "x"}}, "contactEmail"},
		{"contactEmail missing on PUT create", req{method: "PUT", path: "/customers/c9", body: map[string]any{"firstName": "x"}}, "contactEmail"},
		{"contactEmail syntax", req{method: "POST", path: "/customers", body: map[string]any{"contactEmail": "not-an-email"}}, "contactEmail"},
		{"contactEmail cannot be unset", req{method: "PATCH", path: "/customers/c1", body: map[string]any{"contactEmail": nil}}, "contactEmail"},
		{"id pattern", req{method: "POST", path: "/customers", body: map[string]any{"id": "a b", "contactEmail": "n@example.com"}}, "id"},
		{"wrong type", req{method: "PATCH", path: "/customers/c1", body: map[string]any{"active": "yes"}}, "active"},
		{"b2b needs names", req{method: "PATCH", path: "/customers/c1", body: map[string]any{"b2b": map[string]any{"companyRegistrationId": "X1"}}}, "company"},
		{"country lower case", req{method: "POST", path: "/customers/c1/addresses", body: map[string]any{"contactName": "X", "country": "de"}}, "country"},
		{"country not ISO", req{method: "POST", path: "/customers/c1/addresses", body: map[string]any{"contactName": "X", "country": "UK"}}, "country"},
		{"contactName required", req{method: "POST", path: "/customers/c1/addresses", body: map[string]any{"city": "Berlin"}}, "contactName"},
		{"contactName required on PUT create", req{method: "PUT", path: "/customers/c1/addresses/new1", body: map[string]any{"city": "Berlin"}}, "contactName"},
		{"unknown address field", req{method: "PATCH", path: "/customers/c1/addresses/" + addr, body: map[string]any{"zip": "1"}}, "zip"},
		{"tags missing", req{method: "POST", path: "/customers/c1/addresses/" + addr + "/tags"}, "tags"},
		{"tags empty on delete", req{method: "DELETE", path: "/customers/c1/addresses/" + addr + "/tags?tags=,"}, "tags"},
		{"pageNumber without pageSize", req{method: "GET", path: "/customers?pageNumber=2"}, ""},
		{"pageSize zero", req{method: "GET", path: "/customers?pageSize=0"}, ""},
		{"bad expand", req{method: "GET", path: "/customers/c1?expand=orders"}, ""},
		{"bad sort field", req{method: "GET", path: "/customers?sort=shoeSize"}, ""},
		{"bad sendPasswordResetNotifications", req{method: "POST", path: "/customers?sendPasswordResetNotifications=maybe", body: map[string]any{"contactEmail": "n@example.com"}}, ""},
	}
	before := e.srv.State()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := e.do(t, e.loose, tt.r)
			if res.status != http.StatusBadRequest {
				t.Fatalf("status %d, want 400: %s", res.status, res.body)
			}
			var em errorMessage
			res.decode(t, &em)
			if em.Status != 400 || em.Type == "" || em.Message == "" {
				t.Errorf("error body %s", res.body)
			}
			if tt.field != "" && !slices.ContainsFunc(em.Details, func(d errorDetail) bool { return d.Field == tt.field }) {
				t.Errorf("details %+v do not name %q", em.Details, tt.field)
			}
		})
	}
	after := e.srv.State()
	if b1, b2 := mustJSON(t, before), mustJSON(t, after); b1 != b2 {
		t.Errorf("rejected requests changed state:\n%s\n%s", b1, b2)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestPatchSemantics(t *testing.T) {
	e := newEnv(t, Config{})
	e.createCustomer(t, "c1", map[string]any{"contactEmail": "c1@example.com", "firstName": "A", "company": "ACME",
		"mixins": map[string]any{"loyalty": map[string]any{"level": "gold", "points": 3}}})
	// strict: string properties are not nullable, even in a merge patch.
	e.do(t, e.loose, req{method: "PATCH", path: "/customers/c1", ctype: "application/merge-patch+json",
		body: map[string]any{"company": nil}})
	if c := e.must(t, 200, req{method: "GET", path: "/customers/c1"}).jsonMap(t); c["company"] != "ACME" {
		t.Errorf("a rejected null patch changed company: %v", c)
	}
	// "" clears; mixins (free-form objects) merge with RFC 7386 null removal.
	e.do(t, e.loose, req{method: "PATCH", path: "/customers/c1", ctype: "application/merge-patch+json",
		body: map[string]any{"company": "", "lastName": "B", "mixins": map[string]any{"loyalty": map[string]any{"points": nil}}}})
	c := e.must(t, 200, req{method: "GET", path: "/customers/c1?expand=mixin:*"}).jsonMap(t)
	if _, ok := c["company"]; ok {
		t.Errorf("company not removed: %v", c)
	}
	if c["firstName"] != "A" || c["lastName"] != "B" {
		t.Errorf("names = %v %v", c["firstName"], c["lastName"])
	}
	if b, _ := json.Marshal(c["mixins"]); string(b) != `{"loyalty":{"level":"gold"}}` {
		t.Errorf("mixins = %s", b)
	}
	// PUT keeps omitted fields (the tutorial relies on it) and clears fields sent as "".
	e.do(t, e.loose, req{method: "PUT", path: "/customers/c1", body: map[string]any{"firstName": "", "title": "DR"}})
	c = e.must(t, 200, req{method: "GET", path: "/customers/c1"}).jsonMap(t)
	if _, ok := c["firstName"]; ok || c["lastName"] != "B" || c["title"] != "DR" {
		t.Errorf("after PUT: %v", c)
	}
	if _, ok := c["mixins"]; ok {
		t.Errorf("mixins returned without expand=mixin:*")
	}
}

func TestAddresses(t *testing.T) {
	e := newEnv(t, Config{})
	e.createCustomer(t, "c1", map[string]any{"contactEmail": "c1@example.com"})
	a1 := e.addAddress(t, "c1", map[string]any{"contactName": "A", "isDefault": true, "tags": []string{"BILLING", "BILLING"}})
	a2 := e.addAddress(t, "c1", map[string]any{"contactName": "B", "isDefault": true})
	list := func() []map[string]any {
		var out []map[string]any
		e.must(t, 200, req{method: "GET", path: "/customers/c1/addresses"}).decode(t, &out)
		return out
	}
	l := list()
	if len(l) != 2 || l[0]["isDefault"] != false || l[1]["isDefault"] != true {
		t.Fatalf("only the newest default should remain: %v", l)
	}
	if b, _ := json.Marshal(l[0]["tags"]); string(b) != `["BILLING"]` {
		t.Errorf("tags not deduplicated: %s", b)
	}
	c := e.must(t, 200, req{method: "GET", path: "/customers/c1"}).jsonMap(t)
	if c["defaultAddress"].(map[string]any)["id"] != a2 {
		t.Errorf("defaultAddress = %v", c["defaultAddress"])
	}
	// Tag set semantics.
	e.must(t, 204, req{method: "POST", path: "/customers/c1/addresses/" + a1 + "/tags?tags=BILLING,SHIPPING"})
	e.must(t, 204, req{method: "DELETE", path: "/customers/c1/addresses/" + a1 + "/tags?tags=BILLING,UNKNOWN"})
	got := e.must(t, 200, req{method: "GET", path: "/customers/c1/addresses/" + a1}).jsonMap(t)
	if b, _ := json.Marshal(got["tags"]); string(b) != `["SHIPPING"]` {
		t.Errorf("tags = %s", b)
	}
	// PUT upsert: 204 on update (replaces), 201 on create.
	e.must(t, 204, req{method: "PUT", path: "/customers/c1/addresses/" + a1, body: map[string]any{"contactName": "A2", "city": "Köln"}})
	got = e.must(t, 200, req{method: "GET", path: "/customers/c1/addresses/" + a1}).jsonMap(t)
	if got["contactName"] != "A2" || got["city"] != "Köln" || len(got["tags"].([]any)) != 0 {
		t.Errorf("after PUT: %v", got)
	}
	res := e.must(t, 201, req{method: "PUT", path: "/customers/c1/addresses/my-addr", body: map[string]any{"contactName": "C"}})
	jsonEq(t, res.body, `{"id":"my-addr"}`)
	e.must(t, 200, req{method: "PATCH", path: "/customers/c1/addresses/my-addr", body: map[string]any{"zipCode": "50667"}})
	e.must(t, 204, req{method: "DELETE", path: "/customers/c1/addresses/" + a2})
	if l := list(); len(l) != 2 {
		t.Errorf("after delete: %v", l)
	}
	if c := e.must(t, 200, req{method: "GET", path: "/customers/c1"}).jsonMap(t); c["defaultAddress"] != nil {
		t.Errorf("defaultAddress survived the delete: %v", c["defaultAddress"])
	}
}

func TestDeleteCustomer(t *testing.T) {
	e := newEnv(t, Config{})
	e.createCustomer(t, "c1", map[string]any{"contactEmail": "c1@example.com"})
	e.must(t, http.StatusAccepted, req{method: "DELETE", path: "/customers/c1"})
	e.must(t, http.StatusNotFound, req{method: "GET", path: "/customers/c1"})
	// The e-mail is free again, the number is not.
	e.createCustomer(t, "c2", map[string]any{"contactEmail": "c1@example.com"})
	if st := e.srv.State(); !slices.Equal(st.Deleted, []string{"c1"}) {
		t.Errorf("Deleted = %v", st.Deleted)
	}
}

func TestListAndSearch(t *testing.T) {
	e := newEnv(t, Config{})
	people := []map[string]any{
		{"contactEmail": "ann@example.com", "firstName": "Ann", "lastName": "Lee", "company": "ACME Corp"},
		{"contactEmail": "bob+x@example.com", "firstName": "Bob", "lastName": "Lee"},
		{"contactEmail": "cid@example.com", "firstName": "Cid", "lastName": "Moe", "company": "ACME Corp"},
	}
	for i, p := range people {
		e.createCustomer(t, "n"+string(rune('1'+i)), p)
	}
	tests := []struct {
		q    string
		want string // comma-joined ids
	}{
		{`contactEmail:ann@example.com`, "n1"},
		{`contactEmail:"bob+x@example.com"`, "n2"},
		{`contactEmail:ANN@example.com`, ""}, // case-sensitive
		{`lastName:Lee`, "n1,n2"},
		{`lastName:Lee firstName:Bob`, "n2"},
		{`id:(n1,n3)`, "n1,n3"},
		{`customerNumber:(n1 OR n2)`, "n1,n2"},
		{`company:"ACME Corp"`, "n1,n3"},
		{`company:missing`, "n2"},
		{`company:exists lastName:Moe`, "n3"},
		{`firstName:"A\"nn"`, ""},
		{`lastName:~^L`, "n1,n2"},
		{`lastName:~e`, "n1,n2,n3"},
		{`company:(~ACME C)`, "n1,n3"},
		{`contactEmail:~(^(ann|cid)@)`, "n1,n3"},
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			for _, search := range []bool{false, true} {
				var res result
				if search {
					res = e.must(t, 200, req{method: "POST", path: "/customers/search", body: map[string]any{"q": tt.q}})
				} else {
					res = e.must(t, 200, req{method: "GET", path: "/customers?q=" + url.QueryEscape(tt.q)})
				}
				var got []struct{ ID string }
				res.decode(t, &got)
				ids := make([]string, len(got))
				for i, c := range got {
					ids[i] = c.ID
				}
				if strings.Join(ids, ",") != tt.want {
					t.Errorf("search=%v: got %v, want %s", search, ids, tt.want)
				}
				if n := len(ids); res.header.Get("Count") != strconv.Itoa(n) || res.header.Get("hybris-count") != strconv.Itoa(n) {
					t.Errorf("Count %q hybris-count %q, want %d", res.header.Get("Count"), res.header.Get("hybris-count"), n)
				}
			}
		})
	}
	for _, bad := range []string{`nosuchfield:x`, `lastName`, `lastName:`, `lastName:(Lee`, `lastName:"Lee`, `lastName:~(L`, `lastName:~*`, `a:b:c:(`, `lastName:Lee)`} {
		res := e.do(t, e.loose, req{method: "GET", path: "/customers?q=" + url.QueryEscape(bad)})
		if res.status != 400 {
			t.Errorf("q=%s: status %d, want 400", bad, res.status)
		}
	}
	// Paging: Count is the total, the page is the slice.
	res := e.must(t, 200, req{method: "GET", path: "/customers?pageNumber=2&pageSize=2&sort=firstName:DESC"})
	var page []struct{ ID string }
	res.decode(t, &page)
	if len(page) != 1 || page[0].ID != "n1" || res.header.Get("Count") != "3" {
		t.Errorf("page 2 = %v, Count %s", page, res.header.Get("Count"))
	}
	res = e.must(t, 200, req{method: "GET", path: "/customers?expand=addresses"})
	var all []map[string]any
	res.decode(t, &all)
	if len(all) != 3 || all[0]["id"] != "n1" || all[0]["addresses"] == nil {
		t.Errorf("default list = %v", all)
	}
}

func TestConcurrentCreates(t *testing.T) {
	e := newEnv(t, Config{Latency: time.Millisecond})
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e.do(t, e.client, req{method: "POST", path: "/customers", body: map[string]any{"contactEmail": "dup@example.com"}})
			e.do(t, e.client, req{method: "POST", path: "/customers", body: map[string]any{"contactEmail": "u" + strconv.Itoa(i) + "@example.com"}})
		}()
	}
	wg.Wait()
	st := e.srv.State()
	if len(st.Customers) != 21 {
		t.Errorf("customers = %d, want 21 (one dup winner + 20 unique)", len(st.Customers))
	}
}
