package emporix

import (
	"container/heap"
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
func (f *fakeClock) set(t time.Time) {
	f.mu.Lock()
	f.t = t
	f.mu.Unlock()
}

func newFakeLimiter(rps float64) (*AdaptiveLimiter, *fakeClock) {
	clk := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	return newAdaptiveLimiter(rps, clk.now), clk
}

// send does what Wait does before the token bucket: a request is about to go.
func send(l *AdaptiveLimiter, clk *fakeClock) { l.pauseLeft(clk.now()) }

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

// throttledAfterSecond returns a limiter that saw 100 admitted answers over
// one full second and then a 429: rate 90, known limit 100.
func throttledAfterSecond(t *testing.T, rps float64) (*AdaptiveLimiter, *fakeClock) {
	t.Helper()
	l, clk := newFakeLimiter(rps)
	send(l, clk)
	grantOverSecond(l, clk, 100)
	l.Throttled(time.Second)
	if r := l.Rate(); !near(r, 90) {
		t.Fatalf("rate after a 429 with 100 req/s admitted = %v, want 0.9 x 100", r)
	}
	return l, clk
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-6 }

// TestAdaptiveLimiterEarly429 covers a 429 that arrives before the limiter
// has observed a full second (the first volley of an unlimited import).
func TestAdaptiveLimiterEarly429(t *testing.T) {
	for _, tc := range []struct {
		name  string
		idle  time.Duration // between creation and the first request
		early bool          // a 429 arrives before any admitted answer
	}{
		{name: "20ms in"},
		{name: "after idle start", idle: 5 * time.Second},
		{name: "429 before any answer", early: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, clk := newFakeLimiter(0)
			clk.add(tc.idle)
			send(l, clk)
			if tc.early {
				clk.add(15 * time.Millisecond)
				l.Throttled(time.Second)
				if r := l.Rate(); !math.IsInf(r, 1) {
					t.Fatalf("rate after a 429 with nothing admitted yet = %v, want unchanged +Inf", r)
				}
			}
			// A server limiting to 100 req/s with a burst of 10 admits 12
			// requests in the first 20 ms: 120 req/s over the 100 ms minimum.
			clk.add(20 * time.Millisecond)
			for range 12 {
				l.Succeeded()
			}
			l.Throttled(time.Second)
			if r := l.Rate(); !near(r, 0.9*120) {
				t.Fatalf("rate after the early 429 = %v, want 0.9 x 120 (near the limit)", r)
			}
			if p := l.pausedUntil(); !p.IsZero() {
				t.Fatalf("a 1 s Retry-After paused every caller until %v", p)
			}
			// The estimate is provisional: after the cooldown, without a
			// further 429, the rate doubles each second rather than creeping.
			clk.add(time.Second)
			if r := l.Rate(); !near(r, 0.9*120*math.Pow(2, 0.25)) {
				t.Fatalf("rate one step after the cooldown = %v", r)
			}
			clk.add(750 * time.Millisecond)
			if r := l.Rate(); !near(r, 0.9*120*2) {
				t.Fatalf("rate a second after the cooldown = %v, want doubled", r)
			}
			clk.add(time.Second) // past 2 x the provisional limit: unlimited again
			if r := l.Rate(); !math.IsInf(r, 1) {
				t.Fatalf("rate = %v, want +Inf", r)
			}
		})
	}
}

