package emporix

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"
)

// The tests shrink the default timeouts 1000-fold; the benchmark only 100-fold,
// so that timer overhead on a busy machine stays small against them.
const (
	testScale  = 1000
	benchScale = 100
)

type deadCase struct {
	name string
	// blackHole: the connection never opens (SYNs dropped); otherwise the
	// server accepts and never answers.
	blackHole bool
}

var deadCases = []deadCase{{"black hole", true}, {"accepts, never answers", false}}

// blackHoleDial stands for a dropped SYN: it fails like net.Dialer does when
// its timeout expires, once the timeout has passed.
func blackHoleDial(timeout time.Duration, dials *atomic.Int32) func(context.Context, string, string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials.Add(1)
		select {
		case <-ctx.Done():
			return nil, &net.OpError{Op: "dial", Net: network, Err: ctx.Err()}
		case <-time.After(timeout):
			return nil, &net.OpError{Op: "dial", Net: network, Err: errDialTimeout{}}
		}
	}
}

type errDialTimeout struct{}

func (errDialTimeout) Error() string   { return "i/o timeout" }
func (errDialTimeout) Timeout() bool   { return true }
func (errDialTimeout) Temporary() bool { return true }

// deadClient returns a client at the default settings divided by scale,
// against a dead server, and a counter of the attempts that reached the
// network (dials for a black hole, requests otherwise).
func deadClient(t testing.TB, dc deadCase, scale time.Duration) (*Client, *atomic.Int32) {
	ta := newTestAPI(t, hangUntilDone)
	cfg := Config{
		BaseURL: ta.srv.URL + testPrefix, Tenant: testTenant, ClientID: testID, ClientSecret: testSecret,
		MaxRetries:            DefaultMaxRetries,
		RetryInitial:          DefaultRetryInitial / scale,
		RetryMax:              DefaultRetryMax / scale,
		ConnectTimeout:        DefaultConnectTimeout / scale,
		ResponseHeaderTimeout: DefaultResponseHeaderTimeout / scale,
		BreakerSpan:           DefaultBreakerSpan / scale,
	}
	tr := defaultTransport(cfg)
	attempts := &ta.apiCalls
	if dc.blackHole {
		attempts = new(atomic.Int32)
		tr.DialContext = blackHoleDial(cfg.ConnectTimeout, attempts)
	}
	cfg.HTTPClient = &http.Client{Transport: tr, Timeout: DefaultTimeout / scale}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c, attempts
}

// A dead server costs DefaultBreakerFailures attempts, each ending at its
// timeout, and backoff waits between them: then the breaker opens and the
// next call fails without a request. (The token request of a black hole is
// the attempt that fails: nothing gets through to ask for one.)
func TestDeadServerWorstCase(t *testing.T) {
	for _, dc := range deadCases {
		t.Run(dc.name, func(t *testing.T) {
			c, attempts := deadClient(t, dc, testScale)
			var waited time.Duration
			c.onRetry = func(_ error, wait time.Duration) { waited += wait }
			_, err := c.GetCustomer(t.Context(), "C1")
			if !errors.Is(err, ErrServerUnreachable) {
				t.Fatalf("err = %v, want ErrServerUnreachable", err)
			}
			if n := attempts.Load(); n != DefaultBreakerFailures {
				t.Errorf("%d attempts, want %d", n, DefaultBreakerFailures)
			}
			// Backoff: at most RetryMax per wait, one wait between attempts.
			if limit := (DefaultBreakerFailures - 1) * DefaultRetryMax / testScale; waited > limit {
				t.Errorf("waited %v in backoff, more than %v", waited, limit)
			}
			before := attempts.Load()
			if _, err := c.GetCustomer(t.Context(), "C2"); !errors.Is(err, ErrServerUnreachable) || attempts.Load() != before {
				t.Errorf("open breaker: err %v, %d more attempts", err, attempts.Load()-before)
			}
		})
	}
}

// BenchmarkDeadServer measures the time a call takes to give up on a dead
// server at the default settings divided by 100: ns/op × 100 is the worst
// case at the defaults (README, "Dead servers": ~32 s and ~62 s).
func BenchmarkDeadServer(b *testing.B) {
	for _, dc := range deadCases {
		b.Run(dc.name, func(b *testing.B) {
			for b.Loop() {
				c, _ := deadClient(b, dc, benchScale)
				if _, err := c.GetCustomer(b.Context(), "C1"); !errors.Is(err, ErrServerUnreachable) {
					b.Fatal(err)
				}
			}
		})
	}
}

// A Retry-After beyond RetryAfterGiveUp opens the breaker: later calls fail
// without a request. One within it is waited (capped at RetryAfterMax) at
// most MaxRetries times: a call's total wait is at most MaxRetries ×
// RetryAfterMax.
func TestRetryAfterBounds(t *testing.T) {
	ra := "100000"
	ta := newTestAPI(t, func(w http.ResponseWriter, _ *http.Request, _ string, _ int) {
		w.Header().Set("Retry-After", ra)
		writeJSON(w, http.StatusTooManyRequests, `{}`)
	})
	c := ta.client(func(c *Config) { c.MaxRetries, c.RetryAfterMax = 2, 3*time.Millisecond })
	var waits []time.Duration
	c.onRetry = func(_ error, wait time.Duration) { waits = append(waits, wait) }

	ra = "25000" // 25 test seconds: within the 30 s give-up limit
	if _, err := c.GetCustomer(t.Context(), "C1"); StatusOf(err) != 429 {
		t.Fatalf("err = %v, want the 429", err)
	}
	if n := ta.apiCalls.Load(); n != 3 || len(waits) != 2 || waits[0] != 3*time.Millisecond || waits[1] != 3*time.Millisecond {
		t.Errorf("%d attempts, waits %v; want 3 attempts, 2 waits of the 3ms cap", n, waits)
	}

	ra, waits = "100000", nil
	if _, err := c.GetCustomer(t.Context(), "C1"); !errors.Is(err, ErrRetryAfterTooLong) {
		t.Fatalf("err = %v, want ErrRetryAfterTooLong", err)
	}
	if _, err := c.CreateCustomer(t.Context(), &Customer{CustomerNumber: "C2"}, false); !errors.Is(err, ErrRetryAfterTooLong) {
		t.Errorf("next call: err = %v", err)
	}
	if n := ta.apiCalls.Load(); n != 4 || len(waits) != 0 {
		t.Errorf("%d attempts (want 4: no retry, nothing after), waits %v", n, waits)
	}
}
