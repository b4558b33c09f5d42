package sheet

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

const (
	scanBenchRows = 20_000
	scanBenchCols = 25
)

// scanBenchData is one workbook of the scan benchmarks, with its sheet and
// shared strings XML as they are inside the zip.
type scanBenchData struct {
	name             string
	sheet, sst, xlsx []byte
}

var (
	scanBenchOnce sync.Once
	scanBench     []scanBenchData
)

// scanBenchWorkbooks returns two workbooks of the same size: "excel" as
// Excel saves one (shared strings: unique e-mails and names, repeated
// countries; numbers, styled dates, spans and x14ac attributes on rows) and
// "stream" as excelize's StreamWriter writes one (inline strings, as the
// bench package's generated inputs).
func scanBenchWorkbooks(tb testing.TB) []scanBenchData {
	tb.Helper()
	scanBenchOnce.Do(func() {
		sheet, sst := scanBenchXML(scanBenchRows, scanBenchCols)
		excel := scanBenchData{name: "excel", sheet: sheet, sst: sst, xlsx: excelLikeWorkbook(tb, sheet, sst)}
		stream := streamWorkbook(tb, scanBenchRows, scanBenchCols)
		scanBench = []scanBenchData{excel, stream}
	})
	return scanBench
}

// streamWorkbook writes a workbook with excelize's StreamWriter.
func streamWorkbook(tb testing.TB, rows, cols int) scanBenchData {
	tb.Helper()
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", "Daten"); err != nil {
		tb.Fatal(err)
	}
	sw, err := f.NewStreamWriter("Daten")
	if err != nil {
		tb.Fatal(err)
	}
	vals := make([]any, cols)
	for r := 0; r <= rows; r++ {
		for c := range vals {
			vals[c] = benchValue(r, c)
			if r == 0 {
				vals[c] = fmt.Sprintf("col%d", c)
			}
		}
		if err := sw.SetRow(fmt.Sprintf("A%d", r+1), vals); err != nil {
			tb.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		tb.Fatal(err)
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		tb.Fatal(err)
	}
	d := scanBenchData{name: "stream", xlsx: buf.Bytes()}
	zr, err := zip.NewReader(bytes.NewReader(d.xlsx), int64(len(d.xlsx)))
	if err != nil {
		tb.Fatal(err)
	}
	d.sheet, d.sst = readPart(tb, zr, "xl/worksheets/sheet1.xml"), readPart(tb, zr, sstPath)
	return d
}

func readPart(tb testing.TB, zr *zip.Reader, name string) []byte {
	tb.Helper()
	f := findPart(zr, name)
	if f == nil {
		return nil
	}
	rc, err := f.Open()
	if err != nil {
		tb.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// scanBenchXML writes the sheet XML and its shared strings.
func scanBenchXML(rows, cols int) (sheet, sst []byte) {
	var sh, ss bytes.Buffer
	strs := 0
	addStr := func(s string) int {
		if strings.HasPrefix(s, " ") {
			fmt.Fprintf(&ss, `<si><t xml:space="preserve">%s</t></si>`, s)
		} else {
			fmt.Fprintf(&ss, `<si><t>%s</t></si>`, s)
		}
		strs++
		return strs - 1
	}
	countries := []int{addStr("DE"), addStr("AT"), addStr("CH")}
	sh.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\r\n" +
		`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" mc:Ignorable="x14ac" xmlns:x14ac="http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac">`)
	fmt.Fprintf(&sh, `<dimension ref="A1:%s%d"/><sheetViews><sheetView tabSelected="1" workbookViewId="0"/></sheetViews><sheetFormatPr defaultRowHeight="15" x14ac:dyDescent="0.25"/><sheetData>`, colName(cols), rows+1)
	for r := 1; r <= rows+1; r++ {
		fmt.Fprintf(&sh, `<row r="%d" spans="1:%d" x14ac:dyDescent="0.25">`, r, cols)
		for c := 1; c <= cols; c++ {
			ref := fmt.Sprintf("%s%d", colName(c), r)
			switch {
			case r == 1:
				fmt.Fprintf(&sh, `<c r="%s" t="s"><v>%d</v></c>`, ref, addStr(fmt.Sprintf("column %d", c)))
			case c%5 == 1:
				fmt.Fprintf(&sh, `<c r="%s"><v>%d</v></c>`, ref, 100000+r)
			case c%5 == 2:
				fmt.Fprintf(&sh, `<c r="%s" s="1"><v>%d</v></c>`, ref, 40000+r%3000)
			case c%5 == 3:
				fmt.Fprintf(&sh, `<c r="%s" t="s"><v>%d</v></c>`, ref, countries[r%3])
			case c%5 == 4:
				fmt.Fprintf(&sh, `<c r="%s" t="s"><v>%d</v></c>`, ref, addStr(fmt.Sprintf("user%d.c%d@example.com", r, c)))
			case r%7 == 0:
				fmt.Fprintf(&sh, `<c r="%s" t="s"><v>%d</v></c>`, ref, addStr(fmt.Sprintf("Müller &amp; Söhne %d", r*cols+c)))
			default:
				fmt.Fprintf(&sh, `<c r="%s" t="s"><v>%d</v></c>`, ref, addStr(fmt.Sprintf("Müller-Lüdenscheidt %d", r*cols+c)))
			}
		}
		sh.WriteString(`</row>`)
	}
	sh.WriteString(`</sheetData><pageMargins left="0.7" right="0.7" top="0.78740157499999996" bottom="0.78740157499999996" header="0.3" footer="0.3"/></worksheet>`)
	head := fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`+"\r\n"+
		`<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="%d" uniqueCount="%d">`, strs, strs)
	return sh.Bytes(), append(append([]byte(head), ss.Bytes()...), "</sst>"...)
}

func colName(c int) string {
	name, _ := excelize.ColumnNumberToName(c)
	return name
}

// excelLikeWorkbook wraps a sheet and its shared strings into a workbook
// with a date style, compressed as Excel does.
func excelLikeWorkbook(tb testing.TB, sheet, sst []byte) []byte {
	tb.Helper()
	return zipParts(tb, map[string]io.Reader{
		"[Content_Types].xml":        strings.NewReader(`<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>`),
		"_rels/.rels":                strings.NewReader(`<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`),
		"xl/workbook.xml":            strings.NewReader(`<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Daten" sheetId="1" r:id="rId1"/></sheets></workbook>`),
		"xl/_rels/workbook.xml.rels": strings.NewReader(`<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>`),
		"xl/styles.xml":              strings.NewReader(`<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts><fills count="1"><fill><patternFill patternType="none"/></fill></fills><borders count="1"><border/></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs></styleSheet>`),
		"xl/sharedStrings.xml":       bytes.NewReader(sst),
		"xl/worksheets/sheet1.xml":   bytes.NewReader(sheet),
	})
}