// TestAdaptiveLimiterQuietTime: time in which callers wait out a Retry-After
// still counts for the estimate (a server's whole burst, taken at once, is
// not a rate); idle time does not.
func TestAdaptiveLimiterQuietTime(t *testing.T) {
	t.Run("Retry-After", func(t *testing.T) {
		l, clk := newFakeLimiter(0)
		// A server admitting 50 req/s with a burst of 50: every second the
		// callers get 50 answers within 10 ms, then 429s with Retry-After: 1.
		for range 3 {
			send(l, clk)
			for range 50 {
				l.Succeeded()
			}
			clk.add(10 * time.Millisecond)
			l.Throttled(time.Second)
			clk.add(time.Second - 10*time.Millisecond)
		}
		if r := l.Rate(); r > 50 {
			t.Fatalf("rate %v after three bursts of 50 a second, want <= 50", r)
		}
	})
	t.Run("idle", func(t *testing.T) {
		l, clk := newFakeLimiter(0)
		send(l, clk)
		for range 5 {
			clk.add(100 * time.Millisecond)
			l.Succeeded()
		}
		// Nothing sent, answered or waited for: the next estimate starts afresh.
		clk.add(10 * time.Second)
		send(l, clk)
		clk.add(20 * time.Millisecond)
		for range 12 {
			l.Succeeded()
		}
		l.Throttled(time.Second)
		if r := l.Rate(); !near(r, 0.9*120) {
			t.Fatalf("rate after a 429 20 ms after an idle spell = %v, want 0.9 x 120", r)
		}
	})
}

func TestAdaptiveLimiterRecovery(t *testing.T) {
	l, clk := throttledAfterSecond(t, 0)
	t0 := clk.now()
	at := func(d time.Duration) float64 { clk.set(t0.Add(d)); return l.Rate() }
	if r := at(999 * time.Millisecond); !near(r, 90) {
		t.Fatalf("rate during the cooldown = %v, want 90", r)
	}
	// Fast multiplicative step (x1.5/s), capped at 0.95 x the limit.
	if r := at(time.Second); !near(r, 95) {
		t.Fatalf("rate after the cooldown = %v, want 95", r)
	}
	// Then +0.5 req/s per second up to the limit...
	if r := at(3 * time.Second); !near(r, 96) {
		t.Fatalf("rate 2 s later = %v, want 96", r)
	}
	if r := at(11 * time.Second); !near(r, 100) {
		t.Fatalf("rate 10 s later = %v, want the limit 100", r)
	}
	// ...and above it with an increase that keeps growing.
	prev, inc := 100.0, 0.0
	for s := 12; s <= 16; s++ {
		r := at(time.Duration(s) * time.Second)
		if r-prev <= inc {
			t.Fatalf("increase above the limit does not grow: +%v after +%v (second %d)", r-prev, inc, s)
		}
		prev, inc = r, r-prev
	}
	// With no ceiling it ends unlimited.
	if r := at(10 * time.Minute); !math.IsInf(r, 1) {
		t.Fatalf("rate after long calm = %v, want +Inf", r)
	}
}

func TestAdaptiveLimiterCooldown(t *testing.T) {
	l, clk := throttledAfterSecond(t, 0)
	// A volley of 429s within the cooldown is one event.
	for range 5 {
		clk.add(150 * time.Millisecond)
		l.Throttled(time.Second)
	}
	if r := l.Rate(); !near(r, 90) {
		t.Fatalf("rate after a volley of 429s = %v, want 90", r)
	}
	// After the cooldown a 429 decreases again; the server still admits
	// about 100 req/s, the known limit, so the decrease is the milder one.
	grantOverSecond(l, clk, 100)
	cur := l.Rate()
	l.Throttled(time.Second)
	if r := l.Rate(); !near(r, 0.95*cur) {
		t.Fatalf("rate after a confirming 429 = %v, want 0.95 x %v", r, cur)
	}
	// A 429 at a clearly different admitted rate is a new limit: 0.9.
	clk.add(time.Second)
	grantOverSecond(l, clk, 50)
	cur = l.Rate()
	if cur < 60 {
		t.Fatalf("rate %v before the second 429, want above the admitted 50", cur)
	}
	l.Throttled(time.Second)
	if r := l.Rate(); r < 0.9*49 || r > 0.9*51 {
		t.Fatalf("rate after a 429 with ~50 req/s admitted = %v, want 0.9 x ~50", r)
	}
}

