package apispec

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"go.yaml.in/yaml/v3"
)

// recorder is a testing.TB that records Errorf calls instead of failing.
type recorder struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

// canned answers with a fixed status, body and headers.
func canned(status int, body string, header ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		if body != "" && w.Header().Get("Content-Type") == "" {
			w.Header().Set("Content-Type", "application/json")
		}
		w.WriteHeader(status)
		fmt.Fprint(w, body)
	}
}

const errBody429 = `{"status":429,"type":"too_many_requests","message":"Too many requests."}`

func TestTransport(t *testing.T) {
	v := Load(t)
	tests := []struct {
		name, method, path, ctype, body string
		mode                            Mode
		answer                          http.HandlerFunc
		wantErr                         string // substring of the recorded error, "" = none
	}{
		{"valid GET", "GET", "/customer/demo/customers/good", "", "", Both,
			canned(200, `{"id":"good","customerNumber":"good","active":true}`), ""},
		{"invalid response body", "GET", "/customer/demo/customers/bad", "", "", Both,
			canned(200, `{"id":"bad","active":"yes"}`), "response 200"},
		{"multi-char custom id accepted (generator fix)", "POST", "/customer/demo/customers", "application/json",
			`{"id":"C-1","contactEmail":"a@b.co"}`, Both, canned(201, `{"id":"C-1"}`), ""},
		{"invalid custom id", "POST", "/customer/demo/customers", "application/json", `{"id":"a b"}`, Both,
			canned(201, `{"id":"x"}`), "request POST"},
		{"wrong body type", "POST", "/customer/demo/customers", "application/json", `{"firstName":7}`, Both,
			canned(201, `{"id":"x"}`), "request POST"},
		{"currency too short", "PATCH", "/customer/demo/customers/c1", "application/json", `{"preferredCurrency":""}`, Both,
			canned(200, ""), "request PATCH"},
		{"unknown path", "GET", "/customer/demo/orders", "", "", Both, canned(404, `{}`), "no route"},
		{"token response checked against the oauth spec", "POST", "/oauth/token", "application/x-www-form-urlencoded",
			"grant_type=client_credentials", Both, canned(200, `{"access_token":"t","expires_in":"soon"}`), "response 200"},

		// Statuses.
		{"undocumented status fails", "PATCH", "/customer/demo/customers/c1", "application/json", `{"firstName":"x"}`, Both,
			canned(409, `{"status":409,"type":"conflict_resource","message":"x"}`), "status 409 is not documented for PATCH-customer-tenant-update-customer"},
		{"undocumented success status fails", "DELETE", "/customer/demo/customers/c1", "", "", Both,
			canned(204, ""), "status 204 is not documented"},
		{"allow-listed 429", "GET", "/customer/demo/customers", "", "", Both, canned(429, errBody429, "Retry-After", "1"), ""},
		{"allow-listed 429 needs an ErrorMessage", "GET", "/customer/demo/customers", "", "", Both,
			canned(429, `{"fault":{}}`), "not an ErrorMessage"},
		{"allow-listed status must match the body's", "GET", "/customer/demo/customers", "", "", Both,
			canned(429, `{"status":503,"type":"x_y","message":"m"}`), "ErrorMessage.status"},
		{"415 only where a JSON body is taken", "POST", "/customer/demo/customers/c1/addresses/a1/tags?tags=A", "", "", Both,
			canned(415, `{"status":415,"type":"unsupported_media_type","message":"m"}`), "status 415 is not documented"},
		{"body where none is documented", "GET", "/customer/demo/customers/c1/addresses", "", "", Both,
			canned(404, `{"status":404,"type":"not_found","message":"m"}`), "documented without a body"},
		{"404 without body where none is documented", "GET", "/customer/demo/customers/c1/addresses", "", "", Both,
			canned(404, ""), ""},
		{"token error as RFC 6749", "POST", "/oauth/token", "application/x-www-form-urlencoded", "grant_type=password", Both,
			canned(400, `{"error":"unsupported_grant_type"}`), ""},
		{"token error in another shape", "POST", "/oauth/token", "application/x-www-form-urlencoded", "grant_type=password", Both,
			canned(400, `{"status":400}`), "RFC 6749"},
		{"unknown path, responses only: 404 ErrorMessage", "GET", "/customer/demo/orders", "", "", ResponsesOnly,
			canned(404, `{"status":404,"type":"not_found","message":"m"}`), ""},
		{"known path, other method: 405 with Allow", "PUT", "/customer/demo/customers", "", "", ResponsesOnly,
			canned(405, `{"status":405,"type":"method_not_allowed","message":"m"}`, "Allow", "GET, POST"), ""},
		{"405 without Allow", "PUT", "/customer/demo/customers", "", "", ResponsesOnly,
			canned(405, `{"status":405,"type":"method_not_allowed","message":"m"}`), "Allow"},
		{"unknown path answered 200", "GET", "/customer/demo/orders", "", "", ResponsesOnly, canned(200, `[]`), "no operation"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := httptest.NewServer(tt.answer)
			defer hs.Close()
			rec := &recorder{TB: t}
			c := &http.Client{Transport: v.TransportMode(rec, hs.Client().Transport, tt.mode)}
			req, err := http.NewRequest(tt.method, hs.URL+"/x"+tt.path, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if tt.ctype != "" {
				req.Header.Set("Content-Type", tt.ctype)
			}
			req.Header.Set("Authorization", "Bearer t")
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			got := strings.Join(rec.errs, "\n")
			switch {
			case tt.wantErr == "" && got != "":
				t.Errorf("unexpected validation errors:\n%s", got)
			case tt.wantErr != "" && !strings.Contains(got, tt.wantErr):
				t.Errorf("errors %q do not mention %q", got, tt.wantErr)
			}
		})
	}
}