// BenchmarkScanXML measures the hardening scan alone, on parts already
// inflated (sheet, shared strings) and on the workbook as repairSheet
// reads it (inflating both parts).
func BenchmarkScanXML(b *testing.B) {
	lim := Limits{}.withDefaults()
	for _, d := range scanBenchWorkbooks(b) {
		for _, part := range []struct {
			name    string
			xml     []byte
			sstMode bool
		}{{"sheet", d.sheet, false}, {"sst", d.sst, true}} {
			if part.xml == nil {
				continue
			}
			b.Run(d.name+"/"+part.name, func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(part.xml)))
				for b.Loop() {
					dirty, err := scanXML(bytes.NewReader(part.xml), nil, lim, part.sstMode, newCellProblems())
					if err != nil || dirty {
						b.Fatal(dirty, err)
					}
				}
			})
		}
		b.Run(d.name+"/inflate", func(b *testing.B) {
			b.SetBytes(int64(len(d.sheet) + len(d.sst)))
			for b.Loop() {
				inflateParts(b, d.xlsx)
			}
		})
		b.Run(d.name+"/workbook", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(d.sheet) + len(d.sst)))
			for b.Loop() {
				scanWorkbook(b, d.xlsx, lim)
			}
		})
	}
}

// inflateParts only inflates the parts the scan reads: the floor of its time.
func inflateParts(b *testing.B, xlsx []byte) {
	zr, err := zip.NewReader(bytes.NewReader(xlsx), int64(len(xlsx)))
	if err != nil {
		b.Fatal(err)
	}
	for _, name := range []string{sstPath, "xl/worksheets/sheet1.xml"} {
		if f := findPart(zr, name); f != nil {
			rc, err := f.Open()
			if err != nil {
				b.Fatal(err)
			}
			if _, err := io.Copy(io.Discard, rc); err != nil {
				b.Fatal(err)
			}
			rc.Close()
		}
	}
}

// scanWorkbook runs the scan newXLSX runs before excelize opens the workbook.
func scanWorkbook(b *testing.B, xlsx []byte, lim Limits) {
	zr, err := zip.NewReader(bytes.NewReader(xlsx), int64(len(xlsx)))
	if err != nil {
		b.Fatal(err)
	}
	_, part, err := chooseSheet(zr, "")
	if err != nil {
		b.Fatal(err)
	}
	if _, repaired, err := repairSheet(zr, part, lim); err != nil || repaired != nil {
		b.Fatal("the benchmark workbook needs a repair", err)
	}
}

// BenchmarkScanVsExcelize times the scan of a workbook and a bare excelize
// Rows loop over it in the same iteration and reports their ratios, of wall
// and of CPU time (the process's, GC included: steadier on a loaded machine).
func BenchmarkScanVsExcelize(b *testing.B) {
	lim := Limits{}.withDefaults()
	for _, d := range scanBenchWorkbooks(b) {
		b.Run(d.name, func(b *testing.B) {
			var scan, bare, scanCPU, bareCPU time.Duration
			for b.Loop() {
				start, cpu := time.Now(), cpuTime()
				scanWorkbook(b, d.xlsx, lim)
				scan, scanCPU = scan+time.Since(start), scanCPU+cpuTime()-cpu
				start, cpu = time.Now(), cpuTime()
				if n := bareRows(b, d.xlsx); n != scanBenchRows+1 {
					b.Fatalf("excelize read %d rows", n)
				}
				bare, bareCPU = bare+time.Since(start), bareCPU+cpuTime()-cpu
			}
			b.ReportMetric(scan.Seconds()/float64(b.N), "scan-s/op")
			b.ReportMetric(bare.Seconds()/float64(b.N), "excelize-s/op")
			b.ReportMetric(scan.Seconds()/bare.Seconds(), "scan/excelize")
			b.ReportMetric(scanCPU.Seconds()/bareCPU.Seconds(), "scan/excelize-cpu")
		})
	}
}

// cpuTime is the CPU time (user and system) the process used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// bareRows is excelize's Rows loop with its default options.
func bareRows(b *testing.B, xlsx []byte) int {
	f, err := excelize.OpenReader(bytes.NewReader(xlsx))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	rows, err := f.Rows("Daten")
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	for rows.Next() {
		if _, err := rows.Columns(); err != nil {
			b.Fatal(err)
		}
		n++
	}
	if err := rows.Close(); err != nil {
		b.Fatal(err)
	}
	return n
}
