package sheet

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

// workbook builds a one-sheet workbook around sheetData rows (and shared strings).
func workbook(tb testing.TB, rows string, sst ...string) []byte {
	tb.Helper()
	var sis strings.Builder
	for _, s := range sst {
		sis.WriteString("<si><t>" + s + "</t></si>")
	}
	return zipParts(tb, map[string]io.Reader{
		"[Content_Types].xml":        strings.NewReader(`<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>`),
		"_rels/.rels":                strings.NewReader(`<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`),
		"xl/workbook.xml":            strings.NewReader(`<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Daten" sheetId="1" r:id="rId1"/></sheets></workbook>`),
		"xl/_rels/workbook.xml.rels": strings.NewReader(`<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>`),
		"xl/sharedStrings.xml":       strings.NewReader(`<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">` + sis.String() + `</sst>`),
		"xl/worksheets/sheet1.xml": io.MultiReader(
			strings.NewReader(`<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`+
				`<row r="1"><c r="A1" t="inlineStr"><is><t>id</t></is></c><c r="B1" t="inlineStr"><is><t>name</t></is></c></row>`),
			strings.NewReader(rows), strings.NewReader(`</sheetData></worksheet>`)),
	})
}

func zipParts(tb testing.TB, parts map[string]io.Reader) []byte {
	tb.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, r := range parts {
		w, err := zw.Create(name)
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := io.Copy(w, r); err != nil {
			tb.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func inl(ref, text string) string {
	return `<c r="` + ref + `" t="inlineStr"><is><t>` + text + `</t></is></c>`
}

// Cells the grid or XML cannot hold are row errors; the other rows read on.
func TestXLSXHostileCells(t *testing.T) {
	big := strings.Repeat("x", 200<<10)
	tests := []struct {
		name    string
		rows    string
		sst     []string
		wantNum []int
		bad     int   // index of the defective row
		kind    error // its problem
		cell    string
	}{
		{"entity reference", `<row r="2">` + inl("A2", "1") + inl("B2", "a&nbsp;b") + `</row><row r="3">` + inl("A3", "2") + `</row>`,
			nil, []int{2, 3}, 0, ErrBadXML, "a&nbsp;b"},
		{"cell beyond column XFD", `<row r="2">` + inl("A2", "1") + inl("ZZZZ2", "far") + `</row><row r="3">` + inl("A3", "2") + `</row>`,
			nil, []int{2, 3}, 0, ErrCellRef, ""},
		{"row beyond the last row", `<row r="2">` + inl("A2", "1") + `</row><row r="2147483647">` + inl("A2147483647", "x") + `</row>`,
			nil, []int{2, 1<<20 + 1}, 1, ErrCellRef, ""},
		{"oversized inline cell", `<row r="2">` + inl("A2", "1") + inl("B2", big) + `</row><row r="3">` + inl("A3", "2") + `</row>`,
			nil, []int{2, 3}, 0, ErrFieldTooLarge, big[:64<<10]},
		{"oversized shared string", `<row r="2">` + inl("A2", "1") + `<c r="B2" t="s"><v>1</v></c></row><row r="3"><c r="A3" t="s"><v>0</v></c></row>`,
			[]string{"ok", big}, []int{2, 3}, 0, ErrFieldTooLarge, big[:64<<10]},
		{"whitespace between elements", `<row r="2">` + inl("A2", "1") + strings.Repeat(" ", 300<<10) + inl("B2", "b") + `</row>`,
			nil, []int{2}, -1, nil, "b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewXLSX(bytes.NewReader(workbook(t, tt.rows, tt.sst...)), "h.xlsx", Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			rows := readAll(t, r)
			if len(rows) != len(tt.wantNum) {
				t.Fatalf("got %d rows %+v, want %v", len(rows), rows, tt.wantNum)
			}
			for i, row := range rows {
				if row.Num != tt.wantNum[i] {
					t.Errorf("row %d: Num %d, want %d", i, row.Num, tt.wantNum[i])
				}
				if (i == tt.bad) != (row.Err != nil) {
					t.Errorf("row %d: Err = %v", row.Num, row.Err)
				}
			}
			if tt.bad < 0 {
				if rows[0].Cells[1] != tt.cell {
					t.Errorf("cell = %q", rows[0].Cells[1])
				}
				return
			}
			bad := rows[tt.bad]
			if !errors.Is(bad.Err, tt.kind) || !strings.HasPrefix(bad.Err.Error(), "h.xlsx: sheet \"Daten\": row ") {
				t.Errorf("Err = %v, want %v", bad.Err, tt.kind)
			}
			if bad.Cells[1] != tt.cell {
				t.Errorf("cell = %.40q (%d bytes), want %.40q", bad.Cells[1], len(bad.Cells[1]), tt.cell)
			}
		})
	}
}

func TestXLSXRefused(t *testing.T) {
	ole := append(append([]byte{}, oleMagic...), make([]byte, 600)...)
	encrypted := append(append([]byte{}, ole...), encryptedMarker...)
	spaces := zipParts(t, map[string]io.Reader{"xl/worksheets/sheet1.xml": io.LimitReader(endless(' '), 20<<20)})
	tests := []struct {
		name string
		data []byte
		kind error
		text string
	}{
		{"password-protected", encrypted, ErrEncrypted, "remove the password"},
		{"renamed .xls", ole, ErrUnsupportedFormat, "legacy Excel 97-2003 (.xls)"},
		{"zip bomb ratio", spaces, ErrTooLarge, "expands"},
		{"DTD", workbook(t, `<!DOCTYPE x [<!ENTITY a "b">]>`), ErrCorrupt, "DTD"},
		{"not a zip", []byte("id,name\n1,x\n"), ErrCorrupt, "not an xlsx workbook"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewXLSX(bytes.NewReader(tt.data), "r.xlsx", Options{})
			if !errors.Is(err, tt.kind) || !strings.Contains(err.Error(), tt.text) || !strings.HasPrefix(err.Error(), "r.xlsx: ") {
				t.Fatalf("err = %v, want %v mentioning %q", err, tt.kind, tt.text)
			}
		})
	}
}