func TestAdaptiveLimiterCeiling(t *testing.T) {
	l, clk := newFakeLimiter(20)
	if r := l.Rate(); r != 20 {
		t.Fatalf("initial rate %v", r)
	}
	send(l, clk)
	grantOverSecond(l, clk, 30) // more answers than the ceiling: the ceiling is the bound
	l.Throttled(time.Second)
	if r := l.Rate(); !near(r, 18) {
		t.Fatalf("rate after 429 = %v, want 0.9 x 20", r)
	}
	for range 4 * 3600 {
		clk.add(time.Second)
		if r := l.Rate(); r > 20 {
			t.Fatalf("rate %v above the ceiling", r)
		}
	}
	if r := l.Rate(); r != 20 {
		t.Fatalf("rate after an hour = %v, want the ceiling 20", r)
	}
}

func TestAdaptiveLimiterRetryAfter(t *testing.T) {
	for _, tc := range []struct {
		retryAfter time.Duration
		pause      time.Duration // 0: other callers go on
	}{
		{0, 0},
		{time.Second, 0},
		{2 * time.Second, 0},
		{3 * time.Second, 3 * time.Second},
		{time.Hour, maxPause},
	} {
		t.Run(tc.retryAfter.String(), func(t *testing.T) {
			l, clk := newFakeLimiter(0)
			send(l, clk)
			grantOverSecond(l, clk, 100)
			t0 := clk.now()
			l.Throttled(tc.retryAfter)
			p := l.pausedUntil()
			if tc.pause == 0 {
				if !p.IsZero() {
					t.Fatalf("Retry-After %v paused every caller until %v", tc.retryAfter, p)
				}
				if d := l.pauseLeft(t0); d > 0 {
					t.Fatalf("pauseLeft = %v, want none", d)
				}
				return
			}
			if !p.Equal(t0.Add(tc.pause)) {
				t.Fatalf("paused until %v, want %v", p.Sub(t0), tc.pause)
			}
			if d := l.pauseLeft(t0.Add(time.Second)); d != tc.pause-time.Second {
				t.Fatalf("pauseLeft 1 s in = %v, want %v", d, tc.pause-time.Second)
			}
			// No recovery while paused, although the cooldown is over.
			clk.set(p.Add(-time.Millisecond))
			if r := l.Rate(); !near(r, 90) {
				t.Fatalf("rate at the end of the pause = %v, want 90", r)
			}
			// Paused time is not part of the admitted-rate estimate: 10
			// answers in the 100 ms after the pause are 100 req/s, a
			// confirmation of the limit (0.95 x min(rate, 100)).
			clk.set(p.Add(100 * time.Millisecond))
			for range 10 {
				l.Succeeded()
			}
			l.Throttled(time.Second)
			// The rate had taken its first recovery step (to 95) at the end
			// of the pause.
			if r := l.Rate(); !near(r, 0.95*95) {
				t.Fatalf("rate after a 429 following the pause = %v, want 0.95 x 95", r)
			}
		})
	}
}

func TestAdaptiveLimiterFloor(t *testing.T) {
	l, clk := newFakeLimiter(0)
	for range 10 { // requests sent for a whole second, nothing admitted
		send(l, clk)
		clk.add(100 * time.Millisecond)
	}
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
	l.Throttled(time.Hour)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := l.Wait(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait during pause = %v, want context.Canceled", err)
	}
	var _ Limiter = l
	var _ throttler = l
	var _ succeeder = l
}

// simEvent is a worker's next action in simulate: at, it asks the limiter
// for a slot (arrive false) or its request reaches the server (arrive true).
type simEvent struct {
	at     time.Time
	worker int
	arrive bool
}

type simQueue []simEvent

func (q simQueue) Len() int { return len(q) }
func (q simQueue) Less(i, j int) bool {
	if !q[i].at.Equal(q[j].at) {
		return q[i].at.Before(q[j].at)
	}
	return q[i].worker < q[j].worker
}
func (q simQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *simQueue) Push(x any)   { *q = append(*q, x.(simEvent)) }
func (q *simQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}

