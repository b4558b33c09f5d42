package sheet

import (
	"bytes"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// scanResult is all a scan of the shared strings then a sheet decides.
type scanResult struct {
	sstDirty, sheetDirty bool
	sstErr, sheetErr     string
	sstOut, sheetOut     string
	checkDirty           [2]bool // check-only scans (no output) of each part
	checkErr             [2]string
	probs                cellProblems
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

type scanFunc func(in []byte, out *bytes.Buffer, lim Limits, sstMode bool, probs *cellProblems) (bool, error)

func runScans(scan scanFunc, sst, sheet []byte, lim Limits) scanResult {
	var r scanResult
	probs := newCellProblems()
	var so, wo bytes.Buffer
	var err error
	r.sstDirty, err = scan(sst, &so, lim, true, probs)
	r.sstErr = errText(err)
	r.sheetDirty, err = scan(sheet, &wo, lim, false, probs)
	r.sheetErr = errText(err)
	r.sstOut, r.sheetOut, r.probs = so.String(), wo.String(), *probs
	for i, part := range [][]byte{sst, sheet} {
		r.checkDirty[i], err = scan(part, nil, lim, i == 0, newCellProblems())
		r.checkErr[i] = errText(err)
	}
	return r
}

func refScan(in []byte, out *bytes.Buffer, lim Limits, sstMode bool, probs *cellProblems) (bool, error) {
	if out == nil {
		return refScanXML(bytes.NewReader(in), nil, lim, sstMode, probs)
	}
	return refScanXML(bytes.NewReader(in), out, lim, sstMode, probs)
}

// newScan runs the scanner with a given read buffer: a small one sends
// tags and text through the paths for tokens longer than the buffer.
func newScan(bufSize int) scanFunc {
	return func(in []byte, out *bytes.Buffer, lim Limits, sstMode bool, probs *cellProblems) (bool, error) {
		if out == nil {
			return newXMLScanner(bytes.NewReader(in), nil, lim, sstMode, probs, bufSize).run()
		}
		return newXMLScanner(bytes.NewReader(in), out, lim, sstMode, probs, bufSize).run()
	}
}

// diffScans checks that the scanner finds what the reference scanner finds,
// with its real read buffer and with bufio's smallest one.
func diffScans(t *testing.T, sst, sheet []byte, lim Limits) {
	t.Helper()
	want := runScans(refScan, sst, sheet, lim)
	for _, size := range []int{scanBufSize, 16} {
		if got := runScans(newScan(size), sst, sheet, lim); !reflect.DeepEqual(got, want) {
			t.Fatalf("buffer %d: scanner and reference differ:\n got  %+v\n want %+v", size, got, want)
		}
	}
}

func scanSeeds() [][2]string {
	sheet, sst := scanBenchXML(3, 6)
	row := func(body string) string {
		return `<?xml version="1.0"?><worksheet><sheetData>` + body + `</sheetData></worksheet>`
	}
	return [][2]string{
		{string(sst), string(sheet)},
		{`<sst><si><t>ok</t></si><si><t>` + strings.Repeat("x", 100) + `</t></si><si><r><t>a&nbsp;b</t></r></si></sst>`,
			row(`<row r="2"><c r="A2" t="s"><v>1</v></c><c r="B2" t="s"><v> 2 </v></c><c r="C2" t="s"><v>+0</v></c></row>`)},
		{`<sst><t>before any si</t>` + strings.Repeat("y", 80) + `</sst>`, row(`<row><c t="s"><v>-1</v></c></row>`)},
		{"", row(`<row r="2">` + inl("A2", "1") + inl("B2", "a&nbsp;b&#x1F600;&#65;&#xFFFFFFFFF;&#;&am") + `</row>`)},
		{"", row(`<row r="2">` + inl("ZZZZ2", "far") + inl("A+2", "plus") + inl("a2", "lower") + `</row><row r="0"><c/></row>`)},
		{"", row(`<row r="2147483647">` + inl("A2147483647", "x") + `</row><row r='3' ><c r='A3'><v>1</v></c></row><row/>`)},
		{"", row(`<x:row r="2"><x:c r="B2" t="inlineStr"><x:is><x:t>ns</x:t></x:is></x:c></x:row>`)},
		{"", row(`<row r="2"><c r="A2"><v><![CDATA[` + strings.Repeat("é", 40) + `]]></v></c><!-- a > b --><?pi x?><c r="B2"><f>SUM(A1)</f><v>1</v></c></row>`)},
		{"", row(`<row r="2">` + inl("A2", strings.Repeat("long text ", 20)) + inl("B2", strings.Repeat("ü", 50)) + `</row>`)},
		{"", row(`<row r="2"><c r="A2" xr="A9" t="inlineStr"><is><t>` + strings.Repeat("z", 60) + `</t></is></c><c r="B2"><v>` + strings.Repeat("9", 70) + `</v></c></row>`)},
		{"", `<!DOCTYPE x [<!ENTITY a "b">]><worksheet/>`},
		{"", row(`<row r="2"><c r="A2"><v>1</v></c`)},
		{"", `<!-- unterminated comment > still`},
		{"", row(`<row r="2"><c r="A2" t="inlineStr"><is><t>` + strings.Repeat("&amp;", 30) + `</t></is></c></row>`)},
		{"", row(`<row r="99999999999999999999"><c r="A99999999999999999999"/></row><row r="00000000000000000002"><c r="A2"/></row>`)},
	}
}

// FuzzScanXMLDiff: the allocation-free scanner decides as the scanner it
// replaced did (dirty, errors, problems, repaired XML), whatever the input.
func FuzzScanXMLDiff(f *testing.F) {
	for _, s := range scanSeeds() {
		f.Add([]byte(s[0]), []byte(s[1]))
	}
	lim := Limits{MaxCell: 64, MaxRecord: 256}.withDefaults()
	f.Fuzz(func(t *testing.T, sst, sheet []byte) {
		diffScans(t, sst, sheet, lim)
	})
}

// The seeds again with the production limits and with tokens longer than
// the read buffer and maxTag.
func TestScanXMLDiffLarge(t *testing.T) {
	lim := Limits{}.withDefaults()
	for _, s := range scanSeeds() {
		diffScans(t, []byte(s[0]), []byte(s[1]), lim)
	}
	big := strings.Repeat("x", 70<<10)
	row := func(body string) []byte {
		return []byte(`<worksheet><sheetData><row r="2">` + body + `</row></sheetData></worksheet>`)
	}
	for _, sheet := range [][]byte{
		row(inl("A2", big) + inl("B2", "b")),
		row(inl("A2", strings.Repeat("&amp;", 14<<10)+"&nbsp;")),
		row(`<c r="A2" t="inlineStr" x="` + big + `"><is><t>long tag</t></is></c>`),
		row(`<c r="A2" t="inlineStr" x="` + big[:60<<10] + `"><is><t>tag near maxTag</t></is></c>`),
		row(`<!--` + big + `-->` + inl("A2", "after a long comment")),
		row(`<c r="A2"><v><![CDATA[` + big + `]]></v></c>`),
	} {
		diffScans(t, nil, sheet, lim)
	}
}

func FuzzAtoi(f *testing.F) {
	for _, s := range []string{"", "0", "+1", "-1", "-", "+", "007", "1a", " 1", "9223372036854775807", "9223372036854775808", "-9223372036854775808", "123456789012345678", "1_000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := strconv.Atoi(s)
		if got, ok := atoi([]byte(s)); ok != (err == nil) || (ok && got != n) {
			t.Fatalf("atoi(%q) = %d, %v; strconv.Atoi: %d, %v", s, got, ok, n, err)
		}
		for _, base := range []int{10, 16} {
			_, err := strconv.ParseUint(s, base, 32)
			if ok := isUint32([]byte(s), uint64(base)); ok != (err == nil) {
				t.Fatalf("isUint32(%q, %d) = %v; strconv.ParseUint: %v", s, base, ok, err)
			}
		}
	})
}

// A clean sheet costs the scan no allocation per cell.
func TestScanXMLAllocs(t *testing.T) {
	lim := Limits{}.withDefaults()
	allocs := func(rows int) float64 {
		sheet, sst := scanBenchXML(rows, 10)
		return testing.AllocsPerRun(3, func() {
			probs := newCellProblems()
			for i, part := range [][]byte{sst, sheet} {
				if dirty, err := scanXML(bytes.NewReader(part), nil, lim, i == 0, probs); dirty || err != nil {
					t.Fatal(dirty, err)
				}
			}
		})
	}
	small, large := allocs(10), allocs(2000)
	if large > small {
		t.Errorf("%v allocations for 2,000 rows, %v for 10: the scan allocates per row", large, small)
	}
}
