package main

import (
	"archive/zip"
	"bufio"
	"compress/flate"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// hostileCase is one file of the hostile-input suite (scripts/hostile.sh):
// validate must end with exit code want, within 200 MB RSS and 10 s.
type hostileCase struct {
	file, what string
	want       int
	gen        func(w io.Writer) error
}

const hostileCSVHeader = "customerNumber,contactEmail,firstName,lastName\n"

func hostileCases() []hostileCase {
	return []hostileCase{
		{"cell-1gb.xlsx", "XLSX of 1 MB holding one 1 GB cell", 1, xlsxWith(1<<30, 'x')},
		{"cell-200mb.xlsx", "XLSX holding one 200 MB cell", 1, xlsxWith(200<<20, 'x')},
		{"whitespace-1gb.xlsx", "XLSX with 1 GB of white space between elements", 1, xlsxWith(1<<30, ' ')},
		{"cell-100mb-random.xlsx", "XLSX holding one 100 MB cell that does not compress", 3, xlsxRandomCell(100 << 20)},
		{"far-cells.xlsx", "XLSX with a cell at ZZZZ2 and a row r=2147483647", 3, xlsxRaw(
			`<row r="2"><c r="A2" t="inlineStr"><is><t>H1</t></is></c><c r="ZZZZ2" t="inlineStr"><is><t>x</t></is></c></row>` +
				`<row r="3"><c r="A3" t="inlineStr"><is><t>H2</t></is></c><c r="B3" t="inlineStr"><is><t>h2@example.com</t></is></c></row>` +
				`<row r="2147483647"><c r="A2147483647" t="inlineStr"><is><t>H3</t></is></c></row>`)},
		{"entities.xlsx", "XLSX with an undefined XML entity reference in a cell", 3, xlsxRaw(
			`<row r="2"><c r="A2" t="inlineStr"><is><t>E1</t></is></c><c r="B2" t="inlineStr"><is><t>e1&nbsp;@example.com</t></is></c></row>`)},
		{"encrypted.xlsx", "password-protected XLSX (OLE container)", 1, oleFile(true)},
		{"legacy.xlsx", "Excel 97-2003 .xls renamed to .xlsx", 1, oleFile(false)},
		{"unclosed-quote.csv", "CSV whose row 5 opens a quote never closed, 5 rows after it", 3, csvUnclosedQuote},
		{"mixed-encoding.csv", "CSV in UTF-8 with one Latin-1 byte", 1, csvText(hostileCSVHeader +
			"M1,m1@example.com,J\xC3\xBCrgen,M\xC3\xBCller\nM2,m2@example.com,M\xFCller,Hans\n")},
		{"blank-lines-200mb.csv", "CSV with 200 MB of blank lines", 0, csvBlankLines(200 << 20)},
		{"line-1gb.csv", "CSV with a 1 GB line", 1, csvLongLine(1 << 30)},
		{"wide-16384.csv", "CSV with 16,384 columns, XLSX report", 1, csvWide(16384)},
	}
}

// TestWriteHostileFiles writes the hostile-input suite into
// $EMPORIX_HOSTILE_DIR (several GB of work; skipped unless set), with a
// manifest "file<TAB>expected exit<TAB>description" for scripts/hostile.sh.
func TestWriteHostileFiles(t *testing.T) {
	dir := os.Getenv("EMPORIX_HOSTILE_DIR")
	if dir == "" {
		t.Skip("set EMPORIX_HOSTILE_DIR (see scripts/hostile.sh)")
	}
	var manifest strings.Builder
	for _, c := range hostileCases() {
		f, err := os.Create(filepath.Join(dir, c.file))
		if err != nil {
			t.Fatal(err)
		}
		w := bufio.NewWriterSize(f, 1<<20)
		if err := c.gen(w); err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&manifest, "%s\t%d\t%s\n", c.file, c.want, c.what)
	}
	if err := os.WriteFile(filepath.Join(dir, "MANIFEST"), []byte(manifest.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

func csvText(s string) func(io.Writer) error {
	return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
}

func csvUnclosedQuote(w io.Writer) error {
	var b strings.Builder
	b.WriteString(hostileCSVHeader)
	for i := 2; i <= 10; i++ {
		if i == 5 {
			b.WriteString("Q5,q5@example.com,\"Unclosed,Last\n")
			continue
		}
		fmt.Fprintf(&b, "Q%d,q%d@example.com,First,Last\n", i, i)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func repeat(w io.Writer, b byte, n int64) error {
	chunk := strings.Repeat(string(b), 1<<20)
	for n > 0 {
		k := min(n, int64(len(chunk)))
		if _, err := io.WriteString(w, chunk[:k]); err != nil {
			return err
		}
		n -= k
	}
	return nil
}

func csvBlankLines(n int64) func(io.Writer) error {
	return func(w io.Writer) error {
		if _, err := io.WriteString(w, hostileCSVHeader+"B1,b1@example.com,A,B\n"); err != nil {
			return err
		}
		if err := repeat(w, '\n', n); err != nil {
			return err
		}
		_, err := io.WriteString(w, "B2,b2@example.com,A,B\n")
		return err
	}
}

func csvLongLine(n int64) func(io.Writer) error {
	return func(w io.Writer) error {
		if _, err := io.WriteString(w, hostileCSVHeader+"L1,"); err != nil {
			return err
		}
		return repeat(w, 'x', n)
	}
}

func csvWide(cols int) func(io.Writer) error {
	return func(w io.Writer) error {
		names := []string{"customerNumber", "contactEmail"}
		for len(names) < cols {
			names = append(names, fmt.Sprintf("x%d", len(names)))
		}
		_, err := io.WriteString(w, strings.Join(names, ",")+"\nW1,w1@example.com"+strings.Repeat(",", cols-2)+"\n")
		return err
	}
}

// oleFile writes an OLE compound file header; encrypted adds the stream
// name Excel uses for a password-protected workbook.
func oleFile(encrypted bool) func(io.Writer) error {
	return func(w io.Writer) error {
		b := append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 4096)...)
		if encrypted {
			for _, r := range "EncryptedPackage" {
				b = append(b, byte(r), 0)
			}
		} else {
			for _, r := range "Workbook" {
				b = append(b, byte(r), 0)
			}
		}
		_, err := w.Write(b)
		return err
	}
}

// xlsxParts writes a minimal workbook whose sheet rows come from rows.
func xlsxParts(w io.Writer, rows func(io.Writer) error) error {
	zw := zip.NewWriter(w)
	zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(out, flate.BestSpeed)
	})
	static := map[string]string{
		"[Content_Types].xml":        `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>`,
		"_rels/.rels":                `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
		"xl/workbook.xml":            `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Customers" sheetId="1" r:id="rId1"/></sheets></workbook>`,
		"xl/_rels/workbook.xml.rels": `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`,
	}
	for _, name := range []string{"[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels"} {
		pw, err := zw.Create(name)
		if err != nil {
			return err
		}
		if _, err := io.WriteString(pw, static[name]); err != nil {
			return err
		}
	}
	pw, err := zw.Create("xl/worksheets/sheet1.xml")
	if err != nil {
		return err
	}
	head := `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>` +
		`<row r="1"><c r="A1" t="inlineStr"><is><t>customerNumber</t></is></c><c r="B1" t="inlineStr"><is><t>contactEmail</t></is></c></row>`
	if _, err := io.WriteString(pw, head); err != nil {
		return err
	}
	if err := rows(pw); err != nil {
		return err
	}
	if _, err := io.WriteString(pw, `</sheetData></worksheet>`); err != nil {
		return err
	}
	return zw.Close()
}

func xlsxRaw(rows string) func(io.Writer) error {
	return func(w io.Writer) error {
		return xlsxParts(w, func(pw io.Writer) error { _, err := io.WriteString(pw, rows); return err })
	}
}

// xlsxWith writes row 2 with n bytes of b: inside a cell for 'x', between
// the cells for ' '.
func xlsxWith(n int64, b byte) func(io.Writer) error {
	return func(w io.Writer) error {
		return xlsxParts(w, func(pw io.Writer) error {
			if b == ' ' {
				if _, err := io.WriteString(pw, `<row r="2"><c r="A2" t="inlineStr"><is><t>X1</t></is></c>`); err != nil {
					return err
				}
				if err := repeat(pw, ' ', n); err != nil {
					return err
				}
				_, err := io.WriteString(pw, `<c r="B2" t="inlineStr"><is><t>x1@example.com</t></is></c></row>`)
				return err
			}
			if _, err := io.WriteString(pw, `<row r="2"><c r="A2" t="inlineStr"><is><t>X1</t></is></c><c r="B2" t="inlineStr"><is><t>`); err != nil {
				return err
			}
			if err := repeat(pw, b, n); err != nil {
				return err
			}
			_, err := io.WriteString(pw, `</t></is></c></row>`)
			return err
		})
	}
}

func xlsxRandomCell(n int64) func(io.Writer) error {
	return func(w io.Writer) error {
		return xlsxParts(w, func(pw io.Writer) error {
			if _, err := io.WriteString(pw, `<row r="2"><c r="A2" t="inlineStr"><is><t>R1</t></is></c><c r="B2" t="inlineStr"><is><t>`); err != nil {
				return err
			}
			enc := base64.NewEncoder(base64.StdEncoding, pw)
			if _, err := io.CopyN(enc, rand.Reader, n*3/4); err != nil {
				return err
			}
			if err := enc.Close(); err != nil {
				return err
			}
			_, err := io.WriteString(pw, `</t></is></c></row><row r="3"><c r="A3" t="inlineStr"><is><t>R2</t></is></c><c r="B3" t="inlineStr"><is><t>r2@example.com</t></is></c></row>`)
			return err
		})
	}
}
