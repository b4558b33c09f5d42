package main

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"slices"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/emporix-import/emporix-import/emporix"
)

// The probe: probeSequential reads one after another (the latency of one
// worker), then probeBurst reads with probeParallel workers (what happens under
// load). Together at most 50 GET requests, never a write.
const (
	probeSequential = 10
	probeBurst      = 40
	probeParallel   = 8
	// A 50-request burst cannot prove a tenant sustains more than this.
	probeMaxRate = 80
)

type probeStats struct {
	latencies []time.Duration
	throttled int
	failed    int
	firstErr  error
	wall      time.Duration
}

func (p *probeStats) record(d time.Duration, err error) {
	switch {
	case err == nil:
		p.latencies = append(p.latencies, d)
	case emporix.StatusOf(err) == http.StatusTooManyRequests:
		p.throttled++
	default:
		p.failed++
		if p.firstErr == nil {
			p.firstErr = err
		}
	}
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func (d *doctor) runProbe(ctx context.Context) {
	if !d.opts.probe {
		return
	}
	if d.client == nil || !d.tokenOK {
		d.add(checkResult{Name: "probe", Status: checkSkip, Detail: "needs a token and the read scope"})
		return
	}
	seq, burst := probeReads(ctx, d.client)
	c := checkResult{Name: "probe", Status: checkOK, LatencyMS: ms(median(burst.latencies))}
	c.Detail = fmt.Sprintf("%d reads: median %.0f ms alone, %.0f ms with %d in parallel; %d throttled (429)",
		probeSequential+probeBurst, ms(median(seq.latencies)), ms(median(burst.latencies)),
		probeParallel, seq.throttled+burst.throttled)
	if n := seq.failed + burst.failed; n > 0 {
		first := seq.firstErr
		if first == nil {
			first = burst.firstErr
		}
		c.Status = checkWarn
		c.Detail += fmt.Sprintf("; %d failed, first: %v", n, first)
	}
	d.add(c)
	if len(seq.latencies)+len(burst.latencies) > 0 || seq.throttled+burst.throttled > 0 {
		d.suggested = suggest(seq, burst)
	}
}

func probeReads(ctx context.Context, cl *emporix.Client) (seq, burst probeStats) {
	read := func() (time.Duration, error) {
		start := time.Now()
		_, err := cl.ListCustomers(ctx, emporix.ListOptions{PageSize: 1, PageNumber: 1})
		return time.Since(start), err
	}
	start := time.Now()
	for range probeSequential {
		seq.record(read())
	}
	seq.wall = time.Since(start)
	var mu sync.Mutex
	g := new(errgroup.Group)
	g.SetLimit(probeParallel)
	start = time.Now()
	for range probeBurst {
		g.Go(func() error {
			dur, err := read()
			mu.Lock()
			burst.record(dur, err)
			mu.Unlock()
			return nil
		})
	}
	_ = g.Wait()
	burst.wall = time.Since(start)
	return seq, burst
}

// suggest turns the probe into flags. Throttled: 70% of the rate the tenant
// accepted over the whole probe (plus the scope check's read just before),
// counted as lasting at least a second (rate limits are per-second windows). Not throttled: 80% of the measured throughput, capped
// at probeMaxRate. Concurrency: enough workers to keep that rate busy at the
// loaded latency (Little's law), doubled because a customer takes several
// sequential requests, within [2, 32].
func suggest(seq, burst probeStats) *suggestion {
	lat := median(burst.latencies)
	if lat == 0 {
		lat = median(seq.latencies)
	}
	s := &suggestion{
		Requests:  probeSequential + probeBurst,
		Throttled: seq.throttled + burst.throttled,
		LatencyMS: ms(lat),
	}
	if s.Throttled > 0 {
		ok := float64(1 + len(seq.latencies) + len(burst.latencies))
		accepted := ok / max((seq.wall+burst.wall).Seconds(), 1)
		s.Rate = max(1, int(0.7*accepted))
		s.Reason = fmt.Sprintf("throttled: the tenant accepted about %.0f req/s", accepted)
	} else {
		tput := float64(len(burst.latencies)) / max(burst.wall, time.Millisecond).Seconds()
		s.Rate = min(probeMaxRate, max(1, int(0.8*tput)))
		s.Reason = fmt.Sprintf("not throttled at %.0f req/s; the import backs off by itself on 429", tput)
	}
	conc := int(math.Ceil(2 * float64(s.Rate) * lat.Seconds()))
	s.Concurrency = min(32, max(2, conc))
	return s
}
