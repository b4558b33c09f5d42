package report

import (
	"bytes"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/emporix-import/emporix-import/sheet"
	"golang.org/x/text/encoding/charmap"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./report -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from golden file:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

var sampleHeader = []string{"customerNumber", "contactEmail", "address.contactPhone", "note"}

// sampleResults covers statuses, a formula, a phone, ragged rows and unicode.
func sampleResults() []Result {
	return []Result{
		{Seq: 0, Row: 2, Cells: []string{"C1001", "anna@example.de", "+49 30 1234", "Grüße aus Köln"},
			Status: Created, CustomerNumber: "C1001", AddressIDs: []string{"a1", "a2"}, Changes: []string{"contactEmail", "addresses"}},
		{Seq: 1, Row: 3, Cells: []string{"C1002", "bad-mail", "", `=HYPERLINK("http://evil.example","click")`},
			Status: Invalid, Message: `row 3, column "contactEmail": invalid e-mail "bad-mail"`},
		{Seq: 2, Row: 4, Cells: []string{"C1003", "zoë@example.fr"}, // ragged: short
			Status: Updated, CustomerNumber: "C1003", Changes: []string{"title"}},
		{Seq: 3, Row: 6, Cells: []string{"C1004", "li@example.cn", "-5", "北京, \"quoted\"", "extra", "cells"}, // ragged: long
			Status: Failed, CustomerNumber: "C1004", Message: "@api: 400 Bad Request"},
		{Seq: 4, Row: 7, Cells: []string{"C1001", "anna@example.de", "\t+1 555", "second address"},
			Status: Unchanged, CustomerNumber: "C1001", AddressIDs: []string{"a2"}},
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	b := bytes.TrimPrefix(readFile(t, path), []byte(utf8BOM))
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func TestCSVGolden(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out", "report.csv") // directory is created
	w, err := Create(path, sampleHeader)
	if err != nil {
		t.Fatal(err)
	}
	rs := sampleResults()
	for _, i := range []int{3, 1, 4, 0, 2} { // out of order
		if err := w.Write(rs[i]); err != nil {
			t.Fatalf("write seq %d: %v", i, err)
		}
	}
	if got, want := w.ErrorsPath(), filepath.Join(dir, "out", "report.errors.csv"); got != want {
		t.Errorf("ErrorsPath = %q, want %q", got, want)
	}
	if err := w.Close(Summary{Command: "import"}); err != nil {
		t.Fatal(err)
	}
	golden(t, "report.csv", readFile(t, path))
	golden(t, "report.errors.csv", readFile(t, ErrorsPath(path)))

	rep := readCSV(t, path)
	if got := strings.Join(rep[0], ","); got != "customerNumber,contactEmail,address.contactPhone,note,import_row,import_status,import_customer_number,import_address_ids,import_changes,import_message" {
		t.Errorf("report header = %s", got)
	}
	for i, rec := range rep {
		if len(rec) != 10 {
			t.Errorf("report line %d has %d cells, want 10", i+1, len(rec))
		}
	}
	if got := rep[2][3]; got != `'=HYPERLINK("http://evil.example","click")` {
		t.Errorf("formula not neutralised in report: %q", got)
	}
	if got := rep[1][2]; got != "'+49 30 1234" {
		t.Errorf("phone in report = %q", got)
	}
	errs := readCSV(t, ErrorsPath(path))
	want := [][]string{
		{"customerNumber", "contactEmail", "address.contactPhone", "note", "import_source_row", "import_message"},
		{"C1002", "bad-mail", "", `=HYPERLINK("http://evil.example","click")`, "3", `row 3, column "contactEmail": invalid e-mail "bad-mail"`},
		{"C1004", "li@example.cn", "-5", "北京, \"quoted\"", "6", "'@api: 400 Bad Request"},
	}
	if fmt.Sprint(errs) != fmt.Sprint(want) {
		t.Errorf("errors file:\n got %q\nwant %q", errs, want)
	}
}

func TestConcurrentOutOfOrderWrites(t *testing.T) {
	const n = 2000
	path := filepath.Join(t.TempDir(), "r.csv")
	w, err := Create(path, []string{"id"})
	if err != nil {
		t.Fatal(err)
	}
	seqs := rand.Perm(n)
	var wg sync.WaitGroup
	errc := make(chan error, n)
	for g := range 8 {
		wg.Go(func() {
			for i := g; i < n; i += 8 {
				s := seqs[i]
				errc <- w.Write(Result{Seq: s, Row: s + 2, Cells: []string{strconv.Itoa(s)}, Status: Valid})
			}
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(Summary{}); err != nil {
		t.Fatal(err)
	}
	recs := readCSV(t, path)
	if len(recs) != n+1 {
		t.Fatalf("%d lines, want %d", len(recs), n+1)
	}
	for i, rec := range recs[1:] {
		if rec[0] != strconv.Itoa(i) || rec[1] != strconv.Itoa(i+2) {
			t.Fatalf("line %d = %q, want seq %d", i+2, rec, i)
		}
	}
	if c := w.Counts(); c[Valid] != n {
		t.Errorf("Counts = %v", c)
	}
	if _, err := os.Stat(ErrorsPath(path)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("errors file exists without error rows: %v", err)
	}
}

func TestDuplicateSeq(t *testing.T) {
	w, err := Create(filepath.Join(t.TempDir(), "r.csv"), []string{"a"})
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(w.Write(Result{Seq: 0, Status: Valid}))
	must(w.Write(Result{Seq: 2, Status: Valid}))
	var dup *DuplicateError
	for _, seq := range []int{0, 2} { // already written; buffered
		if err := w.Write(Result{Seq: seq}); !errors.As(err, &dup) || dup.Seq != seq {
			t.Errorf("second write of seq %d: err = %v, want DuplicateError", seq, err)
		}
	}
	if err := w.Write(Result{Seq: -1}); err == nil {
		t.Error("negative seq accepted")
	}
	must(w.Write(Result{Seq: 1, Status: Valid}))
	must(w.Close(Summary{}))
	if err := w.Write(Result{Seq: 3}); !errors.Is(err, ErrClosed) {
		t.Errorf("write after close: %v", err)
	}
	if err := w.Close(Summary{}); !errors.Is(err, ErrClosed) {
		t.Errorf("second close: %v", err)
	}
}

func TestCloseReportsMissingSeqs(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.csv")
	w, err := Create(path, []string{"a"})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []int{5, 0, 3, 1} {
		if err := w.Write(Result{Seq: s, Row: s + 2, Cells: []string{"v" + strconv.Itoa(s)}, Status: Valid}); err != nil {
			t.Fatal(err)
		}
	}
	err = w.Close(Summary{})
	var me *MissingError
	if !errors.As(err, &me) {
		t.Fatalf("Close = %v, want MissingError", err)
	}
	if fmt.Sprint(me.Seqs) != "[2 4]" || me.Count != 2 || !strings.Contains(err.Error(), "seq 2, 4") {
		t.Errorf("MissingError = %+v (%v)", me, err)
	}
	var got []string
	for _, rec := range readCSV(t, path)[1:] {
		got = append(got, rec[0])
	}
	if strings.Join(got, " ") != "v0 v1 v3 v5" {
		t.Errorf("rows written = %v, want the ones that arrived, in order", got)
	}
}

func TestCreateErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		path string
		opts []Option
	}{
		{"extension", filepath.Join(dir, "r.txt"), nil},
		{"no extension", filepath.Join(dir, "r"), nil},
		{"encoding", filepath.Join(dir, "r.csv"), []Option{WithSource(sheet.Options{Encoding: "ebcdic"})}},
		{"delimiter", filepath.Join(dir, "r.csv"), []Option{WithSource(sheet.Options{Delimiter: '"'})}},
		{"unwritable", filepath.Join(dir, "r.csv", "x.csv"), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "unwritable" {
				if err := os.WriteFile(filepath.Join(dir, "r.csv"), nil, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if w, err := Create(tc.path, []string{"a"}, tc.opts...); err == nil {
				_ = w.Close(Summary{})
				t.Fatalf("Create(%q) succeeded", tc.path)
			}
		})
	}
}

func TestStaleErrorsFileRemoved(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.csv")
	if err := os.WriteFile(ErrorsPath(path), []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	w, err := Create(path, []string{"a"})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(Result{Seq: 0, Status: Created}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(Summary{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(ErrorsPath(path)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale errors file kept: %v", err)
	}
	if w.ErrorsPath() != "" {
		t.Errorf("ErrorsPath = %q, want empty", w.ErrorsPath())
	}
}

// An errors file fed back as input must produce an errors file of the same shape.
func TestReimportedErrorsFileKeepsShape(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.csv")
	header := []string{"customerNumber", "import_source_row", "import_message"}
	w, err := Create(path, header)
	if err != nil {
		t.Fatal(err)
	}
	// The importer numbers a re-imported row by its import_source_row (7).
	if err := w.Write(Result{Seq: 0, Row: 7, Cells: []string{"C1", "7", "old"}, Status: Invalid, Message: "new"}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(Summary{}); err != nil {
		t.Fatal(err)
	}
	if got := readCSV(t, ErrorsPath(path)); fmt.Sprint(got) != "[[customerNumber import_source_row import_message] [C1 7 new]]" {
		t.Errorf("errors file = %q", got)
	}
	if got := readCSV(t, path)[0]; strings.Join(got, ",") != "customerNumber,"+strings.Join(ReportColumns, ",") {
		t.Errorf("report header = %q", got)
	}
}

func TestWithSourceCSVDialect(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.csv")
	w, err := Create(path, []string{"Kundennummer", "Straße"}, WithSource(sheet.Options{Delimiter: ';', Encoding: "windows-1252"}))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(Result{Seq: 0, Row: 2, Cells: []string{"K1", "Hauptstraße 1"}, Status: Invalid, Message: "bad 北"}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(Summary{}); err != nil {
		t.Fatal(err)
	}
	raw := readFile(t, ErrorsPath(path))
	utf, err := charmap.Windows1252.NewDecoder().Bytes(raw)
	if err != nil {
		t.Fatal(err)
	}
	want := "Kundennummer;Straße;import_source_row;import_message\nK1;Hauptstraße 1;2;bad ?\n"
	if string(utf) != want {
		t.Errorf("errors file = %q, want %q", utf, want)
	}
	if !bytes.Contains(raw, []byte{'S', 't', 'r', 'a', 0xDF, 'e'}) {
		t.Errorf("ß not encoded as cp1252 0xDF: % x", raw)
	}
}

// The errors file follows the input as read; the report keeps its own dialect.
func TestWithErrorsSource(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.csv")
	w, err := Create(path, []string{"Kundennummer", "Straße"}, WithSource(sheet.Options{}),
		WithErrorsSource(sheet.Options{Delimiter: ';', Encoding: "windows-1252"}))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(Result{Seq: 0, Row: 2, Cells: []string{"K1", "Hauptstraße 1"}, Status: Invalid, Message: "bad"}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(Summary{}); err != nil {
		t.Fatal(err)
	}
	if got := string(readFile(t, ErrorsPath(path))); got != "Kundennummer;Stra\xdfe;import_source_row;import_message\nK1;Hauptstra\xdfe 1;2;bad\n" {
		t.Errorf("errors file = %q", got)
	}
	if got := readCSV(t, path); got[0][1] != "Straße" || len(got[0]) != 2+len(ReportColumns) {
		t.Errorf("report = %q", got)
	}
}
