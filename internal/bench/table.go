package bench

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
)

// Goal is a target a figure must meet; the zero Goal means "informational".
type Goal struct {
	Op     string // ">=", "<=", "=="; "" = no goal
	Target float64
}

// AtLeast, AtMost and Exactly build goals.
func AtLeast(v float64) Goal { return Goal{">=", v} }
func AtMost(v float64) Goal  { return Goal{"<=", v} }
func Exactly(v float64) Goal { return Goal{"==", v} }

// Met reports whether v meets the goal (always true without one).
func (g Goal) Met(v float64) bool {
	switch g.Op {
	case ">=":
		return v >= g.Target
	case "<=":
		return v <= g.Target
	case "==":
		return v == g.Target
	}
	return true
}

func (g Goal) String() string {
	if g.Op == "" {
		return ""
	}
	return g.Op + " " + formatValue(g.Target)
}

// Figure is one measured figure of a scenario.
type Figure struct {
	Scenario string
	Metric   string
	Value    float64
	Goal     Goal
	Note     string
}

// Table collects figures from benchmarks; safe for concurrent use.
type Table struct {
	mu   sync.Mutex
	figs []Figure
}

// Add records a figure, replacing an earlier one of the same scenario and
// metric (benchmarks may run several times).
func (t *Table) Add(f Figure) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for i := range t.figs {
		if t.figs[i].Scenario == f.Scenario && t.figs[i].Metric == f.Metric {
			t.figs[i] = f
			return
		}
	}
	t.figs = append(t.figs, f)
}

// Len returns the number of figures.
func (t *Table) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.figs)
}

// Missed returns the figures that miss their goal.
func (t *Table) Missed() []Figure {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []Figure
	for _, f := range t.figs {
		if !f.Goal.Met(f.Value) {
			out = append(out, f)
		}
	}
	return out
}

// Fprint writes the table as aligned text (Markdown-compatible).
func (t *Table) Fprint(w io.Writer) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	rows := [][]string{{"scenario", "metric", "value", "goal", "ok", "note"}}
	for _, f := range t.figs {
		ok := ""
		if f.Goal.Op != "" {
			ok = "yes"
			if !f.Goal.Met(f.Value) {
				ok = "NO"
			}
		}
		rows = append(rows, []string{f.Scenario, f.Metric, formatValue(f.Value), f.Goal.String(), ok, f.Note})
	}
	width := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, c := range r {
			width[i] = max(width[i], len([]rune(c)))
		}
	}
	bw := bufio.NewWriter(w)
	line := func(r []string) {
		bw.WriteString("|")
		for i, c := range r {
			fmt.Fprintf(bw, " %s%s |", c, strings.Repeat(" ", width[i]-len([]rune(c))))
		}
		bw.WriteString("\n")
	}
	line(rows[0])
	sep := make([]string, len(width))
	for i, n := range width {
		sep[i] = strings.Repeat("-", n)
	}
	line(sep)
	for _, r := range rows[1:] {
		line(r)
	}
	return bw.Flush()
}

func formatValue(v float64) string {
	switch {
	case v == float64(int64(v)) && v < 1e15 && v > -1e15:
		return strconv.FormatInt(int64(v), 10)
	case v >= 100 || v <= -100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 10 || v <= -10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 3, 64)
}

// Machine describes the host: CPU count, CPU model and Go version.
func Machine() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	return fmt.Sprintf("%d CPUs (GOMAXPROCS %d), %s, %s %s/%s", runtime.NumCPU(), runtime.GOMAXPROCS(0), model,
		runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
