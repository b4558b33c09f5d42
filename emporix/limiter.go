package emporix

import (
	"context"
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

// Tuning of the adaptive controller. Growth and probing rates are per second
// and applied in recoveryStep slices.
const (
	adaptiveDecrease  = 0.9  // on a 429: rate = factor × min(rate, admitted)
	confirmedDecrease = 0.95 // factor when the 429 confirms the known limit (within confirmTolerance)
	confirmTolerance  = 0.15
	adaptiveFloor     = 1.0         // never go below this many req/s
	adaptiveCooldown  = time.Second // at most one decrease per cooldown; no growth during it either
	recoveryStep      = 250 * time.Millisecond
	fastRecovery      = 0.95  // below fastRecovery × limit the rate grows multiplicatively...
	fastGrowth        = 1.5   // ...by this factor per second,
	probeIncrease     = 0.005 // then by this fraction of the limit per second up to the limit,
	probeAccel        = 1.5   // and above it the increase grows by this factor per second spent there.
	slowStartGrowth   = 2.0   // growth per second above a provisional limit
	unlimitedAfter    = 2.0   // with no ceiling, drop limiting once rate > 2 × limit

	// Admitted-rate estimate: successes over the last estimateWindow,
	// normalised by the time actually observed (at least minObserved).
	estimateWindow = time.Second
	minObserved    = 100 * time.Millisecond

	// pauseAllAfter: a Retry-After longer than this is a quota-style signal
	// and pauses every caller; shorter ones only delay the request that got
	// them (the client's retry loop waits them out).
	pauseAllAfter = 2 * time.Second
	maxPause      = 5 * time.Minute // safety bound on a single pause
)

// AdaptiveLimiter is a shared token-bucket limiter (x/time/rate, burst 1)
// whose rate follows the server's 429 answers. Safe for concurrent use.
//
// Estimating the limit: every answer other than 429 counts as admitted. The
// admitted rate is the count over the last second divided by the time
// actually observed (since the first request, the last idle gap or the end of
// a pause; at least 100 ms), so a 429 that arrives 20 ms into a run yields a
// rate near the server's limit instead of a raw count of a few requests. An
// estimate from less than a full second is provisional (a server's burst
// inflates it, too few answers deflate it); a 429 with nothing admitted yet
// and less than a second observed carries no information and changes nothing.
//
// Reacting to a 429 (at most once per one-second cooldown, so that a volley of
// 429s from requests already in flight is one event): rate = 0.9 × min(rate,
// admitted), or 0.95 × when the admitted rate confirms the previous limit;
// the limit becomes min(rate, admitted).
//
// Recovering, after the cooldown: multiplicatively (×1.5/s) up to 0.95 × the
// limit, then slowly (+0.5 % of the limit per second) up to it, then above it
// with an increase that grows ×1.5 per second, in case the limit was
// underestimated or has been raised. Above a provisional limit the rate
// doubles every second instead, until a 429 from a full window settles it.
// The rate never exceeds the configured ceiling; with no ceiling it returns
// to unlimited once it is twice the limit.
//
// Honouring Retry-After: the request that got the 429 waits its Retry-After
// in the client's retry loop; the other callers are paused only when it is
// longer than 2 s (a quota rather than a rate signal), and that paused time
// is left out of the admitted-rate estimate.
type AdaptiveLimiter struct {
	mu      sync.Mutex
	now     func() time.Time
	lim     *rate.Limiter
	ceiling float64 // configured req/s; 0 = unlimited
	cur     float64 // current req/s; +Inf = unlimited

	limit       float64 // estimated server limit in req/s; 0 = none known
	provisional bool    // limit estimated from less than a full window
	aboveFor    float64 // seconds of probing spent above limit

	lastDecrease time.Time
	nextStep     time.Time // when the next recovery step applies
	pauseUntil   time.Time

	// Admitted answers in two one-second buckets; observed is when the
	// current stretch of observation began.
	sent              bool // a request has passed Wait
	observed          time.Time
	winStart          time.Time
	winOK, prvOK      int
	answersSinceReset int
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
	l := &AdaptiveLimiter{now: now, ceiling: rps}
	l.resetWindow(now())
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
// a long Retry-After has passed, then until the token bucket grants a slot.
func (l *AdaptiveLimiter) Wait(ctx context.Context) error {
	for {
		l.mu.Lock()
		now := l.now()
		if !l.sent {
			// Observation starts with the first request, not at creation:
			// the limiter may be built long before the import sends anything.
			l.sent = true
			if l.answersSinceReset == 0 {
				l.resetWindow(now)
			}
		}
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

// pausedUntil returns the end of the current pause of all callers.
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
	l.answersSinceReset++
	l.mu.Unlock()
}

// Throttled reports a 429 whose Retry-After (0 when absent) the request that
// got it waits out itself. See the type's documentation for the reaction.
func (l *AdaptiveLimiter) Throttled(retryAfter time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.advance(now)
	if retryAfter > pauseAllAfter {
		if until := now.Add(min(retryAfter, maxPause)); until.After(l.pauseUntil) {
			l.pauseUntil = until
		}
		// No recovery while paused.
		if l.pauseUntil.After(l.nextStep) {
			l.nextStep = l.pauseUntil
		}
	}
	if !l.lastDecrease.IsZero() && now.Sub(l.lastDecrease) < adaptiveCooldown {
		return
	}
	admitted, full := l.admitted(now)
	if admitted == 0 && !full {
		// Nothing admitted yet: no basis for an estimate; wait for answers.
		return
	}
	base := admitted
	if l.cur < base {
		// The server admitted more than the current rate (a burst, or the
		// rate was lowered within the window): the rate is the better bound.
		base = l.cur
	}
	base = max(base, adaptiveFloor)
	factor := adaptiveDecrease
	if l.limit > 0 && !l.provisional && math.Abs(base-l.limit) <= confirmTolerance*l.limit {
		factor = confirmedDecrease
	}
	l.limit, l.provisional = base, !full
	l.aboveFor = 0
	l.lastDecrease = now
	l.nextStep = now.Add(adaptiveCooldown)
	if l.pauseUntil.After(l.nextStep) {
		l.nextStep = l.pauseUntil
	}
	l.setRate(now, max(adaptiveFloor, factor*base))
}

// advance applies the recovery steps due by now. Caller holds mu.
func (l *AdaptiveLimiter) advance(now time.Time) {
	l.roll(now)
	if math.IsInf(l.cur, 1) || now.Before(l.nextStep) {
		return
	}
	const dt = float64(recoveryStep) / float64(time.Second)
	r := l.cur
	for !now.Before(l.nextStep) {
		l.nextStep = l.nextStep.Add(recoveryStep)
		switch fast := fastRecovery * l.limit; {
		case l.provisional:
			r *= math.Pow(slowStartGrowth, dt)
		case r < fast:
			r = min(fast, r*math.Pow(fastGrowth, dt))
		case r < l.limit:
			r = min(l.limit, r+probeIncrease*l.limit*dt)
		default:
			r += probeIncrease * l.limit * dt * math.Pow(probeAccel, l.aboveFor)
			l.aboveFor += dt
		}
		if l.ceiling > 0 && r >= l.ceiling {
			r = l.ceiling
			break
		}
		if l.ceiling == 0 && r > unlimitedAfter*l.limit {
			r, l.limit, l.provisional = math.Inf(1), 0, false
			break
		}
	}
	if !now.Before(l.nextStep) {
		// Left the loop at the top: nothing more to recover.
		l.nextStep = now
	}
	l.setRate(now, r)
}

// resetWindow starts a new stretch of observation at t. Caller holds mu.
func (l *AdaptiveLimiter) resetWindow(t time.Time) {
	l.observed, l.winStart = t, t
	l.winOK, l.prvOK, l.answersSinceReset = 0, 0, 0
}

// roll moves the window forward: by a bucket each second, and to a fresh
// start after a pause of all callers or two seconds without answers (paused
// or idle time says nothing about the server's limit). Caller holds mu.
func (l *AdaptiveLimiter) roll(now time.Time) {
	if l.observed.Before(l.pauseUntil) && !now.Before(l.pauseUntil) {
		l.resetWindow(l.pauseUntil)
	}
	el := now.Sub(l.winStart)
	switch {
	case el < estimateWindow:
	case el < 2*estimateWindow:
		l.prvOK, l.winOK = l.winOK, 0
		l.winStart = l.winStart.Add(estimateWindow)
	default:
		l.resetWindow(now)
	}
}

// admitted estimates the req/s the server admitted: over the last second
// (weighting the previous bucket by how much of it is still inside the
// window) or, when less than a second has been observed, over that time
// (at least minObserved). full reports a whole second observed. Caller
// holds mu.
func (l *AdaptiveLimiter) admitted(now time.Time) (rps float64, full bool) {
	obs := now.Sub(l.observed)
	if obs < estimateWindow {
		return float64(l.prvOK+l.winOK) / max(obs, minObserved).Seconds(), false
	}
	frac := float64(now.Sub(l.winStart)) / float64(estimateWindow)
	return float64(l.prvOK)*(1-frac) + float64(l.winOK), true
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
	if r == l.cur {
		return
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
