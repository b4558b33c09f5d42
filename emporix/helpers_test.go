package emporix

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const (
	testPrefix = "/prefix"
	testTenant = "tnt"
	testID     = "my-client"
	testSecret = "s3cr3t-VALUE-do-not-leak"
)

// testAPI is an httptest server with the token endpoint and the customer API
// mounted under testPrefix. Tokens are "tok-1", "tok-2", ...
type testAPI struct {
	t          testing.TB
	srv        *httptest.Server
	tokenCalls atomic.Int32
	apiCalls   atomic.Int32
	// token answers the token endpoint; nil = issue the next token.
	token func(w http.ResponseWriter, r *http.Request)
	mu    sync.Mutex
	// api answers API requests (path relative to /customer/<tenant>).
	api  func(w http.ResponseWriter, r *http.Request, path string, n int)
	seen []*seenReq
}

type seenReq struct {
	method, path, rawQuery, contentType, auth, body string
}

func newTestAPI(t testing.TB, api func(w http.ResponseWriter, r *http.Request, path string, n int)) *testAPI {
	t.Helper()
	ta := &testAPI{t: t, api: api}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+testPrefix+"/oauth/token", func(w http.ResponseWriter, r *http.Request) {
		n := ta.tokenCalls.Add(1)
		if ta.token != nil {
			ta.token(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":"tok-%d","token_type":"Bearer","expires_in":14399,"refresh_token":"","refresh_token_expires_in":0,"scope":"customer.customer_read tenant=tnt"}`, n)
	})
	base := testPrefix + "/customer/" + testTenant
	mux.HandleFunc(base+"/", func(w http.ResponseWriter, r *http.Request) {
		n := int(ta.apiCalls.Add(1))
		b, _ := io.ReadAll(r.Body)
		path := strings.TrimPrefix(r.URL.EscapedPath(), base)
		ta.mu.Lock()
		ta.seen = append(ta.seen, &seenReq{r.Method, path, r.URL.RawQuery, r.Header.Get("Content-Type"), r.Header.Get("Authorization"), string(b)})
		ta.mu.Unlock()
		r.Body = io.NopCloser(strings.NewReader(string(b)))
		ta.api(w, r, path, n)
	})
	ta.srv = httptest.NewServer(mux)
	t.Cleanup(ta.srv.Close)
	return ta
}

func (ta *testAPI) last() *seenReq {
	ta.mu.Lock()
	defer ta.mu.Unlock()
	if len(ta.seen) == 0 {
		ta.t.Fatal("no API request seen")
	}
	return ta.seen[len(ta.seen)-1]
}

// client returns a Client for ta with tiny backoff delays.
func (ta *testAPI) client(mod ...func(*Config)) *Client {
	ta.t.Helper()
	cfg := Config{
		BaseURL:      ta.srv.URL + testPrefix,
		Tenant:       testTenant,
		ClientID:     testID,
		ClientSecret: testSecret,
		HTTPClient:   ta.srv.Client(),
		MaxRetries:   DefaultMaxRetries,
		RetryInitial: time.Microsecond,
		RetryMax:     time.Millisecond,
	}
	for _, m := range mod {
		m(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		ta.t.Fatalf("New: %v", err)
	}
	c.raUnit = time.Millisecond // Retry-After: 1 waits 1 ms
	return c
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, body)
}

// dropConn closes the connection without answering (the request was
// received, the response is lost).
func dropConn(t *testing.T, w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		t.Fatal("hijack unsupported")
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		t.Fatal(err)
	}
	conn.Close()
}

func ctxT(t *testing.T) context.Context {
	if t == nil {
		return context.Background()
	}
	return t.Context()
}
