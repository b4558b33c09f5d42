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

	// Admitted-rate estimate: successes counted in windowBuckets slices of
	// bucketWidth (about the last second), divided by the active time those
	// slices cover (at least minObserved). Less than fullWindow of it makes
	// a provisional estimate.
	windowBuckets = 10
	bucketWidth   = 100 * time.Millisecond
	minObserved   = 100 * time.Millisecond
	fullWindow    = 500 * time.Millisecond

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
// admitted rate is the count over the last second divided by the time in it
// during which requests were sent or answered (in 100 ms slices), so that a
// second in which every caller sat in a Retry-After does not dilute it. When
// that active time is under half a second (the run just started, or a
// server's burst admitted everything at once), the count is divided by the
// time since activity began instead (at most a second, at least 100 ms;
// activity begins with the first request, after an idle second with no
// Retry-After pending, and at the end of a pause of all callers). So a 429
// that arrives 20 ms into a run yields a rate near the server's limit, not a
// raw count of a few requests. An estimate from less than half a second is
// provisional (a burst inflates it, few answers make it noisy); a 429 before
// anything was admitted in such a short window changes nothing.
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
// doubles every second instead, until a 429 with a full window settles it.
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
	provisional bool    // limit estimated from less than fullWindow
	aboveFor    float64 // seconds of probing spent above limit

	lastDecrease time.Time
	nextStep     time.Time // when the next recovery step applies
	pauseUntil   time.Time

	// The estimate window, a ring of buckets; buckets[newest] began at head.
	// A bucket is active when a request was sent or answered during it.
	// since is when the current stretch of activity began (zero: none yet);
	// it ends after a pause of all callers (resetAt is the last such reset)
	// or a second idle: nothing sent or answered, no Retry-After pending
	// (waitsUntil is the end of the last one).
	head       time.Time
	newest     int
	buckets    [windowBuckets]bucket
	resetAt    time.Time
	since      time.Time
	lastActive time.Time
	waitsUntil time.Time
}

type bucket struct {
	ok     int  // answers other than 429
	active bool // a request was sent or answered
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
		pause := l.pauseLeft(l.now())
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

// pauseLeft returns how long all callers are still paused at now; when not
// paused, a request is about to go.
func (l *AdaptiveLimiter) pauseLeft(now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.advance(now)
	pause := l.pauseUntil.Sub(now)
	if pause <= 0 {
		l.markActive(now)
	}
	return pause
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
	now := l.now()
	l.roll(now)
	l.markActive(now)
	l.buckets[l.newest].ok++
	l.mu.Unlock()
}

// Throttled reports a 429 whose Retry-After (0 when absent) the request that
// got it waits out itself. See the type's documentation for the reaction.
func (l *AdaptiveLimiter) Throttled(retryAfter time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.advance(now)
	l.markActive(now)
	if until := now.Add(retryAfter); until.After(l.waitsUntil) {
		l.waitsUntil = until
	}
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
	factor, confirmed := adaptiveDecrease, false
	if l.limit > 0 && !l.provisional && math.Abs(base-l.limit) <= confirmTolerance*l.limit {
		// Same limit as last time: it is known, back off less, and a short
		// window agreeing with it does not make it provisional.
		factor, confirmed = confirmedDecrease, true
	}
	l.limit, l.provisional = base, !full && !confirmed
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
	if l.limit == 0 {
		// Never throttled: the rate is the ceiling already.
		l.nextStep = now
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

// resetWindow empties the estimate window at t. Caller holds mu.
func (l *AdaptiveLimiter) resetWindow(t time.Time) {
	l.head, l.resetAt, l.since = t, t, time.Time{}
	clear(l.buckets[:])
}

// markActive notes that a request is sent or answered at now (after roll).
// Caller holds mu.
func (l *AdaptiveLimiter) markActive(now time.Time) {
	quiet := l.lastActive
	if l.waitsUntil.After(quiet) {
		quiet = l.waitsUntil
	}
	if l.since.IsZero() || now.Sub(quiet) >= windowBuckets*bucketWidth {
		l.since = now
	}
	l.lastActive = now
	l.buckets[l.newest].active = true
}

// roll moves the window forward to now, and empties it at the end of a pause
// of all callers (answers and time from the pause do not count). Caller
// holds mu.
func (l *AdaptiveLimiter) roll(now time.Time) {
	if l.resetAt.Before(l.pauseUntil) && !now.Before(l.pauseUntil) {
		l.resetWindow(l.pauseUntil)
	}
	n := int(now.Sub(l.head) / bucketWidth)
	if n <= 0 {
		return
	}
	for i := range min(n, windowBuckets) {
		l.buckets[(l.newest+1+i)%windowBuckets] = bucket{}
	}
	l.newest = (l.newest + n) % windowBuckets
	l.head = l.head.Add(time.Duration(n) * bucketWidth)
}

// admitted estimates the req/s the server admitted from the answers in the
// window. It divides them by the active time in the window when that is at
// least fullWindow: time in which every caller sat in a Retry-After says
// nothing about the server's limit. Otherwise, the active time being short
// (the stretch of activity just began, or a server's burst admitted the
// whole lot at once), it divides them by the time since the stretch began,
// at most the window and at least minObserved; full reports that this is
// at least fullWindow. Caller holds mu.
func (l *AdaptiveLimiter) admitted(now time.Time) (rps float64, full bool) {
	covered := now.Sub(l.head) + (windowBuckets-1)*bucketWidth
	active := now.Sub(l.head) // the newest bucket: active now
	n := 0
	for i, b := range l.buckets {
		n += b.ok
		if b.active && i != l.newest {
			active += bucketWidth
		}
	}
	if active >= fullWindow {
		return float64(n) / active.Seconds(), true
	}
	span := min(now.Sub(l.since), covered)
	return float64(n) / max(span, minObserved).Seconds(), span >= fullWindow
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
