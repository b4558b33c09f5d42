package sheet

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// checkReader drains r and checks the invariants every reader keeps, whatever the input.
func checkReader(t *testing.T, r Reader, name string, hr, maxCell int) {
	t.Helper()
	defer r.Close()
	header := r.Header()
	if len(header) == 0 {
		t.Fatal("empty header accepted")
	}
	prevNum := hr
	for i := 0; ; i++ {
		row, err := r.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			var fe *Error
			if !errors.As(err, &fe) || !strings.HasPrefix(err.Error(), name+": ") {
				t.Fatalf("fatal error %T %q does not name the file", err, err)
			}
			return
		}
		if row.Seq != i || row.Num <= prevNum || len(row.Cells) != len(header) {
			t.Fatalf("row %d: Seq %d Num %d (prev %d) %d cells for %d columns", i, row.Seq, row.Num, prevNum, len(row.Cells), len(header))
		}
		prevNum = row.Num
		for _, c := range row.Cells {
			if !utf8.ValidString(c) || len(c) > maxCell {
				t.Fatalf("row %d: bad cell %q", row.Num, c)
			}
		}
		if row.Err != nil {
			var re *RowError
			if !errors.As(row.Err, &re) || re.Row != row.Num || !strings.HasPrefix(row.Err.Error(), name+": ") {
				t.Fatalf("row %d: Err %q", row.Num, row.Err)
			}
		}
	}
}

func FuzzCSV(f *testing.F) {
	// Small limits let small inputs reach the truncation and record-size paths
	// (the tests cover the real sizes, e.g. a 1 MiB cell).
	lim := Limits{MaxCell: 64, MaxRecord: 512, MaxRecordCells: 64}
	seeds := []string{
		"a,b,c\n1,2,3\n",
		"\xEF\xBB\xBFid;name\r\n1;Müller\r\n",
		"\xFF\xFEi\x00d\x00,\x00x\x00\n\x001\x00,\x002\x00\n\x00",
		"name,note\n\"Hans \"\"Hansi\"\"\",\"a,\nb\"\n",
		"a,b,c\n1,2\n1,2,3,4,5\n\n\n,,\n",
		"Name;Straße\nM\xFCller;Stra\xDFe\n",
		"a\tb\n1\x00\t2\n",
		"a|b\n\"open|1\n2|3\n",
		"a,b\r1,2\r",
		"a,b\n1,x\"y\n\"1\"x,2\n",
		"a,a\n",
		"a,b\n1," + strings.Repeat("x", 200) + "\n2,3\n",  // over the lowered MaxField
		"a,b\n1,\"" + strings.Repeat("y\n", 300) + "\"\n", // over the lowered MaxRecord
		"a,b\n1,2\n3,\"Unclosed\n4,5\n6,7\n",              // unclosed quote: later lines are rows
		"a,b\n1,\"" + strings.Repeat("z,w\n", 200),        // unclosed quote past MaxRecord
		"name\nJ\xC3\xBCrgen\nM\xFCller\n",                // mixed encodings: refused
		"\xEF\xBB\xBFname\nM\xFCller\n",                   // BOM says UTF-8, a Latin-1 byte follows
		"a,b\n\n\n\n\n\n1,2\n\r\n\r\n",                    // blank lines
	}
	for _, s := range seeds {
		f.Add([]byte(s), uint8(0))
	}
	f.Add([]byte("title\n\nk;v\n1;2\n"), uint8(3))
	f.Fuzz(func(t *testing.T, data []byte, hr uint8) {
		opt := Options{HeaderRow: int(hr % 8)}
		r, err := lim.NewCSV(bytes.NewReader(data), "fuzz.csv", opt)
		if err != nil {
			var fe *Error
			if !errors.As(err, &fe) || !strings.HasPrefix(err.Error(), "fuzz.csv: ") {
				t.Fatalf("open error %T %q does not name the file", err, err)
			}
			return
		}
		checkReader(t, r, "fuzz.csv", headerRow(opt), lim.MaxCell)
	})
}