func TestResponsesOnly(t *testing.T) {
	v := Load(t)
	hs := httptest.NewServer(canned(http.StatusCreated, `{"id":"x"}`))
	defer hs.Close()
	rec := &recorder{TB: t}
	c := &http.Client{Transport: v.TransportMode(rec, nil, ResponsesOnly)}
	resp, err := c.Post(hs.URL+"/customer/demo/customers", "application/json", strings.NewReader(`{"id":"a b"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if len(rec.errs) != 0 {
		t.Errorf("ResponsesOnly reported request errors: %v", rec.errs)
	}
}

func TestAllowList(t *testing.T) {
	v := Load(t)
	for _, a := range allowList {
		if a.why == "" || a.body == "" {
			t.Errorf("allow-list entry %d has no reason or body kind", a.status)
		}
	}
	// Every customer operation may be throttled; only body-taking ones get 415.
	if _, ok := v.Allowed("GET-customer-tenant-list-customers")[429]; !ok {
		t.Error("429 not allowed on the customer list")
	}
	if _, ok := v.Allowed("POST-customer-tenant-add-address-tags")[415]; ok {
		t.Error("415 allowed on the tag POST, which takes no body")
	}
	if _, ok := v.Allowed("PATCH-customer-tenant-update-customer")[409]; ok {
		t.Error("409 allowed on the customer PATCH")
	}
}

// TestCopyIsFactsOnly walks the embedded copy: no prose keys (responses keep
// the empty description OpenAPI requires), and the generator's fixes applied.
func TestCopyIsFactsOnly(t *testing.T) {
	for name, data := range map[string][]byte{"customer": customerSpec, "oauth": oauthSpec} {
		var root yaml.Node
		if err := yaml.Unmarshal(data, &root); err != nil {
			t.Fatal(err)
		}
		var walk func(n *yaml.Node, parentKey string)
		walk = func(n *yaml.Node, parentKey string) {
			for i := 0; n.Kind == yaml.MappingNode && i+1 < len(n.Content); i += 2 {
				k, val := n.Content[i].Value, n.Content[i+1]
				switch {
				case parentKey == "properties":
				case k == "summary" || k == "example" || k == "examples" || k == "tags" && parentKey != "parameters":
					t.Errorf("%s: prose key %q kept", name, k)
				case k == "description" && val.Value != "":
					t.Errorf("%s: description %q kept", name, val.Value)
				}
				walk(val, k)
			}
			for _, c := range n.Content {
				if n.Kind != yaml.MappingNode {
					walk(c, parentKey)
				}
			}
		}
		walk(&root, "")
	}
	doc := Load(t).CustomerDoc()
	signup := doc.Components.Schemas["CustomerSignupBySellerDto"].Value
	if got := signup.AllOf[1].Value.Properties["id"].Value.Pattern; got != `^[\w-]{1,66}$` {
		t.Errorf("id pattern = %q", got)
	}
	tagPost := doc.Paths.Value("/customer/{tenant}/customers/{customerNumber}/addresses/{addressId}/tags").Post
	if tagPost.Security == nil || len(*tagPost.Security) != 1 {
		t.Errorf("tag POST security = %v", tagPost.Security)
	}
}
