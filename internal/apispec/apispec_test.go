package apispec

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
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

func TestTransport(t *testing.T) {
	v := Load(t)
	// A fake API mounted under a prefix answering canned bodies.
	mux := http.NewServeMux()
	mux.HandleFunc("/x/customer/demo/customers/good", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"id":"good","customerNumber":"good","active":true}`)
	})
	mux.HandleFunc("/x/customer/demo/customers/bad", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"id":"bad","active":"yes"}`)
	})
	mux.HandleFunc("/x/customer/demo/customers", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		fmt.Fprint(w, `{"id":"C-1"}`)
	})
	mux.HandleFunc("/x/oauth/token", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"access_token":"t","token_type":"Bearer","expires_in":"soon"}`)
	})
	hs := httptest.NewServer(mux)
	defer hs.Close()

	tests := []struct {
		name, method, path, ctype, body string
		wantErr                         string // substring of the recorded error, "" = none
	}{
		{"valid GET", "GET", "/customer/demo/customers/good", "", "", ""},
		{"invalid response body", "GET", "/customer/demo/customers/bad", "", "", "response 200"},
		{"multi-char custom id accepted (§12 fix)", "POST", "/customer/demo/customers", "application/json", `{"id":"C-1","contactEmail":"a@b.co"}`, ""},
		{"invalid custom id", "POST", "/customer/demo/customers", "application/json", `{"id":"a b"}`, "request POST"},
		{"wrong body type", "POST", "/customer/demo/customers", "application/json", `{"firstName":7}`, "request POST"},
		{"unknown path", "GET", "/customer/demo/orders", "", "", "no route"},
		{"token response checked against oauth spec", "POST", "/oauth/token", "application/x-www-form-urlencoded", "grant_type=client_credentials", "response 200"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{TB: t}
			c := &http.Client{Transport: v.Transport(rec, hs.Client().Transport)}
			var body *strings.Reader
			if tt.body != "" {
				body = strings.NewReader(tt.body)
			} else {
				body = strings.NewReader("")
			}
			req, err := http.NewRequest(tt.method, hs.URL+"/x"+tt.path, body)
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
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		fmt.Fprint(w, `{"id":"x"}`)
	}))
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
