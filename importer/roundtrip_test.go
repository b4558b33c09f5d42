package importer_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"

	"github.com/emporix-import/emporix-import/importer"
	"github.com/emporix-import/emporix-import/report"
	"github.com/emporix-import/emporix-import/sheet"
)

const roundTripMapping = `
customer:
  customerNumber: Kundennummer
  contactEmail: E-Mail
  lastName: Nachname
addresses:
  - contactName: Nachname
    street: Straße
    country: Land
`

// readSheet reads a file the way the importer does, with the given options.
func readSheet(t *testing.T, path string, opts sheet.Options) (header []string, rows []sheet.Row, info sheet.CSVInfo) {
	t.Helper()
	rd, err := sheet.Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	info, _ = rd.(sheet.CSVInfo)
	for {
		r, err := rd.Next()
		if err != nil {
			break
		}
		rows = append(rows, r)
	}
	return rd.Header(), rows, info
}

// TestErrorsFileRoundTrip: the errors file of a Windows-1252 ";" input (the
// mapping pins neither) is Windows-1252 ";", carries import_source_row, and
// re-imports with the same mapping keeping the original row numbers in the
// report, the messages and the next errors file.
func TestErrorsFileRoundTrip(t *testing.T) {
	dir := t.TempDir()
	mapFile := filepath.Join(dir, "m.yaml")
	if err := os.WriteFile(mapFile, []byte(roundTripMapping), 0o644); err != nil {
		t.Fatal(err)
	}
	text := "Kundennummer;E-Mail;Nachname;Straße;Land\n" +
		"K1;a@example.de;Müller;Torstraße 1;DE\n" +
		"K2;b@@example.de;Weiß;Hauptstraße 2;DE\n" +
		"K3;c@example.de;Groß;Am Markt 3;DE\n" +
		"\n" +
		"K4;d@example.de;Schäfer;Marktplatz 4;Deutschland\n"
	in := filepath.Join(dir, "kunden.csv")
	enc, err := charmap.Windows1252.NewEncoder().String(text)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(in, []byte(enc), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(input, rep string) (string, string) {
		var stderr bytes.Buffer
		_, err := importer.Validate(context.Background(), importer.Config{Input: input, MappingFile: mapFile,
			Report: rep, Quiet: true, Stderr: &stderr})
		if importer.ExitCode(err) != importer.ExitRowsFailed {
			t.Fatalf("validate %s: %v", input, err)
		}
		return report.ErrorsPath(rep), stderr.String()
	}
	errs1, log1 := run(in, filepath.Join(dir, "r1.csv"))
	raw, err := os.ReadFile(errs1)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(raw, []byte("Stra\xdfe;")) || bytes.Contains(raw, []byte("\xef\xbb\xbf")) {
		t.Errorf("errors file is not Windows-1252 with ';': %q", raw)
	}
	header, rows, info := readSheet(t, errs1, sheet.Options{})
	if info.Encoding() != sheet.EncWindows1252 || info.Delimiter() != ';' {
		t.Errorf("errors file sniffed as %s %q", info.Encoding(), info.Delimiter())
	}
	if want := []string{"Kundennummer", "E-Mail", "Nachname", "Straße", "Land", "import_source_row", "import_message"}; !slices.Equal(header, want) {
		t.Errorf("errors header %q", header)
	}
	if len(rows) != 2 || rows[0].Cells[5] != "3" || rows[1].Cells[5] != "6" || rows[1].Cells[2] != "Schäfer" {
		t.Fatalf("errors rows %v", rows)
	}
	if !strings.Contains(log1, "kunden.csv row 6 (K4)") {
		t.Errorf("log: %s", log1)
	}

	// Re-import the errors file as is: the original row numbers everywhere.
	rep2 := filepath.Join(dir, "r2.csv")
	errs2, log2 := run(errs1, rep2)
	if got := sheetColumn(t, rep2, "import_row"); !slices.Equal(got, []string{"3", "6"}) {
		t.Errorf("re-import rows %q, want the source rows 3 and 6", got)
	}
	msgs := sheetColumn(t, rep2, "import_message")
	if !strings.HasPrefix(msgs[0], `row 3, column "E-Mail"`) || !strings.HasPrefix(msgs[1], `row 6, column "Land"`) {
		t.Errorf("re-import messages %q", msgs)
	}
	if !strings.Contains(log2, ".errors.csv row 3 (K2)") {
		t.Errorf("log: %s", log2)
	}
	if _, rows2, _ := readSheet(t, errs2, sheet.Options{}); len(rows2) != 2 || rows2[0].Cells[5] != "3" || rows2[1].Cells[5] != "6" {
		t.Errorf("second errors file rows %v", rows2)
	}
	if h := reportHeader(t, rep2); slices.Contains(h, "import_source_row") || slices.Contains(h[:5], "import_message") {
		t.Errorf("report echoes the errors file's own columns: %q", h)
	}
}

// sheetColumn reads one column of a file in whatever dialect it was written.
func sheetColumn(t *testing.T, path, name string) []string {
	t.Helper()
	h, rows, _ := readSheet(t, path, sheet.Options{})
	col := slices.Index(h, name)
	var out []string
	for _, r := range rows {
		out = append(out, r.Cells[col])
	}
	return out
}

func reportHeader(t *testing.T, path string) []string {
	t.Helper()
	h, _, _ := readSheet(t, path, sheet.Options{})
	return h
}

// TestXLSXErrorsFileRoundTrip: an XLSX input gets an XLSX errors file with the
// same header row, which re-imports keeping the source rows.
func TestXLSXErrorsFileRoundTrip(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "kunden.xlsx")
	f := excelize.NewFile()
	rows := [][]any{
		{"customerNumber", "contactEmail", "lastName"},
		{"C1", "a@example.com", "A"},
		{"C2", "bad", "B"},
		{"C3", "c@example.com", "C"},
		{"C4", "d@", "D"},
	}
	for i, r := range rows {
		if err := f.SetSheetRow("Sheet1", "A"+string(rune('1'+i)), &r); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.SaveAs(in); err != nil {
		t.Fatal(err)
	}
	f.Close()
	validate := func(input string) string {
		rep := filepath.Join(dir, strings.TrimSuffix(filepath.Base(input), ".xlsx")+"-report.xlsx")
		_, err := importer.Validate(context.Background(), importer.Config{Input: input, Report: rep, Quiet: true})
		if importer.ExitCode(err) != importer.ExitRowsFailed {
			t.Fatalf("validate %s: %v", input, err)
		}
		return report.ErrorsPath(rep)
	}
	errs := validate(in)
	if filepath.Ext(errs) != ".xlsx" {
		t.Fatalf("errors file %s", errs)
	}
	copyPath := filepath.Join(dir, "fix.xlsx")
	b, err := os.ReadFile(errs)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(copyPath, b, 0o644); err != nil {
		t.Fatal(err)
	}
	_, got, _ := readSheet(t, validate(copyPath), sheet.Options{})
	if len(got) != 2 || got[0].Cells[3] != "3" || got[1].Cells[3] != "5" {
		t.Errorf("second errors file rows %v", got)
	}
}

// TestErrorsFileUTF16Tab: a UTF-16 tab-separated input gets a UTF-16 (BOM)
// tab-separated errors file.
func TestErrorsFileUTF16Tab(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "export.txt")
	text := "customerNumber\tcontactEmail\tlastName\nC1\ta@example.com\tÖzdemir\nC2\tbad@\tŁukasz\n"
	enc, err := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().String(text)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(in, []byte(enc), 0o644); err != nil {
		t.Fatal(err)
	}
	rep := filepath.Join(dir, "r.csv")
	if _, err := importer.Validate(context.Background(), importer.Config{Input: in, Report: rep, Quiet: true}); importer.ExitCode(err) != importer.ExitRowsFailed {
		t.Fatalf("validate: %v", err)
	}
	raw, err := os.ReadFile(report.ErrorsPath(rep))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(raw, []byte{0xFF, 0xFE}) {
		t.Errorf("errors file has no UTF-16LE BOM: % x", raw[:min(8, len(raw))])
	}
	header, rows, info := readSheet(t, report.ErrorsPath(rep), sheet.Options{})
	if info.Delimiter() != '\t' || !strings.HasPrefix(info.Encoding(), "utf-16") {
		t.Errorf("errors file read as %s %q", info.Encoding(), info.Delimiter())
	}
	if len(rows) != 1 || rows[0].Cells[2] != "Łukasz" || header[3] != "import_source_row" || rows[0].Cells[3] != "3" {
		t.Errorf("errors file %q %v", header, rows)
	}
}
