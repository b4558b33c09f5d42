package report

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// StatusOrder is the fixed order in which statuses are printed: successes,
// dry-run outcomes, then the ones needing attention.
var StatusOrder = []Status{Created, Updated, Unchanged, Deactivated, Deleted, WouldCreate, WouldUpdate,
	WouldDeactivate, WouldDelete, Valid, Skipped, Invalid, Failed}

// Summary describes one run: the stderr line, --summary-json and the XLSX
// Summary sheet.
type Summary struct {
	Command    string `json:"command"` // validate | import | template ...
	Input      string `json:"input"`
	Report     string `json:"report"`
	ErrorsFile string `json:"errors_file,omitempty"`
	// ErrorsFiles lists every errors file when there are two (a two-file
	// run with problems in both); ErrorsFile is the first.
	ErrorsFiles []string       `json:"errors_files,omitempty"`
	Rows        int            `json:"rows"`
	Counts      map[Status]int `json:"counts"` // keys are status names
	// Changes counts the writes made (or planned) per field over all
	// customers: "firstName", "address.zipCode", "customer.create", …
	Changes       map[string]int `json:"changes,omitempty"`
	Requests      int            `json:"requests"`
	BulkRequests  int            `json:"bulk_import_requests,omitempty"` // of Requests: bulk imports (dry run: planned)
	Retries       int            `json:"retries"`
	RateLimited   int            `json:"rate_limited"` // 429 responses
	Duration      time.Duration  `json:"-"`            // JSON: duration_seconds
	RowsPerSecond float64        `json:"rows_per_second"`
	StartedAt     time.Time      `json:"started_at"`
	ExitCode      int            `json:"exit_code"`
	Aborted       string         `json:"aborted,omitempty"` // why the run stopped early
	Error         string         `json:"error,omitempty"`   // the fatal error of a run that stopped before any row
	DryRun        bool           `json:"dry_run"`
	// Mirror describes the mirror phase (--missing deactivate|delete); its
	// rows are in Counts too, but not in Rows (the input rows).
	Mirror *Mirror `json:"mirror,omitempty"`
}

// Mirror is the mirror phase of an import: the customers in scope that the
// input lacks.
type Mirror struct {
	Action     string `json:"action"` // deactivate | delete
	Scope      string `json:"scope"`
	MaxMissing string `json:"max_missing"`
	InScope    int    `json:"in_scope"` // customers listed in scope
	// Missing counts the customers in scope that the input lacks and that
	// the action applies to (already inactive ones are not deactivated again).
	Missing      int    `json:"missing"`
	ListRequests int    `json:"list_requests"`
	Stopped      string `json:"stopped,omitempty"` // why no customer was touched
	// Rows is the number of mirror rows in the report (after the input rows).
	Rows int `json:"rows"`
}

// rows are the Summary sheet lines of the mirror phase.
func (m *Mirror) rows() [][2]any {
	if m == nil {
		return nil
	}
	out := [][2]any{
		{"Missing customers", m.Action + " (scope " + m.Scope + ", --max-missing " + m.MaxMissing + ")"},
		{"In scope", m.InScope},
		{"Missing", m.Missing},
		{"List requests", m.ListRequests},
	}
	if m.Stopped != "" {
		out = append(out, [2]any{"Mirror stopped", m.Stopped})
	}
	return out
}

type summaryJSON Summary // no methods: avoids recursion

type summaryWire struct {
	summaryJSON
	DurationSeconds float64 `json:"duration_seconds"`
}

// MarshalJSON writes Duration as seconds, fills rows_per_second when unset and
// writes counts as {} rather than null.
func (s Summary) MarshalJSON() ([]byte, error) {
	w := summaryWire{summaryJSON: summaryJSON(s), DurationSeconds: round(s.Duration.Seconds(), 3)}
	w.RowsPerSecond = round(s.rate(), 1)
	if w.Counts == nil {
		w.Counts = map[Status]int{}
	}
	return json.Marshal(w)
}

// UnmarshalJSON is the inverse of MarshalJSON.
func (s *Summary) UnmarshalJSON(b []byte) error {
	var w summaryWire
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*s = Summary(w.summaryJSON)
	s.Duration = time.Duration(math.Round(w.DurationSeconds * float64(time.Second)))
	return nil
}

// rate is RowsPerSecond, or Rows/Duration when the caller left it zero.
func (s Summary) rate() float64 {
	if s.RowsPerSecond != 0 || s.Duration <= 0 {
		return s.RowsPerSecond
	}
	return float64(s.Rows) / s.Duration.Seconds()
}

func round(f float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(f*p) / p
}

func (s Summary) commandLabel() string {
	c := s.Command
	if c == "" {
		c = "run"
	}
	if s.DryRun {
		c += " (dry run)"
	}
	return c
}

