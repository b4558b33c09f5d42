package report

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

func TestSummaryLine(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    Summary
		want string
	}{
		{"validate", Summary{Command: "validate", Rows: 52, Counts: map[Status]int{Invalid: 5, Valid: 47},
			Duration: 30 * time.Millisecond, Report: "reports/x.csv"},
			"validate: 52 rows — 47 valid, 5 invalid · 0 requests · 0.03s (1733 rows/s) · report reports/x.csv"},
		{"import with retries, zero counts hidden, errors file", Summary{Command: "import", Rows: 10,
			Counts:   map[Status]int{Failed: 1, Created: 6, Unchanged: 3, Updated: 0},
			Requests: 31, Retries: 4, RateLimited: 2, Duration: 95 * time.Second, RowsPerSecond: 0.1,
			Report: "r.xlsx", ErrorsFile: "r.errors.xlsx"},
			"import: 10 rows — 6 created, 3 unchanged, 1 failed · 31 requests, 4 retries (2× 429) · 1m35s (0.1 rows/s) · report r.xlsx · errors r.errors.xlsx"},
		{"dry run, aborted, singular", Summary{Command: "import", DryRun: true, Rows: 1, Counts: map[Status]int{WouldCreate: 1},
			Requests: 1, Duration: 1500 * time.Millisecond, Aborted: "--stop-on-error"},
			"import (dry run): 1 row — 1 would_create · 1 request, 0 retries · 1.50s (0.7 rows/s) · aborted: --stop-on-error"},
		{"empty", Summary{Command: "validate"}, "validate: 0 rows · 0 requests · 0.00s"},
		{"status order is fixed", Summary{Command: "import", Rows: 9, Counts: map[Status]int{
			Failed: 1, Invalid: 1, Skipped: 1, Valid: 1, WouldUpdate: 1, WouldCreate: 1, Unchanged: 1, Updated: 1, Created: 1}},
			"import: 9 rows — 1 created, 1 updated, 1 unchanged, 1 would_create, 1 would_update, 1 valid, 1 skipped, 1 invalid, 1 failed · 0 requests · 0.00s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.s.Line(); got != tc.want {
				t.Errorf("Line()\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestSummaryJSON(t *testing.T) {
	s := Summary{Command: "import", Input: "in.csv", Report: "r.csv", ErrorsFile: "r.errors.csv", Rows: 4,
		Counts: map[Status]int{Created: 3, Failed: 1}, Requests: 12, Retries: 2, RateLimited: 1,
		Duration: 2500 * time.Millisecond, StartedAt: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC), ExitCode: 3}
	path := filepath.Join(t.TempDir(), "sub", "summary.json")
	if err := WriteJSON(path, s); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"command": "import", "input": "in.csv", "report": "r.csv", "errors_file": "r.errors.csv", "rows": 4.0,
		"counts": map[string]any{"created": 3.0, "failed": 1.0}, "requests": 12.0, "retries": 2.0, "rate_limited": 1.0,
		"duration_seconds": 2.5, "rows_per_second": 1.6, "started_at": "2025-01-02T03:04:05Z", "exit_code": 3.0,
		"dry_run": false,
	}
	if !reflect.DeepEqual(raw, want) {
		t.Errorf("JSON\n got %v\nwant %v", raw, want)
	}
	var back Summary
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	s.RowsPerSecond = 1.6 // filled in on the way out
	if !reflect.DeepEqual(back, s) {
		t.Errorf("round trip\n got %+v\nwant %+v", back, s)
	}

	b, err = json.Marshal(Summary{Command: "validate", Aborted: "interrupted"})
	if err != nil {
		t.Fatal(err)
	}
	raw = nil
	_ = json.Unmarshal(b, &raw)
	if c, ok := raw["counts"].(map[string]any); !ok || len(c) != 0 {
		t.Errorf("nil counts marshalled as %v, want {}", raw["counts"])
	}
	if raw["aborted"] != "interrupted" {
		t.Errorf("aborted = %v", raw["aborted"])
	}
	if _, ok := raw["errors_file"]; ok {
		t.Error("empty errors_file not omitted")
	}
}

func TestSummaryChanges(t *testing.T) {
	changes := map[string]int{"firstName": 12, "address.zipCode": 3, "lastName": 3, "customer.create": 40}
	if got, want := ChangesText(changes, 0), "customer.create ×40, firstName ×12, address.zipCode ×3, lastName ×3"; got != want {
		t.Errorf("ChangesText = %q, want %q", got, want)
	}
	if got, want := ChangesText(changes, 2), "customer.create ×40, firstName ×12, +2 more"; got != want {
		t.Errorf("ChangesText limited = %q, want %q", got, want)
	}
	s := Summary{Command: "import", Rows: 55, Changes: changes}
	if line := s.Line(); !strings.Contains(line, " · changes: customer.create ×40, firstName ×12, address.zipCode ×3, lastName ×3 · ") {
		t.Errorf("line = %s", line)
	}
	if line := (Summary{Command: "import", Rows: 1}).Line(); strings.Contains(line, "changes") {
		t.Errorf("line without changes names them: %s", line)
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var back Summary
	if err := json.Unmarshal(b, &back); err != nil || !maps.Equal(back.Changes, changes) {
		t.Errorf("JSON round trip: %v %v (%s)", err, back.Changes, b)
	}

	path := filepath.Join(t.TempDir(), "r.xlsx")
	w, err := Create(path, []string{"a"})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(Result{Row: 2, Cells: []string{"x"}, Status: Updated}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(s); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows("Summary")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for i, r := range rows {
		if len(r) == 2 && r[0] == "Changed field" {
			for _, r := range rows[i+1:] {
				got = append(got, strings.Join(r, "="))
			}
		}
	}
	if want := []string{"customer.create=40", "firstName=12", "address.zipCode=3", "lastName=3"}; !slices.Equal(got, want) {
		t.Errorf("Summary sheet changes = %q, want %q", got, want)
	}
}
