package emulator

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/emporix-import/emporix-import/internal/apispec"
)

// prefix mounts the API below a path, as the conventions ask (catches absolute-URL bugs).
const prefix = "/emporix"

// env is one emulator behind validating clients. Its helpers take the
// calling test's t, so that a failure inside a subtest fails that subtest.
type env struct {
	srv    *Server
	base   string       // server URL + prefix
	client *http.Client // validates requests and responses
	loose  *http.Client // validates responses only (for deliberately bad requests)
	token  string
}

func newEnv(t *testing.T, cfg Config) *env {
	t.Helper()
	v := apispec.Load(t)
	srv := New(cfg)
	mux := http.NewServeMux()
	mux.Handle(prefix+"/", http.StripPrefix(prefix, srv))
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	e := &env{
		srv:    srv,
		base:   hs.URL + prefix,
		client: &http.Client{Transport: v.Transport(t, hs.Client().Transport)},
		loose:  &http.Client{Transport: v.TransportMode(t, hs.Client().Transport, apispec.ResponsesOnly)},
	}
	e.token = e.getToken(t, "")
	return e
}

func (e *env) getToken(t testing.TB, scope string) string {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {"demo-client"}, "client_secret": {"demo-secret"}}
	if scope != "" {
		form.Set("scope", scope)
	}
	res := e.form(t, e.client, form, nil)
	if res.status != http.StatusOK {
		t.Fatalf("token: %d %s", res.status, res.body)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	res.decode(t, &tok)
	return tok.AccessToken
}

func (e *env) form(t testing.TB, c *http.Client, form url.Values, edit func(*http.Request)) result {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.base+"/oauth/token", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if edit != nil {
		edit(req)
	}
	return e.send(t, c, req)
}

type result struct {
	status int
	header http.Header
	body   []byte
}

func (r result) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

func (r result) jsonMap(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	r.decode(t, &m)
	return m
}

// req is one API call; path is relative to /customer/demo unless it starts with /customer/ or /oauth.
type req struct {
	method, path string
	body         any    // marshalled as JSON unless a string (sent verbatim)
	ctype        string // default application/json when there is a body
	token        *string
}

func (e *env) do(t testing.TB, c *http.Client, r req) result {
	t.Helper()
	path := r.path
	if !strings.HasPrefix(path, "/customer/") {
		path = "/customer/demo" + path
	}
	var body io.Reader
	switch b := r.body.(type) {
	case nil:
	case string:
		body = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		body = bytes.NewReader(data)
	}
	hr, err := http.NewRequest(r.method, e.base+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		ct := r.ctype
		if ct == "" {
			ct = "application/json"
		}
		hr.Header.Set("Content-Type", ct)
	}
	tok := e.token
	if r.token != nil {
		tok = *r.token
	}
	if tok != "" {
		hr.Header.Set("Authorization", "Bearer "+tok)
	}
	return e.send(t, c, hr)
}

func (e *env) send(t testing.TB, c *http.Client, hr *http.Request) result {
	t.Helper()
	resp, err := c.Do(hr)
	if err != nil {
		t.Fatalf("%s %s: %v", hr.Method, hr.URL, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return result{status: resp.StatusCode, header: resp.Header, body: data}
}

// must runs r with the validating client and fails unless the status is want.
func (e *env) must(t testing.TB, want int, r req) result {
	t.Helper()
	res := e.do(t, e.client, r)
	if res.status != want {
		t.Fatalf("%s %s: status %d, want %d; body %s", r.method, r.path, res.status, want, res.body)
	}
	return res
}

// createCustomer creates a customer via PUT and returns its number.
func (e *env) createCustomer(t testing.TB, n string, fields map[string]any) string {
	t.Helper()
	res := e.must(t, http.StatusCreated, req{method: http.MethodPut, path: "/customers/" + n, body: fields})
	var out struct{ ID string }
	res.decode(t, &out)
	return out.ID
}

func (e *env) addAddress(t testing.TB, n string, fields map[string]any) string {
	t.Helper()
	res := e.must(t, http.StatusCreated, req{method: http.MethodPost, path: "/customers/" + n + "/addresses", body: fields})
	var out struct{ ID string }
	res.decode(t, &out)
	return out.ID
}

func ptr[T any](v T) *T { return &v }

// jsonEq compares a body with an expected JSON document semantically.
func jsonEq(t testing.TB, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("body %q is not JSON: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad expectation %q: %v", want, err)
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	if !bytes.Equal(gb, wb) {
		t.Errorf("body\n got  %s\n want %s", gb, wb)
	}
}