// simulate runs workers that send requests back to back through l, on the
// fake clock, against a server that admits limit req/s (token bucket with
// burst max(1, limit/10) unless given, like the emulator) and answers the excess with 429
// and Retry-After: ceil(delay) >= 1 s, which the worker then waits out. The
// server decides when a request arrives (after latency) and the answer is
// seen at once. It returns admitted and throttled requests.
func simulate(l *AdaptiveLimiter, clk *fakeClock, limit float64, burst, workers int, latency, d time.Duration) (ok, throttled int) {
	start := clk.now()
	if burst == 0 {
		burst = max(1, int(limit/10))
	}
	server := rate.NewLimiter(rate.Limit(limit), burst)
	q := &simQueue{}
	for w := range workers {
		heap.Push(q, simEvent{at: start, worker: w})
	}
	for q.Len() > 0 {
		e := heap.Pop(q).(simEvent)
		if e.at.Sub(start) >= d {
			continue
		}
		clk.set(e.at)
		if !e.arrive {
			if p := l.pauseLeft(e.at); p > 0 {
				heap.Push(q, simEvent{at: e.at.Add(p), worker: e.worker})
				continue
			}
			slot := e.at.Add(l.lim.ReserveN(e.at, 1).DelayFrom(e.at))
			heap.Push(q, simEvent{at: slot.Add(latency), worker: e.worker, arrive: true})
			continue
		}
		res := server.ReserveN(e.at, 1)
		if delay := res.DelayFrom(e.at); !res.OK() || delay > 0 {
			res.CancelAt(e.at)
			throttled++
			ra := time.Duration(max(1, math.Ceil(delay.Seconds()))) * time.Second
			l.Throttled(ra)
			heap.Push(q, simEvent{at: e.at.Add(ra), worker: e.worker})
			continue
		}
		ok++
		l.Succeeded()
		heap.Push(q, simEvent{at: e.at, worker: e.worker})
	}
	return ok, throttled
}

// TestAdaptiveLimiterFindsLimit runs the limiter in a deterministic
// simulation of the import scenarios (issue 6): it must get close to the
// server's limit with few 429s, and stay out of the way below it.
func TestAdaptiveLimiterFindsLimit(t *testing.T) {
	const d = 20 * time.Second
	for _, tc := range []struct {
		name          string
		ceiling       float64 // --rate
		limit         float64 // server
		burst         int     // server; 0 = limit/10
		workers       int
		latency       time.Duration
		minFraction   float64 // admitted req/s over min(limit, ceiling)
		max429        int
		wantUnlimited bool
	}{
		{"rate 0 vs limit 100", 0, 100, 0, 16, 20 * time.Millisecond, 0.9, 30, false},
		{"rate 0 vs limit 20", 0, 20, 0, 16, 20 * time.Millisecond, 0.85, 30, false},
		{"rate 0 vs limit 500", 0, 500, 0, 16, 5 * time.Millisecond, 0.9, 30, false},
		// A burst of a whole second's worth, taken within a millisecond.
		{"rate 0 vs limit 50 burst 50", 0, 50, 50, 8, 100 * time.Microsecond, 0.9, 30, false},
		{"rate 200 vs limit 200", 200, 200, 0, 16, 20 * time.Millisecond, 0.95, 0, false},
		{"rate 0, no limit reached", 0, 2000, 0, 16, 20 * time.Millisecond, 0.39, 0, true}, // 16/20ms = 800 req/s
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, clk := newFakeLimiter(tc.ceiling)
			ok, n429 := simulate(l, clk, tc.limit, tc.burst, tc.workers, tc.latency, d)
			top := tc.limit
			if tc.ceiling > 0 {
				top = min(top, tc.ceiling)
			}
			frac := float64(ok) / d.Seconds() / top
			t.Logf("admitted %.3f of %v req/s, %d 429s, final rate %.1f", frac, top, n429, l.Rate())
			if frac < tc.minFraction {
				t.Errorf("admitted %.3f of the limit, want >= %v", frac, tc.minFraction)
			}
			if n429 > tc.max429 {
				t.Errorf("%d 429s, want <= %d", n429, tc.max429)
			}
			if got := math.IsInf(l.Rate(), 1); got != tc.wantUnlimited {
				t.Errorf("final rate %v, unlimited = %v, want %v", l.Rate(), got, tc.wantUnlimited)
			}
		})
	}
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