func FuzzXLSX(f *testing.F) {
	// Keep a mutated "zip bomb" from eating the fuzzer's memory.
	lim := Limits{MaxUnzip: 64 << 20, MaxCell: 64}
	for _, seed := range xlsxSeeds(f) {
		f.Add(seed)
	}
	f.Add([]byte{})
	f.Add([]byte("PK\x03\x04 not really a zip"))
	f.Add([]byte("a,b\n1,2\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := lim.NewXLSX(bytes.NewReader(data), "fuzz.xlsx", Options{})
		if err != nil {
			var fe *Error
			if !errors.As(err, &fe) || !strings.HasPrefix(err.Error(), "fuzz.xlsx: ") {
				t.Fatalf("open error %T %q does not name the file", err, err)
			}
			return
		}
		checkReader(t, r, "fuzz.xlsx", 1, lim.MaxCell)
	})
}

// xlsxSeeds builds real workbooks: one written by excelize (gap, date, blank
// row, two sheets) and a hand-made minimal one (rows without r attributes,
// inline strings, shared strings).
func xlsxSeeds(tb testing.TB) [][]byte {
	tb.Helper()
	fx := excelize.NewFile()
	defer fx.Close()
	_ = fx.SetSheetRow("Sheet1", "A1", &[]any{"id", "date", "amount"})
	_ = fx.SetSheetRow("Sheet1", "A2", &[]any{1, time.Date(2024, 3, 15, 0, 0, 0, 0, time.UTC), 3.5})
	_ = fx.SetSheetRow("Sheet1", "A5", &[]any{"  ", ""})
	_ = fx.SetSheetRow("Sheet1", "A7", &[]any{2, "x", "y", "extra"})
	_, _ = fx.NewSheet("Second")
	buf, err := fx.WriteToBuffer()
	if err != nil {
		tb.Fatal(err)
	}
	return [][]byte{buf.Bytes(), minimalXLSX(tb)}
}

// minimalXLSX is the smallest workbook Excel opens: rows 1-2 without r
// attributes, then row 5; inline and shared strings.
func minimalXLSX(tb testing.TB) []byte {
	tb.Helper()
	parts := []struct{ name, body string }{
		{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>`},
		{"_rels/.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`},
		{"xl/workbook.xml", `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Daten" sheetId="1" r:id="rId1"/></sheets></workbook>`},
		{"xl/_rels/workbook.xml.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>`},
		{"xl/sharedStrings.xml", `<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="2" uniqueCount="2"><si><t>name</t></si><si><t>Müller</t></si></sst>`},
		{"xl/worksheets/sheet1.xml", `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>` +
			`<row><c t="inlineStr"><is><t>id</t></is></c><c t="s"><v>0</v></c></row>` +
			`<row><c><v>1</v></c><c t="s"><v>1</v></c></row>` +
			`<row r="5"><c r="B5" t="inlineStr"><is><t>only B</t></is></c></row>` +
			`</sheetData></worksheet>`},
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, p := range parts {
		w, err := zw.Create(p.name)
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := io.WriteString(w, p.body); err != nil {
			tb.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// Rows without r attributes are numbered by position, a later r="5" by its attribute.
func TestXLSXMinimalWorkbook(t *testing.T) {
	r, err := NewXLSX(bytes.NewReader(minimalXLSX(t)), "min.xlsx", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if !reflect.DeepEqual(r.Header(), []string{"id", "name"}) {
		t.Errorf("header = %q", r.Header())
	}
	rows := readAll(t, r)
	if len(rows) != 2 || rows[0].Num != 2 || rows[0].Cells[1] != "Müller" || rows[1].Num != 5 || !reflect.DeepEqual(rows[1].Cells, []string{"", "only B"}) {
		t.Errorf("rows = %+v", rows)
	}
}
