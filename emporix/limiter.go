package emporix

import (
	"context"
	"fmt"
	"os"
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limiter paces API requests. The client calls Wait before every HTTP attempt
// (token requests excluded). A Limiter that also implements
// Throttled(retryAfter) is told about every 429 the client sees, and one that
// implements Succeeded() about every other answer.
type Limiter interface {
	Wait(ctx context.Context) error
}

// throttler and succeeder are the optional feedback side of a Limiter.
type (
	throttler interface {
		Throttled(retryAfter time.Duration)
	}
	succeeder interface{ Succeeded() }
)

// Tuning of the AIMD controller. The decrease is applied to the rate the
// server actually admitted (answers other than 429 over the last second), so
// the first 429 after an unlimited burst lands just under the server's limit
// instead of under the burst rate.
const (
	adaptiveDecrease  = 0.7  // multiplicative decrease on a 429
	confirmedDecrease = 0.85 // decrease when a 429 confirms the previous limit (within confirmTolerance)
	confirmTolerance  = 0.15
	adaptiveFloor     = 1.0             // never go below this many req/s
	adaptiveCooldown  = time.Second     // at most one decrease per cooldown: a burst of 429s is one event
	adaptiveStep      = time.Second     // additive increase granularity
	fastRecovery      = 0.95            // below fastRecovery*lastGood we climb quickly...
	fastIncrease      = 0.1             // ...by this fraction of lastGood per second,
	probeIncrease     = 0.005           // ...above it we probe slowly: each 429 costs a full pause, so they must stay rare
	minIncrease       = 0.1             // req/s; additive increase never smaller than this
	probeAccel        = 1.5             // growth of the increase per calm step above lastGood
	unlimitedAfter    = 2.0             // with no ceiling, drop limiting once rate > 2x lastGood
	defaultRetryWait  = time.Second     // pause when a 429 carries no Retry-After
	maxPause          = 5 * time.Minute // safety bound on a single pause
)

// AdaptiveLimiter is a shared token-bucket limiter (x/time/rate) that backs off
// when the server answers 429: it pauses every caller until Retry-After,
// lowers the rate multiplicatively and then recovers additively, second by
// second, up to the configured ceiling (or to unlimited). Safe for concurrent
// use.
type AdaptiveLimiter struct {
	mu       sync.Mutex
	now      func() time.Time
	created  time.Time
	ceiling  float64 // configured req/s; 0 = unlimited
	cur      float64 // current req/s; +Inf = unlimited
	lastGood float64 // admitted rate when the last 429 arrived; 0 = never throttled
	// stepsAbove counts calm steps taken above lastGood.
	stepsAbove int
	lim        *rate.Limiter

	pauseUntil   time.Time
	lastDecrease time.Time
	lastStep     time.Time // start of the current additive-increase step

	// Sliding one-second window of admitted requests, in two buckets.
	winStart     time.Time
	winOK, prvOK int
}

// NewAdaptiveLimiter returns a limiter with a ceiling of rps requests per
// second; rps <= 0 means no ceiling (only 429 feedback limits it).
func NewAdaptiveLimiter(rps float64) *AdaptiveLimiter {
	return newAdaptiveLimiter(rps, time.Now)
}

func newAdaptiveLimiter(rps float64, now func() time.Time) *AdaptiveLimiter {
	if rps < 0 || math.IsNaN(rps) {
		rps = 0
	}
	t := now()
	l := &AdaptiveLimiter{now: now, ceiling: rps, created: t}
	l.winStart, l.lastStep = t, t
	l.cur = l.top()
	l.lim = rate.NewLimiter(toLimit(l.cur), 1)
	return l
}

// Rate returns the current allowed rate in req/s (+Inf when unlimited).
func (l *AdaptiveLimiter) Rate() float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.advance(l.now())
	return l.cur
}

// Wait blocks until a request may be sent: first until any pause ordered by
// a 429 has passed, then until the token bucket grants a slot.
func (l *AdaptiveLimiter) Wait(ctx context.Context) error {
	for {
		l.mu.Lock()
		now := l.now()
		l.advance(now)
		pause := l.pauseUntil.Sub(now)
		l.mu.Unlock()
		if pause <= 0 {
			break
		}
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return context.Cause(ctx)
		case <-t.C:
		}
	}
	return l.lim.Wait(ctx)
}

// pausedUntil returns the end of the current 429 pause.
func (l *AdaptiveLimiter) pausedUntil() time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.pauseUntil
}

// Succeeded records an answer other than 429 (the server admitted the request).
func (l *AdaptiveLimiter) Succeeded() {
	l.mu.Lock()
	l.roll(l.now())
	l.winOK++
	if os.Getenv("LIMTRACE") != "" && l.now().Sub(l.created) < 3*time.Second {
		fmt.Fprintf(os.Stderr, "T %v ok\n", l.now().Sub(l.created))
	}
	l.mu.Unlock()
}

