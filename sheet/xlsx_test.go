package sheet

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// cell addresses a value in a test workbook: sheet → "B3" → value.
type book map[string]map[string]any

// makeXLSX writes a workbook with the given sheets (in order) and returns its path.
func makeXLSX(t testing.TB, sheets []string, cells book, styles map[string]string) string {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, name := range sheets {
		if i == 0 {
			if err := f.SetSheetName("Sheet1", name); err != nil {
				t.Fatal(err)
			}
		} else if _, err := f.NewSheet(name); err != nil {
			t.Fatal(err)
		}
		for ref, v := range cells[name] {
			if err := f.SetCellValue(name, ref, v); err != nil {
				t.Fatal(err)
			}
			if format, ok := styles[ref]; ok {
				style, err := f.NewStyle(&excelize.Style{CustomNumFmt: &format})
				if err != nil {
					t.Fatal(err)
				}
				if err := f.SetCellStyle(name, ref, ref, style); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	path := filepath.Join(t.TempDir(), "book.xlsx")
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestXLSXRows(t *testing.T) {
	date := time.Date(2024, 3, 15, 0, 0, 0, 0, time.UTC)
	path := makeXLSX(t, []string{"Kunden", "Other"}, book{
		"Kunden": {
			"A1": " Nr ", "B1": "Geburtstag", "C1": "Betrag", "D1": "PLZ",
			"A2": 1001, "B2": date, "C2": 3.5, "D2": "01067",
			// row 3 is missing from the sheet XML (a gap); row 4 holds only blanks
			"A4": "   ", "C4": "",
			"A5": 1002, // short row: padded
			"A7": 1003, "E7": "stray",
		},
		"Other": {"A1": "x", "A2": "y"},
	}, map[string]string{"B2": "dd.mm.yyyy", "C2": "0.00"})

	r, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if want := []string{"Nr", "Geburtstag", "Betrag", "PLZ"}; !reflect.DeepEqual(r.Header(), want) {
		t.Errorf("header = %q, want %q", r.Header(), want)
	}
	rows := readAll(t, r)
	want := []wantRow{
		{2, []string{"1001", "15.03.2024", "3.50", "01067"}, nil},
		{5, []string{"1002", "", "", ""}, nil},
		{7, []string{"1003", "", "", ""}, ErrRagged},
	}
	if len(rows) != len(want) {
		t.Fatalf("got %d rows %+v, want %d", len(rows), rows, len(want))
	}
	for i, got := range rows {
		w := want[i]
		if got.Seq != i || got.Num != w.num || !reflect.DeepEqual(got.Cells, w.cells) || !errors.Is(got.Err, w.err) || (w.err == nil) != (got.Err == nil) {
			t.Errorf("row %d = %+v, want Num %d %q err %v", i, got, w.num, w.cells, w.err)
		}
	}
	if msg := rows[2].Err.Error(); !strings.Contains(msg, `book.xlsx: sheet "Kunden": row 7: column E: value "stray"`) {
		t.Errorf("stray value message = %q", msg)
	}
}

func TestXLSXBuiltinDateFormat(t *testing.T) {
	f := excelize.NewFile()
	defer f.Close()
	_ = f.SetSheetRow("Sheet1", "A1", &[]any{"d"})
	_ = f.SetCellValue("Sheet1", "A2", time.Date(2024, 3, 15, 0, 0, 0, 0, time.UTC))
	style, _ := f.NewStyle(&excelize.Style{NumFmt: 14})
	_ = f.SetCellStyle("Sheet1", "A2", "A2", style)
	path := filepath.Join(t.TempDir(), "d.xlsx")
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	r, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rows := readAll(t, r)
	// Excel shows built-in format 14 as m/d/yyyy in en-US; excelize renders it like this.
	if len(rows) != 1 || rows[0].Cells[0] != "03-15-24" {
		t.Errorf("rows = %+v, want the formatted date 03-15-24", rows)
	}
}

func TestXLSXSheetAndHeaderRow(t *testing.T) {
	path := makeXLSX(t, []string{"Info", "Data"}, book{
		"Info": {"A1": "ignored"},
		"Data": {"A1": "Export", "A3": "id", "B3": "mail", "A4": "7", "B4": "a@b.de"},
	}, nil)
	for _, name := range []string{"Data", "data"} {
		r, err := Open(path, Options{Sheet: name, HeaderRow: 3})
		if err != nil {
			t.Fatal(err)
		}
		rows := readAll(t, r)
		r.Close()
		if !reflect.DeepEqual(r.Header(), []string{"id", "mail"}) || len(rows) != 1 || rows[0].Num != 4 {
			t.Errorf("sheet %q: header %q rows %+v", name, r.Header(), rows)
		}
	}

	_, err := Open(path, Options{Sheet: "Kunden"})
	if !errors.Is(err, ErrUnknownSheet) || !strings.Contains(err.Error(), `book.xlsx: no such sheet "Kunden"; the workbook has "Info", "Data"`) {
		t.Errorf("unknown sheet err = %v", err)
	}
	_, err = Open(path, Options{Sheet: "Data", HeaderRow: 9})
	if !errors.Is(err, ErrHeader) || !strings.Contains(err.Error(), "header row 9 not found, the sheet has 4 rows") {
		t.Errorf("header row beyond end err = %v", err)
	}
}

func TestXLSXHeaderErrors(t *testing.T) {
	path := makeXLSX(t, []string{"S"}, book{"S": {"A1": "id", "B1": "mail", "D1": "mail", "A2": "1"}}, nil)
	_, err := Open(path, Options{})
	for _, w := range []string{`sheet "S": row 1:`, "empty column name in column C", `duplicate column name "mail" in columns B and D`} {
		if !errors.Is(err, ErrHeader) || !strings.Contains(err.Error(), w) {
			t.Errorf("err = %v, want it to contain %q", err, w)
		}
	}
	empty := makeXLSX(t, []string{"S"}, book{}, nil)
	if _, err := Open(empty, Options{}); !errors.Is(err, ErrHeader) || !strings.Contains(err.Error(), "the sheet is empty") {
		t.Errorf("empty sheet err = %v", err)
	}
}

func TestXLSXZipBombLimit(t *testing.T) {
	path := makeXLSX(t, []string{"S"}, book{"S": {"A1": "h", "A2": strings.Repeat("x", 10000)}}, nil)
	_, err := Limits{MaxUnzip: 4096}.Open(path, Options{})
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "book.xlsx: ") || !strings.Contains(err.Error(), "4096 bytes") {
		t.Fatalf("err = %v, want ErrTooLarge naming the file and limit", err)
	}
}

// A worksheet above Limits.SpillXML is streamed from a temporary file.
func TestXLSXSpilledSheet(t *testing.T) {
	cells := map[string]any{"A1": "n", "B1": "s"}
	for i := 2; i <= 500; i++ {
		cells[fmt.Sprintf("A%d", i)] = i
		cells[fmt.Sprintf("B%d", i)] = fmt.Sprintf("text %d", i)
	}
	path := makeXLSX(t, []string{"S"}, book{"S": cells}, nil)
	r, err := Limits{SpillXML: 1024}.Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	rows := readAll(t, r)
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 499 || rows[498].Num != 500 || rows[498].Cells[1] != "text 500" {
		t.Fatalf("got %d rows, last %+v", len(rows), rows[len(rows)-1])
	}
}

func TestXLSXCorrupt(t *testing.T) {
	path := writeFile(t, "fake.xlsx", []byte("id,name\n1,x\n"))
	_, err := Open(path, Options{})
	if !errors.Is(err, ErrCorrupt) || !strings.HasPrefix(err.Error(), path+": ") {
		t.Errorf("err = %v, want ErrCorrupt naming the file", err)
	}
	if _, err := Open(filepath.Join(t.TempDir(), "missing.xlsx"), Options{}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file err = %v", err)
	}
}
