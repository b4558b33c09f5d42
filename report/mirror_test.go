package report

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/emporix-import/emporix-import/sheet"
)

// Mirror rows (customers the input lacks) follow the input rows: import_row
// empty, no source cells, never in the errors file (nothing to re-import).
func TestMirrorRows(t *testing.T) {
	for _, ext := range []string{".csv", ".xlsx"} {
		t.Run(ext, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "r"+ext)
			w, err := Create(path, sampleHeader)
			if err != nil {
				t.Fatal(err)
			}
			rs := []Result{
				{Seq: 0, Row: 2, Cells: []string{"K1"}, Status: Unchanged, CustomerNumber: "K1"},
				{Seq: 1, Status: Deactivated, CustomerNumber: "K2", Changes: []string{"active: true → false"}},
				{Seq: 2, Status: Failed, CustomerNumber: "K3", Message: "PATCH /customers/K3: 503"},
				{Seq: 3, Status: WouldDelete, CustomerNumber: "K4"},
			}
			for _, r := range rs {
				if err := w.Write(r); err != nil {
					t.Fatal(err)
				}
			}
			m := &Mirror{Action: "deactivate", Scope: "customerNumber:K*", MaxMissing: "5%", InScope: 4, Missing: 3, ListRequests: 2}
			if err := w.Close(Summary{Command: "import", Rows: 1, Mirror: m}); err != nil {
				t.Fatal(err)
			}
			got := reportRows(t, path)
			want := [][]string{
				{"K1", "", "", "", "2", "unchanged", "K1", "", "", ""},
				{"", "", "", "", "", "deactivated", "K2", "", "active: true → false", ""},
				{"", "", "", "", "", "failed", "K3", "", "", "PATCH /customers/K3: 503"},
				{"", "", "", "", "", "would_delete", "K4", "", "", ""},
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("rows\n got %q\nwant %q", got, want)
			}
			if _, err := os.Stat(ErrorsPath(path)); !os.IsNotExist(err) {
				t.Errorf("errors file written for a mirror row: %v", err)
			}
			if c := w.Counts(); c[Deactivated] != 1 || c[Failed] != 1 || c[WouldDelete] != 1 {
				t.Errorf("counts = %v", c)
			}
			if ext == ".xlsx" {
				checkMirrorSummarySheet(t, path)
			}
		})
	}
}

func reportRows(t *testing.T, path string) [][]string {
	t.Helper()
	var rows [][]string
	if filepath.Ext(path) == ".csv" {
		rows = readCSV(t, path)
	} else {
		var err error
		if rows, err = openXLSX(t, path).GetRows("Report"); err != nil {
			t.Fatal(err)
		}
	}
	out := rows[1:]
	for i := range out { // GetRows drops trailing empty cells
		for len(out[i]) < len(sampleHeader)+len(ReportColumns) {
			out[i] = append(out[i], "")
		}
	}
	return out
}

func checkMirrorSummarySheet(t *testing.T, path string) {
	t.Helper()
	rows, err := openXLSX(t, path).GetRows("Summary")
	if err != nil {
		t.Fatal(err)
	}
	labels := map[string]string{}
	for _, r := range rows {
		if len(r) == 2 {
			labels[r[0]] = r[1]
		}
	}
	want := map[string]string{"Missing customers": "deactivate (scope customerNumber:K*, --max-missing 5%)",
		"In scope": "4", "Missing": "3", "List requests": "2", "deactivated": "1", "would_delete": "1", "failed": "1"}
	for k, v := range want {
		if labels[k] != v {
			t.Errorf("Summary %q = %q, want %q", k, labels[k], v)
		}
	}
}

func TestMirrorSummaryJSONAndLine(t *testing.T) {
	s := Summary{Command: "import", Rows: 970, Counts: map[Status]int{Unchanged: 970, Deactivated: 30},
		Mirror: &Mirror{Action: "deactivate", Scope: "customerNumber:K*", MaxMissing: "5%", InScope: 1000, Missing: 30, ListRequests: 2, Rows: 30}}
	if got, want := s.Line(), "import: 970 rows — 970 unchanged, 30 deactivated · 0 requests · 0.00s · 30 of 1000 in scope missing"; got != want {
		t.Errorf("Line()\n got %q\nwant %q", got, want)
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var raw struct {
		Counts map[string]int  `json:"counts"`
		Mirror json.RawMessage `json:"mirror"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	if raw.Counts["deactivated"] != 30 || string(raw.Mirror) != `{"action":"deactivate","scope":"customerNumber:K*","max_missing":"5%","in_scope":1000,"missing":30,"list_requests":2,"rows":30}` {
		t.Errorf("JSON = %s", b)
	}
	var back Summary
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back.Mirror, s.Mirror) {
		t.Errorf("round trip mirror = %+v, %v", back.Mirror, err)
	}
}

// In a two-file report a mirror row names no input file.
func TestMirrorRowWithSecondInput(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.csv")
	w, err := Create(path, []string{"email"}, WithSecondInput("in/c.csv", "in/a.csv", "addresses", []string{"email", "street"}, sheet.Options{}))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []Result{
		{Seq: 0, Row: 2, File: "in/c.csv", Cells: []string{"a@x.de"}, Status: Unchanged},
		{Seq: 1, Status: Deactivated, CustomerNumber: "K9"},
	} {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(Summary{}); err != nil {
		t.Fatal(err)
	}
	rows := readCSV(t, path)
	if got := rows[2]; !reflect.DeepEqual(got, []string{"", "", "", "", "deactivated", "K9", "", "", ""}) {
		t.Errorf("mirror row = %q (header %q)", got, rows[0])
	}
}
