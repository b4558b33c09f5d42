package bench

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/emporix-import/emporix-import/emulator"
)

// reqSpan is one request as the server saw it: when its handler began and
// ended, relative to the tracer's zero.
type reqSpan struct {
	method, path, conn string
	start, end         time.Duration
}

// reqTracer wraps the emulator's handler and records every request's span.
type reqTracer struct {
	next  http.Handler
	mu    sync.Mutex
	zero  time.Time
	spans []reqSpan
}

func (t *reqTracer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	t.next.ServeHTTP(w, r)
	end := time.Now()
	t.mu.Lock()
	t.spans = append(t.spans, reqSpan{r.Method, r.URL.Path, r.RemoteAddr, start.Sub(t.zero), end.Sub(t.zero)})
	t.mu.Unlock()
}

// BenchmarkLatencyTimeline runs one import at 20 ms latency (concurrency
// LAT_C, default 64) and prints where its wall time goes: the start-up
// before the first customer write, the requests in flight over time, and the
// time after the last request. A diagnostic for goal 16.6, not a figure.
func BenchmarkLatencyTimeline(b *testing.B) {
	skipShort(b)
	conc := envInt("LAT_C", 64)
	in := filepath.Join(b.TempDir(), "latency.csv")
	if _, err := WriteCSV(in, Stream(goalLatencyCusts, 1)); err != nil {
		b.Fatal(err)
	}
	for range b.N {
		tr := &reqTracer{}
		ten := newTenantWith(emulator.Config{Latency: e2eLatency}, func(h http.Handler) http.Handler { tr.next = h; return tr })
		tr.zero = time.Now()
		cpu0, m0 := cpuTime(), mallocs()
		r, err := ten.Import(context.Background(), in, ImportOptions{Concurrency: conc, Dir: b.TempDir()})
		cpu, allocs := cpuTime()-cpu0, mallocs()-m0
		ten.Close()
		if err != nil {
			b.Fatal(err)
		}
		fmt.Fprint(os.Stdout, timeline(tr.spans, r, conc))
		fmt.Fprintf(os.Stdout, "  process CPU %v = %.0f µs per request, %.0f allocs per request (client and emulator)\n",
			cpu.Round(time.Millisecond), float64(cpu.Microseconds())/float64(r.Client.Requests), float64(allocs)/float64(r.Client.Requests))
	}
}

// timeline summarises spans: phases, and the mean requests in flight per 50 ms.
func timeline(spans []reqSpan, r Run, conc int) string {
	slices.SortFunc(spans, func(a, b reqSpan) int { return int(a.start - b.start) })
	var sb strings.Builder
	ideal := time.Duration(float64(r.Client.Requests) / (float64(conc) / e2eLatency.Seconds()) * float64(time.Second))
	fmt.Fprintf(&sb, "c%d wall %v, client requests %d (ideal wall %v, ratio %.3f), server requests %d, conns %d\n",
		conc, r.Wall.Round(time.Millisecond), r.Client.Requests, ideal.Round(time.Millisecond),
		ideal.Seconds()/r.Wall.Seconds(), len(spans), r.Conns)
	firstPost, lastEnd := time.Duration(-1), time.Duration(0)
	kinds := map[string]int{}
	for _, s := range spans {
		kinds[s.method+" "+pathShape(s.path)]++
	}
	fmt.Fprintf(&sb, "  requests by kind: %v\n", kinds)
	for i, s := range spans {
		if i < 4 {
			fmt.Fprintf(&sb, "  %-5s %-40s %v → %v\n", s.method, s.path, s.start.Round(time.Millisecond), s.end.Round(time.Millisecond))
		}
		if s.method == http.MethodPost && firstPost < 0 && !strings.HasSuffix(s.path, "/token") {
			firstPost = s.start
		}
		lastEnd = max(lastEnd, s.end)
	}
	fmt.Fprintf(&sb, "  first customer write at %v; last request ends %v; wall − last end %v\n",
		firstPost.Round(time.Millisecond), lastEnd.Round(time.Millisecond), (r.Wall - lastEnd).Round(time.Millisecond))
	const slot = 50 * time.Millisecond
	var busy []time.Duration
	for _, s := range spans {
		for t := s.start; t < s.end; {
			i := int(t / slot)
			next := min(s.end, time.Duration(i+1)*slot)
			for len(busy) <= i {
				busy = append(busy, 0)
			}
			busy[i] += next - t
			t = next
		}
	}
	sb.WriteString("  in flight per 50 ms:")
	for _, d := range busy {
		fmt.Fprintf(&sb, " %.0f", float64(d)/float64(slot))
	}
	sb.WriteString("\n")
	var excess time.Duration
	n := 0
	for _, s := range spans {
		if s.end-s.start > e2eLatency {
			excess += s.end - s.start - e2eLatency
			n++
		}
	}
	if n > 0 {
		fmt.Fprintf(&sb, "  server-side time beyond the latency: mean %v over %d requests\n", (excess / time.Duration(n)).Round(time.Microsecond), n)
	}
	sb.WriteString(turnaround(spans))
	return sb.String()
}

// pathShape replaces a path's ids with placeholders: /customers/{id}/addresses.
func pathShape(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		if i > 0 && (parts[i-1] == "customers" || parts[i-1] == "addresses") && s != "" && s != "search" {
			parts[i] = "{id}"
		}
	}
	return strings.Join(parts, "/")
}

// cpuTime is the process's user plus system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func mallocs() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.Mallocs
}

// turnaround: on one connection, the time from the server finishing a
// request to it starting the next one, when that is under the latency (the
// same worker's next request: the client's time between two requests plus
// the loopback both ways).
func turnaround(spans []reqSpan) string {
	last := map[string]time.Duration{}
	var gaps []time.Duration
	for _, s := range spans { // sorted by start
		if end, ok := last[s.conn]; ok && s.start-end < e2eLatency {
			gaps = append(gaps, s.start-end)
		}
		last[s.conn] = s.end
	}
	if len(gaps) == 0 {
		return ""
	}
	slices.Sort(gaps)
	var sum time.Duration
	for _, g := range gaps {
		sum += g
	}
	return fmt.Sprintf("  client turnaround between requests on one connection: median %v, mean %v, p90 %v (%d gaps)\n",
		gaps[len(gaps)/2].Round(time.Microsecond), (sum / time.Duration(len(gaps))).Round(time.Microsecond),
		gaps[len(gaps)*9/10].Round(time.Microsecond), len(gaps))
}