// orderedStatuses lists the statuses present in counts in StatusOrder, then
// any unknown ones alphabetically.
func orderedStatuses(counts map[Status]int) []Status {
	out := make([]Status, 0, len(counts))
	for _, st := range StatusOrder {
		if _, ok := counts[st]; ok {
			out = append(out, st)
		}
	}
	var extra []Status
	for st := range counts {
		if !slices.Contains(StatusOrder, st) {
			extra = append(extra, st)
		}
	}
	slices.Sort(extra)
	return append(out, extra...)
}

// Line is the one-line stderr summary, e.g.
//
//	validate: 52 rows — 47 valid, 5 invalid · 0 requests · 0.03s (1733 rows/s) · report reports/x.csv
//
// Zero counts are left out; retries and 429s appear once there were requests.
func (s Summary) Line() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d %s", s.commandLabel(), s.Rows, plural(s.Rows, "row", "rows"))
	var parts []string
	for _, st := range orderedStatuses(s.Counts) {
		if n := s.Counts[st]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, st))
		}
	}
	if len(parts) > 0 {
		b.WriteString(" — ")
		b.WriteString(strings.Join(parts, ", "))
	}
	if len(s.Changes) > 0 {
		b.WriteString(" · changes: ")
		b.WriteString(ChangesText(s.Changes, maxLineChanges))
	}
	fmt.Fprintf(&b, " · %d %s", s.Requests, plural(s.Requests, "request", "requests"))
	if s.BulkRequests > 0 {
		verb := ""
		if s.DryRun {
			verb = "would be "
		}
		fmt.Fprintf(&b, " (%s%d bulk import)", verb, s.BulkRequests)
	}
	if s.Requests > 0 || s.Retries > 0 {
		fmt.Fprintf(&b, ", %d %s", s.Retries, plural(s.Retries, "retry", "retries"))
	}
	if s.RateLimited > 0 {
		fmt.Fprintf(&b, " (%d× 429)", s.RateLimited)
	}
	fmt.Fprintf(&b, " · %s", formatDuration(s.Duration))
	if r := s.rate(); r >= 10 {
		fmt.Fprintf(&b, " (%.0f rows/s)", r)
	} else if r > 0 {
		fmt.Fprintf(&b, " (%.1f rows/s)", r)
	}
	if m := s.Mirror; m != nil {
		fmt.Fprintf(&b, " · %d of %d in scope missing", m.Missing, m.InScope)
	}
	if s.Aborted != "" {
		fmt.Fprintf(&b, " · aborted: %s", s.Aborted)
	}
	if s.Report != "" {
		fmt.Fprintf(&b, " · report %s", s.Report)
	}
	if len(s.ErrorsFiles) > 1 {
		fmt.Fprintf(&b, " · errors %s", strings.Join(s.ErrorsFiles, ", "))
	} else if s.ErrorsFile != "" {
		fmt.Fprintf(&b, " · errors %s", s.ErrorsFile)
	}
	return b.String()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// formatDuration prints short runs in seconds (0.03s) and long ones as 2m5s.
func formatDuration(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%.2fs", d.Seconds())
	}
	return d.Round(time.Second).String()
}

// WriteJSON writes s as indented JSON to path (for --summary-json), creating
// the directory if needed; the file is replaced atomically.
func WriteJSON(path string, s Summary) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("summary json: %w", err)
	}
	b = append(b, '\n')
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("summary json: %w", err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("summary json: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	_ = tmp.Chmod(0o644)        // CreateTemp makes it 0600
	if _, err := tmp.Write(b); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("summary json: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("summary json: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("summary json: %w", err)
	}
	return nil
}

// maxLineChanges caps the fields named on the summary line; the JSON summary
// and the XLSX Summary sheet list them all.
const maxLineChanges = 8

// OrderedChanges lists the changed fields, most changed first, then by name.
func OrderedChanges(changes map[string]int) []string {
	names := make([]string, 0, len(changes))
	for f := range changes {
		names = append(names, f)
	}
	slices.SortFunc(names, func(a, b string) int {
		if d := changes[b] - changes[a]; d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
	return names
}

// ChangesText renders per-field counts as "firstName ×12, address.zipCode ×3",
// at most limit fields (0 = all) and "+N more".
func ChangesText(changes map[string]int, limit int) string {
	names := OrderedChanges(changes)
	var parts []string
	for i, f := range names {
		if limit > 0 && i == limit {
			parts = append(parts, fmt.Sprintf("+%d more", len(names)-limit))
			break
		}
		parts = append(parts, fmt.Sprintf("%s ×%d", f, changes[f]))
	}
	return strings.Join(parts, ", ")
}