// Throttled reports a 429. All callers pause for retryAfter (a default when
// 0) and, at most once per cooldown, the rate drops to adaptiveDecrease times
// the rate the server admitted over the last second.
func (l *AdaptiveLimiter) Throttled(retryAfter time.Duration) {
	if retryAfter <= 0 {
		retryAfter = defaultRetryWait
	}
	retryAfter = min(retryAfter, maxPause)
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if os.Getenv("LIMTRACE") != "" {
		fmt.Fprintf(os.Stderr, "T %v 429 ra=%v ok=%d\n", now.Sub(l.created), retryAfter, l.winOK)
	}
	l.advance(now)
	if until := now.Add(retryAfter); until.After(l.pauseUntil) {
		l.pauseUntil = until
	}
	// Recovery only counts calm seconds after the pause.
	if l.pauseUntil.After(l.lastStep) {
		l.lastStep = l.pauseUntil
	}
	if !l.lastDecrease.IsZero() && now.Sub(l.lastDecrease) < adaptiveCooldown {
		return
	}
	admitted := l.admitted(now)
	if !math.IsInf(l.cur, 1) && (admitted <= 0 || admitted > l.cur) {
		admitted = l.cur
	}
	if admitted <= 0 {
		admitted = adaptiveFloor
	}
	factor := adaptiveDecrease
	if l.lastGood > 0 && math.Abs(admitted-l.lastGood) <= confirmTolerance*l.lastGood {
		// Same limit as last time: it is known, back off less.
		factor = confirmedDecrease
	}
	l.lastGood = admitted
	l.stepsAbove = 0
	l.lastDecrease = now
	l.setRate(now, max(adaptiveFloor, admitted*factor))
}

// advance applies the additive increase for every whole step since lastStep.
// Caller holds mu.
func (l *AdaptiveLimiter) advance(now time.Time) {
	l.roll(now)
	if math.IsInf(l.cur, 1) || l.lastGood == 0 {
		l.lastStep = now
		return
	}
	steps := int(now.Sub(l.lastStep) / adaptiveStep)
	if steps <= 0 {
		return
	}
	l.lastStep = l.lastStep.Add(time.Duration(steps) * adaptiveStep)
	r := l.cur
	for range steps {
		switch probe := max(minIncrease, probeIncrease*l.lastGood); {
		case r < fastRecovery*l.lastGood:
			r += max(minIncrease, fastIncrease*l.lastGood)
		case r < l.lastGood:
			r += probe
		default:
			// Beyond the last known limit: the estimate may have been low
			// (e.g. a 429 right at start), so accelerate geometrically.
			r += probe * math.Pow(probeAccel, float64(l.stepsAbove))
			l.stepsAbove++
		}
		if l.ceiling > 0 && r >= l.ceiling {
			r = l.ceiling
			break
		}
		if l.ceiling == 0 && r > unlimitedAfter*l.lastGood {
			r = math.Inf(1)
			l.lastGood = 0
			break
		}
	}
	l.setRate(now, r)
}

// roll moves the sliding window forward. Caller holds mu.
func (l *AdaptiveLimiter) roll(now time.Time) {
	el := now.Sub(l.winStart)
	if el < time.Second {
		return
	}
	if el < 2*time.Second {
		l.prvOK = l.winOK
		l.winStart = l.winStart.Add(time.Second)
	} else {
		l.prvOK = 0
		l.winStart = now
	}
	l.winOK = 0
}

// admitted estimates requests/s the server accepted over the last second,
// weighting the previous bucket by how much of it is still inside the window.
// Caller holds mu.
func (l *AdaptiveLimiter) admitted(now time.Time) float64 {
	if now.Sub(l.created) < time.Second {
		// Younger than the window: servers admit about one second's worth
		// in their first window (burst), so the count itself is the estimate.
		return float64(l.winOK)
	}
	frac := float64(now.Sub(l.winStart)) / float64(time.Second)
	return float64(l.prvOK)*(1-frac) + float64(l.winOK)
}

func (l *AdaptiveLimiter) top() float64 {
	if l.ceiling > 0 {
		return l.ceiling
	}
	return math.Inf(1)
}

func (l *AdaptiveLimiter) setRate(now time.Time, r float64) {
	if l.ceiling > 0 {
		r = min(r, l.ceiling)
	}
	l.cur = r
	l.lim.SetLimitAt(now, toLimit(r))
}

func toLimit(r float64) rate.Limit {
	if math.IsInf(r, 1) {
		return rate.Inf
	}
	return rate.Limit(r)
}
