package report

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/emporix-import/emporix-import/sheet"
)

func openXLSX(t *testing.T, path string) *excelize.File {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Close() })
	return f
}

func fillOf(t *testing.T, f *excelize.File, sheet, ref string) string {
	t.Helper()
	id, err := f.GetCellStyle(sheet, ref)
	if err != nil {
		t.Fatal(err)
	}
	st, err := f.GetStyle(id)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Fill.Color) == 0 {
		return ""
	}
	c := strings.ToUpper(st.Fill.Color[0])
	if len(c) == 8 { // ARGB
		c = c[2:]
	}
	return c
}

func TestXLSXReport(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "report.xlsx")
	w, err := Create(path, sampleHeader, WithSource(sheet.Options{Sheet: "Kunden", HeaderRow: 3}))
	if err != nil {
		t.Fatal(err)
	}
	rs := append(sampleResults(),
		Result{Seq: 5, Row: 8, Cells: []string{"C1005"}, Status: WouldCreate},
		Result{Seq: 6, Row: 9, Cells: []string{"C1006"}, Status: Skipped})
	for _, i := range []int{6, 2, 0, 5, 1, 4, 3} {
		if err := w.Write(rs[i]); err != nil {
			t.Fatal(err)
		}
	}
	started := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	if err := w.Close(Summary{Command: "import", Input: "in.xlsx", Rows: 7, Requests: 42, Retries: 3, RateLimited: 2,
		Duration: 2 * time.Second, StartedAt: started, ExitCode: 3}); err != nil {
		t.Fatal(err)
	}

	f := openXLSX(t, path)
	if got := f.GetSheetList(); fmt.Sprint(got) != "[Report Summary]" {
		t.Errorf("sheets = %v", got)
	}
	rows, err := f.GetRows("Report")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 8 {
		t.Fatalf("%d rows, want 8", len(rows))
	}
	if got := strings.Join(rows[0], ","); got != strings.Join(append(append([]string{}, sampleHeader...), ReportColumns...), ",") {
		t.Errorf("header = %s", got)
	}
	checks := map[string]string{
		"A2": "C1001", "C2": "'+49 30 1234", "D2": "Grüße aus Köln", "E2": "2", "F2": "created", "H2": "a1;a2", "I2": "contactEmail;addresses",
		"D3": `'=HYPERLINK("http://evil.example","click")`, "F3": "invalid",
		"C4": "", "D4": "", "F4": "updated", // ragged short row padded
		"D5": "北京, \"quoted\"", "J5": "'@api: 400 Bad Request", // long row truncated
		"F7": "would_create", "F8": "skipped",
	}
	for ref, want := range checks {
		got, err := f.GetCellValue("Report", ref)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("Report!%s = %q, want %q", ref, got, want)
		}
	}
	// Every data cell is a string, never a formula.
	for r := 2; r <= 8; r++ {
		for c := 1; c <= 10; c++ {
			ref := cellName(c, r)
			if v, _ := f.GetCellValue("Report", ref); v == "" {
				continue
			}
			typ, err := f.GetCellType("Report", ref)
			if err != nil {
				t.Fatal(err)
			}
			if typ != excelize.CellTypeInlineString {
				t.Errorf("Report!%s type = %v, want inline string", ref, typ)
			}
			if fx, _ := f.GetCellFormula("Report", ref); fx != "" {
				t.Errorf("Report!%s has formula %q", ref, fx)
			}
		}
	}
	for ref, want := range map[string]string{"F2": "C6EFCE", "F3": "FFC7CE", "F4": "C6EFCE", "F5": "FFC7CE", "F6": "C6EFCE", "F7": "DDEBF7", "F8": "EDEDED"} {
		if got := fillOf(t, f, "Report", ref); got != want {
			t.Errorf("fill of Report!%s = %q, want %q", ref, got, want)
		}
	}
	if got := fillOf(t, f, "Report", "E2"); got != "" {
		t.Errorf("non-status cell filled: %q", got)
	}
	id, _ := f.GetCellStyle("Report", "A1")
	if st, _ := f.GetStyle(id); st == nil || st.Font == nil || !st.Font.Bold {
		t.Error("header not bold")
	}
	if p, err := f.GetPanes("Report"); err != nil || !p.Freeze || p.YSplit != 1 {
		t.Errorf("panes = %+v, %v; want header frozen", p, err)
	}

	sum, err := f.GetRows("Summary")
	if err != nil {
		t.Fatal(err)
	}
	kv := map[string]string{}
	for _, r := range sum {
		if len(r) == 2 {
			kv[r[0]] = r[1]
		}
	}
	for k, want := range map[string]string{
		"Command": "import", "Input": "in.xlsx", "Report": path, "Errors file": ErrorsPath(path), "Rows": "7",
		"Requests": "42", "Retries": "3", "429 responses": "2", "Duration (s)": "2", "Rows/s": "3.5",
		"Started at": "2025-03-01T12:00:00Z", "Exit code": "3",
		"created": "1", "updated": "1", "unchanged": "1", "would_create": "1", "skipped": "1", "invalid": "1", "failed": "1",
	} {
		if kv[k] != want {
			t.Errorf("Summary %q = %q, want %q", k, kv[k], want)
		}
	}

	// Errors file: source cells as read (no prefix), the input's sheet name and header row.
	ef := openXLSX(t, ErrorsPath(path))
	if got := ef.GetSheetList(); fmt.Sprint(got) != "[Kunden]" {
		t.Errorf("errors sheets = %v", got)
	}
	erows, err := ef.GetRows("Kunden")
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		nil, nil,
		{"customerNumber", "contactEmail", "address.contactPhone", "note", "import_source_row", "import_message"},
		{"C1002", "bad-mail", "", `=HYPERLINK("http://evil.example","click")`, "3", `row 3, column "contactEmail": invalid e-mail "bad-mail"`},
		{"C1004", "li@example.cn", "-5", "北京, \"quoted\"", "6", "@api: 400 Bad Request"},
	}
	if fmt.Sprintf("%q", erows) != fmt.Sprintf("%q", want) {
		t.Errorf("errors rows:\n got %q\nwant %q", erows, want)
	}
	if fx, _ := ef.GetCellFormula("Kunden", "D4"); fx != "" {
		t.Errorf("errors file cell became a formula: %q", fx)
	}
}
