package emporix

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (f *fakeClock) now() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.t }
func (f *fakeClock) add(d time.Duration) {
	f.mu.Lock()
	f.t = f.t.Add(d)
	f.mu.Unlock()
}

func newFakeLimiter(rps float64) (*AdaptiveLimiter, *fakeClock) {
	clk := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	return newAdaptiveLimiter(rps, clk.now), clk
}

// grantOverSecond records n admitted answers evenly spread over the next second.
func grantOverSecond(l *AdaptiveLimiter, clk *fakeClock, n int) {
	step := time.Second / time.Duration(n)
	clk.add(step / 2)
	for i := range n {
		if i > 0 {
			clk.add(step)
		}
		l.Succeeded()
	}
	clk.add(step / 2)
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestAdaptiveLimiterUnlimited(t *testing.T) {
	l, clk := newFakeLimiter(0)
	if r := l.Rate(); !math.IsInf(r, 1) {
		t.Fatalf("initial rate %v, want +Inf", r)
	}
	grantOverSecond(l, clk, 100)
	t0 := clk.now()
	l.Throttled(time.Second)
	// 100 admitted over the last second; 0.7 x 100.
	if r := l.Rate(); !near(r, 70) {
		t.Fatalf("rate after 429 = %v, want 70", r)
	}
	if p := l.pausedUntil(); !p.Equal(t0.Add(time.Second)) {
		t.Fatalf("paused until %v, want %v", p, t0.Add(time.Second))
	}

	// A burst of 429s within the cooldown is one event: the pause grows, the rate stays.
	clk.add(100 * time.Millisecond)
	l.Throttled(2 * time.Second)
	l.Throttled(0) // no Retry-After: default pause, shorter, does not shrink it
	if r := l.Rate(); !near(r, 70) {
		t.Fatalf("rate after burst = %v, want 70", r)
	}
	pauseEnd := clk.now().Add(2 * time.Second)
	if p := l.pausedUntil(); !p.Equal(pauseEnd) {
		t.Fatalf("paused until %v, want %v", p, pauseEnd)
	}

	// No recovery during the pause; then fast additive steps (+9.9/s) up to
	// 0.95 x 100, then slow probing (+0.5/s).
	clk.t = pauseEnd.Add(999 * time.Millisecond)
	if r := l.Rate(); !near(r, 70) {
		t.Fatalf("rate before first step = %v", r)
	}
	var got []float64
	for i := range 6 {
		clk.t = pauseEnd.Add(time.Duration(i+1) * time.Second)
		got = append(got, l.Rate())
	}
	for i, w := range []float64{80, 90, 100} {
		if math.Abs(got[i]-w) > 1e-6 {
			t.Fatalf("fast step %d: rate %v, want %v", i+1, got[i], w)
		}
	}
	// Around the known limit: small probes (0.5% of it), then accelerating.
	if d := got[3] - got[2]; math.Abs(d-0.5) > 1e-6 {
		t.Fatalf("first probe step +%v, want +0.5 (rates %v)", d, got)
	}
	if !(got[5]-got[4] > got[4]-got[3]) {
		t.Fatalf("probing above the limit does not accelerate: %v", got)
	}

	// A 429 at about the same admitted rate confirms the limit: milder decrease.
	clk.add(time.Second) // let the window move past the pause
	grantOverSecond(l, clk, 100)
	l.Throttled(time.Second)
	// The sliding-window estimate of ~100 admitted req/s is approximate.
	if r := l.Rate(); r < 0.85*95 || r > 0.85*101 {
		t.Fatalf("rate after confirming 429 = %v, want 0.85 x ~100", r)
	}
	// Without further 429s it eventually goes back to unlimited.
	clk.add(10 * time.Minute)
	if r := l.Rate(); !math.IsInf(r, 1) {
		t.Fatalf("rate after long calm = %v, want +Inf", r)
	}
}

func TestAdaptiveLimiterCeiling(t *testing.T) {
	l, clk := newFakeLimiter(20)
	if r := l.Rate(); r != 20 {
		t.Fatalf("initial rate %v", r)
	}
	grantOverSecond(l, clk, 30) // more answers than the ceiling: estimate clamps to 20
	l.Throttled(time.Second)
	// 0.7 x 20 = 14, then +2/s, capped at the ceiling, never above.
	if r := l.Rate(); !near(r, 14) {
		t.Fatalf("rate after 429 = %v, want 14", r)
	}
	clk.add(time.Second + 2*time.Second)
	if r := l.Rate(); !near(r, 18) {
		t.Fatalf("rate after 2 steps = %v, want 18", r)
	}
	clk.add(time.Hour)
	if r := l.Rate(); r != 20 {
		t.Fatalf("rate after an hour = %v, want ceiling 20", r)
	}
}

func TestAdaptiveLimiterFloor(t *testing.T) {
	l, clk := newFakeLimiter(0)
	l.Throttled(time.Second) // 429 on the very first request: nothing admitted yet
	if r := l.Rate(); r != adaptiveFloor {
		t.Fatalf("rate %v, want floor %v", r, adaptiveFloor)
	}
	clk.add(1100 * time.Millisecond)
	l.Throttled(time.Second)
	if r := l.Rate(); r != adaptiveFloor {
		t.Fatalf("rate %v, want floor %v", r, adaptiveFloor)
	}
}

func TestAdaptiveLimiterWaitRespectsPauseAndContext(t *testing.T) {
	l := NewAdaptiveLimiter(0)
	if err := l.Wait(t.Context()); err != nil {
		t.Fatal(err)
	}
	var _ succeeder = l
	l.Throttled(time.Hour)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := l.Wait(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait during pause = %v, want context.Canceled", err)
	}
	var _ Limiter = l
	var _ throttler = l
}

// BenchmarkAdaptiveLimiter runs the client with an unlimited AdaptiveLimiter
// against servers that admit R req/s and answer 429 (Retry-After: 1) beyond,
// for a few seconds of real time per iteration. Run with -benchtime 1x.
// Metrics: ofR = successful req/s divided by R; 429/s.
func BenchmarkAdaptiveLimiter(b *testing.B) {
	const (
		R           = 50
		concurrency = 8
	)
	runFor := 12 * time.Second
	if d, err := time.ParseDuration(os.Getenv("EMPORIX_SIM_DURATION")); err == nil {
		runFor = d
	}
	servers := map[string]func() func() bool{
		"token-bucket": func() func() bool {
			lim := rate.NewLimiter(R, R)
			return lim.Allow
		},
		"fixed-window": func() func() bool {
			var mu sync.Mutex
			var win time.Time
			var n int
			return func() bool {
				mu.Lock()
				defer mu.Unlock()
				now := time.Now().Truncate(time.Second)
				if !now.Equal(win) {
					win, n = now, 0
				}
				n++
				return n <= R
			}
		},
	}
	for name, mk := range servers {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				allow := mk()
				var ok, limited atomic.Int64
				mux := http.NewServeMux()
				mux.HandleFunc("POST /oauth/token", func(w http.ResponseWriter, r *http.Request) {
					writeJSON(w, 200, `{"access_token":"t","token_type":"Bearer","expires_in":3600}`)
				})
				mux.HandleFunc("/customer/", func(w http.ResponseWriter, r *http.Request) {
					if !allow() {
						limited.Add(1)
						w.Header().Set("Retry-After", "1")
						writeJSON(w, 429, `{"status":429,"type":"too_many_requests","message":"slow down"}`)
						return
					}
					ok.Add(1)
					writeJSON(w, 200, `{"id":"C1"}`)
				})
				srv := httptest.NewServer(mux)
				al := NewAdaptiveLimiter(0)
				c, err := New(Config{BaseURL: srv.URL, Tenant: "tnt", ClientID: "id", ClientSecret: "s",
					Limiter: al, MaxRetries: 20, RetryInitial: 50 * time.Millisecond})
				if err != nil {
					b.Fatal(err)
				}
				ctx, cancel := context.WithTimeout(context.Background(), runFor)
				var wg sync.WaitGroup
				if os.Getenv("EMPORIX_SIM_TRACE") != "" {
					wg.Go(func() {
						for ctx.Err() == nil {
							fmt.Printf("  rate %.1f ok %d 429 %d\n", al.Rate(), ok.Load(), limited.Load())
							select {
							case <-ctx.Done():
							case <-time.After(500 * time.Millisecond):
							}
						}
					})
				}
				for range concurrency {
					wg.Go(func() {
						for ctx.Err() == nil {
							c.GetCustomer(ctx, "C1")
						}
					})
				}
				wg.Wait()
				cancel()
				srv.Close()
				secs := runFor.Seconds()
				b.ReportMetric(float64(ok.Load())/secs/R, "ofR")
				b.ReportMetric(float64(limited.Load())/secs, "429/s")
				if testing.Verbose() {
					fmt.Printf("%s: ok %d (%.2f of R), 429 %d\n", name, ok.Load(), float64(ok.Load())/secs/R, limited.Load())
				}
			}
		})
	}
}
