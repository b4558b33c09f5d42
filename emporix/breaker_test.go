package emporix

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// hangUntilDone answers nothing until the client gives up on the request.
func hangUntilDone(_ http.ResponseWriter, r *http.Request, _ string, _ int) { <-r.Context().Done() }

// A server that accepts and never answers costs a response-header timeout
// per attempt, and after BreakerFailures of them the client stops calling it.
func TestBreakerOpensOnDeadServer(t *testing.T) {
	ta := newTestAPI(t, hangUntilDone)
	c := ta.client(func(c *Config) {
		c.HTTPClient = nil // the default transport, with the client's timeouts
		c.ResponseHeaderTimeout = 20 * time.Millisecond
		c.BreakerFailures, c.BreakerSpan = 3, time.Nanosecond
	})
	_, err := c.GetCustomer(ctxT(t), "C1")
	if !errors.Is(err, ErrServerUnreachable) || !strings.Contains(err.Error(), "3 consecutive attempts") {
		t.Fatalf("err = %v, want ErrServerUnreachable after 3 attempts", err)
	}
	if n := ta.apiCalls.Load(); n != 3 {
		t.Errorf("server saw %d requests, want 3 (MaxRetries is %d)", n, DefaultMaxRetries)
	}
	// Open: every further call fails at once, without a request.
	start := time.Now()
	if _, err := c.CreateCustomer(ctxT(t), &Customer{CustomerNumber: "C2"}, false); !errors.Is(err, ErrServerUnreachable) {
		t.Errorf("next call err = %v", err)
	}
	if n := ta.apiCalls.Load(); n != 3 || time.Since(start) > time.Second {
		t.Errorf("an open breaker still called the server (%d requests)", n)
	}
}

// Any answer resets the count: failures spread between successes never open it.
func TestBreakerResetByAnswer(t *testing.T) {
	ta := newTestAPI(t, func(w http.ResponseWriter, r *http.Request, _ string, n int) {
		if n%3 == 0 {
			writeJSON(w, 200, `{"id":"C1"}`)
			return
		}
		dropConn(t, w)
	})
	c := ta.client(func(c *Config) { c.BreakerFailures, c.BreakerSpan = 3, time.Nanosecond })
	for range 4 {
		if _, err := c.GetCustomer(ctxT(t), "C1"); err != nil {
			t.Fatalf("GetCustomer: %v", err)
		}
	}
}

// Failures within BreakerSpan (a burst of concurrent requests failing in a
// blip) do not open it, however many.
func TestBreakerNeedsSpan(t *testing.T) {
	b := &breaker{failures: 3, span: time.Minute, now: time.Now}
	for range 10 {
		if err := b.failed(errors.New("reset")); err != nil {
			t.Fatalf("opened within the span: %v", err)
		}
	}
	now := time.Now()
	b.now = func() time.Time { return now.Add(time.Minute) }
	if err := b.failed(errors.New("reset")); !errors.Is(err, ErrServerUnreachable) {
		t.Fatalf("not open after the span: %v", err)
	}
}

func TestDefaultTransportTimeouts(t *testing.T) {
	tr := defaultTransport(Config{})
	if tr.ResponseHeaderTimeout != DefaultResponseHeaderTimeout || tr.TLSHandshakeTimeout != DefaultConnectTimeout || tr.DialContext == nil {
		t.Errorf("transport timeouts: header %v, TLS %v", tr.ResponseHeaderTimeout, tr.TLSHandshakeTimeout)
	}
	tr = defaultTransport(Config{ConnectTimeout: time.Second, ResponseHeaderTimeout: 2 * time.Second})
	if tr.ResponseHeaderTimeout != 2*time.Second || tr.TLSHandshakeTimeout != time.Second {
		t.Errorf("configured timeouts ignored: header %v, TLS %v", tr.ResponseHeaderTimeout, tr.TLSHandshakeTimeout)
	}
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://api.emporix.io":                       "https://api.emporix.io",
		"http://user:SECRET@127.0.0.1:8089/x":          "http://[redacted]@127.0.0.1:8089/x",
		"http://user:SECRET@127.0.0.1:8089/%zz":        "http://[redacted]@127.0.0.1:8089/%zz",
		"https://h/x?tenant=t&client_secret=SECRET":    "https://h/x?tenant=t&client_secret=[redacted]",
		"https://h/x?access_token=SECRET&a=%zz":        "https://h/x?access_token=[redacted]&a=%zz",
		"https://h/x?api_key=SECRET&page=2":            "https://h/x?api_key=[redacted]&page=2",
		"http://user@h/":                               "http://[redacted]@h/",
		"not a url :// user:SECRET@host":               "not a url :// [redacted]@host",
		"http://u:SECRET@h/%zz?password=SECRET2&x=1#f": "http://[redacted]@h/%zz?password=[redacted]&x=1#f",
	} {
		if got := RedactURL(in); got != want || strings.Contains(got, "SECRET") {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
}

// No error of New repeats a password given in the base URL.
func TestNewNeverEchoesCredentials(t *testing.T) {
	for _, u := range []string{
		"http://user:SECRET@127.0.0.1:8089/%zz",
		"http://user:SECRET@127.0.0.1:8089/",
		"http://user:SECRET@[::1", "ftp://user:SECRET@host/", "http://user:SECRET@10.1.2.3/",
		"https://host/?token=SECRET", "user:SECRET@host", "http://user:SECRET@/path",
	} {
		_, err := New(Config{BaseURL: u, Tenant: "tnt", ClientID: "id", ClientSecret: "x"})
		if err == nil || strings.Contains(err.Error(), "SECRET") {
			t.Errorf("New(%q) = %v", u, err)
		}
	}
}

// The HTTP client's Timeout bounds each attempt, answer body included: a
// server that sends its headers and then stalls costs one timeout per
// attempt, retried (a GET) as a timeout, not taken for the caller cancelling.
func TestAttemptTimeoutCoversTheBody(t *testing.T) {
	ta := newTestAPI(t, func(w http.ResponseWriter, r *http.Request, _ string, _ int) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, `{"id":`)
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	c := ta.client(func(c *Config) {
		c.HTTPClient = &http.Client{Timeout: 30 * time.Millisecond}
		c.MaxRetries = 2
		c.BreakerFailures = -1
	})
	_, err := c.GetCustomer(ctxT(t), "C1")
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "client timeout of 30ms") {
		t.Fatalf("err = %v, want the attempt timeout", err)
	}
	if n := ta.apiCalls.Load(); n != 3 {
		t.Errorf("server saw %d requests, want 3 (two retries)", n)
	}
	if ctxT(t).Err() != nil {
		t.Error("the caller's context ended")
	}
}
