package sheet

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

// readAll drains r, failing the test on a fatal error.
func readAll(t *testing.T, r Reader) []Row {
	t.Helper()
	var rows []Row
	for {
		row, err := r.Next()
		if err == io.EOF {
			return rows
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		rows = append(rows, row)
	}
}

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func encode(t *testing.T, enc encoding.Encoding, s string) []byte {
	t.Helper()
	b, err := enc.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCSVEncodings(t *testing.T) {
	const text = "Name;Straße;Ort\r\nMüller;Hauptstraße 1;Köln\r\n"
	wantHeader := []string{"Name", "Straße", "Ort"}
	wantCells := []string{"Müller", "Hauptstraße 1", "Köln"}
	tests := []struct {
		name     string
		data     []byte
		override string
		wantEnc  string
	}{
		{"utf-8", []byte(text), "", EncUTF8},
		{"utf-8 BOM keeps first column", append([]byte("\xEF\xBB\xBF"), text...), "", EncUTF8},
		{"utf-8 BOM with override", append([]byte("\xEF\xBB\xBF"), text...), "UTF-8", EncUTF8},
		{"utf-16le BOM", encode(t, unicode.UTF16(unicode.LittleEndian, unicode.UseBOM), text), "", EncUTF16LE},
		{"utf-16be BOM", encode(t, unicode.UTF16(unicode.BigEndian, unicode.UseBOM), text), "", EncUTF16BE},
		{"utf-16 override without BOM", encode(t, unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), text), "utf-16", EncUTF16LE},
		{"windows-1252 sniffed", encode(t, charmap.Windows1252, text), "", EncWindows1252},
		{"iso-8859-1 override", encode(t, charmap.ISO8859_1, text), "latin1", EncISO88591},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewCSV(bytes.NewReader(tt.data), "in.csv", Options{Encoding: tt.override})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if got := r.(CSVInfo).Encoding(); got != tt.wantEnc {
				t.Errorf("encoding = %q, want %q", got, tt.wantEnc)
			}
			if !reflect.DeepEqual(r.Header(), wantHeader) {
				t.Errorf("header = %q, want %q", r.Header(), wantHeader)
			}
			rows := readAll(t, r)
			if len(rows) != 1 || !reflect.DeepEqual(rows[0].Cells, wantCells) || rows[0].Err != nil {
				t.Fatalf("rows = %+v, want one row %q", rows, wantCells)
			}
		})
	}
}

func TestCSVUnknownEncoding(t *testing.T) {
	_, err := NewCSV(strings.NewReader("a\n1\n"), "kunden.csv", Options{Encoding: "ebcdic"})
	if !errors.Is(err, ErrUnknownEncoding) || !strings.Contains(err.Error(), "kunden.csv") {
		t.Fatalf("err = %v, want ErrUnknownEncoding naming the file", err)
	}
}

func TestSniffDelimiter(t *testing.T) {
	tests := []struct {
		name      string
		text      string
		headerRow int
		want      rune
	}{
		{"comma", "a,b,c\n1,2,3\n", 1, ','},
		{"semicolon", "a;b;c\n1;2;3\n", 1, ';'},
		{"tab", "a\tb\tc\n1\t2\t3\n", 1, '\t'},
		{"pipe", "a|b|c\n1|2|3\n", 1, '|'},
		{"semicolon with commas in data", "Name;Ort;Notiz\nMüller, Hans;Köln;a, b, c\nX;Y;Z\n", 1, ';'},
		{"commas inside quotes ignored", "a;b\n\"1,2,3,4\";x\n\"5,6\";y\n", 1, ';'},
		{"quoted multi-line cell", "a|b\n\"x\ny,z\"|1\n", 1, '|'},
		{"header row 3 after title lines", "Export, 2024\n\nk1;k2;k3\n1;2;3\n", 3, ';'},
		{"single column defaults to comma", "email\na@b.de\n", 1, ','},
		{"empty defaults to comma", "", 1, ','},
		{"consistency beats count", "a;b,c,d,e\n1;2\n3;4\n", 1, ';'},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sniffDelimiter([]byte(tt.text), tt.headerRow, false); got != tt.want {
				t.Errorf("sniffDelimiter = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSniffEncoding(t *testing.T) {
	tests := []struct {
		name    string
		head    []byte
		want    string
		wantBOM int
	}{
		{"ascii", []byte("a,b\n"), EncUTF8, 0},
		{"utf-8 bom", []byte("\xEF\xBB\xBFa"), EncUTF8, 3},
		{"utf-16le bom", []byte("\xFF\xFEa\x00"), EncUTF16LE, 2},
		{"utf-16be bom", []byte("\xFE\xFF\x00a"), EncUTF16BE, 2},
		{"latin byte", []byte("M\xFCller"), EncWindows1252, 0},
		{"rune cut at window end", append(bytes.Repeat([]byte("a"), sniffSize-1), 0xC3), EncUTF8, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			te, err := sniffEncoding(tt.head, "")
			if err != nil || te.name != tt.want || te.bomLen != tt.wantBOM {
				t.Errorf("sniffEncoding = %q, %d, %v; want %q, %d", te.name, te.bomLen, err, tt.want, tt.wantBOM)
			}
		})
	}
}

type wantRow struct {
	num   int
	cells []string
	err   error // problem kind, nil = no Row.Err
}

func TestCSVRows(t *testing.T) {
	tests := []struct {
		name   string
		text   string
		opt    Options
		header []string
		rows   []wantRow
	}{
		{
			name:   "plain with CRLF",
			text:   "a,b\r\n1,2\r\n3,4\r\n",
			header: []string{"a", "b"},
			rows:   []wantRow{{2, []string{"1", "2"}, nil}, {3, []string{"3", "4"}, nil}},
		},
		{
			name:   "no final newline",
			text:   "a,b\n1,2",
			header: []string{"a", "b"},
			rows:   []wantRow{{2, []string{"1", "2"}, nil}},
		},
		{
			name:   "quotes in quotes",
			text:   "name,note\n\"Hans \"\"Hansi\"\" Müller\",\"a,b\"\n",
			header: []string{"name", "note"},
			rows:   []wantRow{{2, []string{`Hans "Hansi" Müller`, "a,b"}, nil}},
		},
		{
			name:   "multi-line cells count as one row",
			text:   "a,b\n\"line1\r\nline2\nline3\",x\n5,6\n",
			header: []string{"a", "b"},
			rows:   []wantRow{{2, []string{"line1\nline2\nline3", "x"}, nil}, {3, []string{"5", "6"}, nil}},
		},
		{
			name:   "multi-line cell not last",
			text:   "a,b\n1,\"x\ny\"\n2,3\n",
			header: []string{"a", "b"},
			rows:   []wantRow{{2, []string{"1", "x\ny"}, nil}, {3, []string{"2", "3"}, nil}},
		},
		{
			name:   "blank lines and empty rows skipped but counted",
			text:   "a,b\n1,2\n\n\n,\n  ,\t\n3,4\n",
			header: []string{"a", "b"},
			rows:   []wantRow{{2, []string{"1", "2"}, nil}, {7, []string{"3", "4"}, nil}},
		},
		{
			name:   "ragged rows padded and truncated",
			text:   "a,b,c\n1,2\n1,2,3,4,5\n",
			header: []string{"a", "b", "c"},
			rows: []wantRow{
				{2, []string{"1", "2", ""}, ErrRagged},
				{3, []string{"1", "2", "3"}, ErrRagged},
			},
		},
		{
			name:   "trailing delimiter on every line",
			text:   "a;b;\n1;2;\n",
			header: []string{"a", "b"},
			rows:   []wantRow{{2, []string{"1", "2"}, nil}},
		},
		{
			name:   "value under trailing empty header",
			text:   "a;b;\n1;2;x\n",
			header: []string{"a", "b"},
			rows:   []wantRow{{2, []string{"1", "2"}, ErrRagged}},
		},
		{
			name:   "header row 3, trimmed header",
			text:   "Kundenexport\nStand 2024\n Nr ; E-Mail \n1;a@b.de\n",
			opt:    Options{HeaderRow: 3},
			header: []string{"Nr", "E-Mail"},
			rows:   []wantRow{{4, []string{"1", "a@b.de"}, nil}},
		},
		{
			name:   "bare quote reported, reading continues",
			text:   "a,b\n1,x\"y\n2,3\n",
			header: []string{"a", "b"},
			rows:   []wantRow{{2, []string{"1", `x"y`}, ErrMalformedQuote}, {3, []string{"2", "3"}, nil}},
		},
		{
			name:   "text after closing quote reported, reading continues",
			text:   "a,b\n\"1\"x,2\n3,4\n",
			header: []string{"a", "b"},
			rows:   []wantRow{{2, []string{`"1"x`, "2"}, ErrMalformedQuote}, {3, []string{"3", "4"}, nil}},
		},
		{
			name:   "unclosed quote at end of file",
			text:   "a,b\n1,2\n3,\"open\n",
			header: []string{"a", "b"},
			rows:   []wantRow{{2, []string{"1", "2"}, nil}, {3, []string{"3", "open"}, ErrMalformedQuote}},
		},
		{
			name:   "unclosed quote: every later line is its own invalid row",
			text:   "a,b\n1,2\n3,\"open\n4,5\n\n6,7\n",
			header: []string{"a", "b"},
			rows: []wantRow{{2, []string{"1", "2"}, nil}, {3, []string{"3", "open"}, ErrMalformedQuote},
				{4, []string{"4", "5"}, ErrMalformedQuote}, {6, []string{"6", "7"}, ErrMalformedQuote}},
		},
		{
			name:   "bad quote inside a multi-line cell: its lines are rows, reading continues",
			text:   "a,b\n1,\"x\ny\"z\n2,3\n",
			header: []string{"a", "b"},
			rows: []wantRow{{2, []string{"1", "x"}, ErrMalformedQuote}, {3, []string{`y"z`, ""}, ErrMalformedQuote},
				{4, []string{"2", "3"}, nil}},
		},
		{
			name:   "blank lines before a broken record are counted",
			text:   "a,b\n\n\n\"x\"y,1\n2,3\n",
			header: []string{"a", "b"},
			rows:   []wantRow{{4, []string{`"x"y`, "1"}, ErrMalformedQuote}, {5, []string{"2", "3"}, nil}},
		},
		{
			name:   "classic Mac line endings",
			text:   "a,b\r1,2\r3,4\r",
			header: []string{"a", "b"},
			rows:   []wantRow{{2, []string{"1", "2"}, nil}, {3, []string{"3", "4"}, nil}},
		},
		{
			name:   "delimiter override",
			text:   "a;b,c\n1;2,3\n",
			opt:    Options{Delimiter: ','},
			header: []string{"a;b", "c"},
			rows:   []wantRow{{2, []string{"1;2", "3"}, nil}},
		},
		{
			name:   "NUL and other control characters are row errors in any field",
			text:   "a,b\n1\x00,2\nx,\x1b[31m\n\"tab\tcr\r\",ok\n",
			header: []string{"a", "b"},
			rows: []wantRow{{2, []string{"1\x00", "2"}, ErrControlChar}, {3, []string{"x", "\x1b[31m"}, ErrControlChar},
				{4, []string{"tab\tcr\r", "ok"}, nil}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewCSV(strings.NewReader(tt.text), "in.csv", tt.opt)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if !reflect.DeepEqual(r.Header(), tt.header) {
				t.Errorf("header = %q, want %q", r.Header(), tt.header)
			}
			rows := readAll(t, r)
			if len(rows) != len(tt.rows) {
				t.Fatalf("got %d rows %+v, want %d", len(rows), rows, len(tt.rows))
			}
			for i, got := range rows {
				want := tt.rows[i]
				if got.Seq != i || got.Num != want.num || !reflect.DeepEqual(got.Cells, want.cells) {
					t.Errorf("row %d = {Seq %d Num %d %q}, want {Seq %d Num %d %q}", i, got.Seq, got.Num, got.Cells, i, want.num, want.cells)
				}
				switch {
				case want.err == nil && got.Err != nil:
					t.Errorf("row %d: unexpected Err %v", i, got.Err)
				case want.err != nil && !errors.Is(got.Err, want.err):
					t.Errorf("row %d: Err = %v, want %v", i, got.Err, want.err)
				case want.err != nil && !strings.HasPrefix(got.Err.Error(), "in.csv: row "):
					t.Errorf("row %d: Err %q does not name file and row", i, got.Err)
				}
			}
		})
	}
}

func TestCSVRaggedMessage(t *testing.T) {
	r, err := NewCSV(strings.NewReader("a,b,c,d,e,f\n\n\n\n\n1,2,3,4,5\n1,2,3,4,5,6,seven,eight\n"), "k.csv", Options{})
	if err != nil {
		t.Fatal(err)
	}
	rows := readAll(t, r)
	if got, want := rows[0].Err.Error(), "k.csv: row 6: has 5 cells, header has 6"; got != want {
		t.Errorf("Err = %q, want %q", got, want)
	}
	if got, want := rows[1].Err.Error(), `k.csv: row 7: has 8 cells, header has 6 (extra: "seven", "eight")`; got != want {
		t.Errorf("Err = %q, want %q", got, want)
	}
}

func TestCSVHeaderErrors(t *testing.T) {
	tests := []struct {
		name, text string
		opt        Options
		want       []string // substrings of the error
	}{
		{"duplicate", "id,email,name,email\n", Options{}, []string{"h.csv: row 1:", `duplicate column name "email" in columns B and D`}},
		{"empty names", "id,,name, ,x\n", Options{}, []string{"empty column name in column B, D"}},
		{"empty file", "", Options{}, []string{"h.csv:", "file is empty"}},
		{"header row beyond end", "a\nb\n", Options{HeaderRow: 5}, []string{"header row 5 not found, the file has 2 rows"}},
		{"header row blank", "title\n\na,b\n", Options{HeaderRow: 2}, []string{"row 2:", "header row is empty"}},
		{"header of delimiters only", ",,,\n1,2,3,4\n", Options{}, []string{"header row is empty"}},
		{"bad delimiter", "a\n", Options{Delimiter: '"'}, []string{"h.csv:", "invalid delimiter"}},
		{"negative header row", "a\n", Options{HeaderRow: -1}, []string{"h.csv:", "header row -1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewCSV(strings.NewReader(tt.text), "h.csv", tt.opt)
			if err == nil {
				t.Fatal("no error")
			}
			var fe *Error
			if !errors.As(err, &fe) {
				t.Errorf("err %T is not *Error", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("err %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestCSVHugeField(t *testing.T) {
	big := strings.Repeat("ü", 1<<19) // a 1 MiB cell, 2 bytes a rune
	r, err := NewCSV(strings.NewReader("a,b\n1,"+big+"\n2,ok\n"), "big.csv", Options{})
	if err != nil {
		t.Fatal(err)
	}
	rows := readAll(t, r)
	if len(rows) != 2 {
		t.Fatalf("got %d rows", len(rows))
	}
	if !errors.Is(rows[0].Err, ErrFieldTooLarge) || !strings.Contains(rows[0].Err.Error(), `column B ("b")`) {
		t.Errorf("Err = %v, want ErrFieldTooLarge naming column B", rows[0].Err)
	}
	if c, maxCell := rows[0].Cells[1], (Limits{}).withDefaults().MaxCell; len(c) != maxCell || c != big[:maxCell] {
		t.Errorf("cell truncated to %d bytes, want %d on a rune boundary", len(c), maxCell)
	}
	if rows[1].Err != nil || rows[1].Cells[1] != "ok" {
		t.Errorf("row after the huge one = %+v", rows[1])
	}
}

// endless yields the same byte forever, so tests can feed a "2 GB line" without holding it.
type endless byte

func (e endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(e)
	}
	return len(p), nil
}

func TestCSVRecordTooLarge(t *testing.T) {
	lim := Limits{MaxRecord: 1 << 20}
	tests := []struct {
		name string
		in   io.Reader
	}{
		{"endless line", io.MultiReader(strings.NewReader("a,b\n1,2\n"), endless('x'))},
		{"endless delimiters", io.MultiReader(strings.NewReader("a,b\n1,2\n"), endless(','))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := lim.NewCSV(tt.in, "bomb.csv", Options{})
			if err != nil {
				t.Fatal(err)
			}
			if row, err := r.Next(); err != nil || row.Num != 2 {
				t.Fatalf("first row = %+v, %v", row, err)
			}
			_, err = r.Next()
			if !errors.Is(err, ErrRecordTooLarge) || !strings.HasPrefix(err.Error(), "bomb.csv: line 3: record too large") {
				t.Fatalf("err = %v, want ErrRecordTooLarge naming file and line", err)
			}
			if _, again := r.Next(); again != err {
				t.Errorf("error not sticky: %v", again)
			}
		})
	}
}

// An unclosed quote past MaxRecord is not fatal: the quote's line and every
// later line are reported, each as an invalid row with its raw text.
func TestCSVUnclosedQuotePastLimit(t *testing.T) {
	var b strings.Builder
	b.WriteString("a,b\n1,2\n3,\"open\n")
	for i := 0; b.Len() < 3<<10; i++ {
		fmt.Fprintf(&b, "%d,x\n", i)
	}
	lines := strings.Count(b.String(), "\n")
	r, err := Limits{MaxRecord: 1 << 10}.NewCSV(strings.NewReader(b.String()), "q.csv", Options{})
	if err != nil {
		t.Fatal(err)
	}
	rows := readAll(t, r)
	if len(rows) != lines-1 {
		t.Fatalf("got %d rows, want one per data line (%d)", len(rows), lines-1)
	}
	if rows[1].Raw != `3,"open` || !strings.Contains(rows[1].Err.Error(), "the quote on line 3 is never closed") {
		t.Errorf("quote row = %q, %v", rows[1].Raw, rows[1].Err)
	}
	last := rows[len(rows)-1]
	if last.Num != lines || !errors.Is(last.Err, ErrMalformedQuote) || !strings.Contains(last.Err.Error(), "broken quote on line 3 (row 3)") {
		t.Errorf("last row = %+v", last)
	}
}

// Blank lines cost no memory and are not an error, however many (more than
// MaxRecord here; the hostile-file suite runs 200 MB).
func TestCSVManyBlankLines(t *testing.T) {
	n := 4 << 20
	in := io.MultiReader(strings.NewReader("a,b\n1,2\n"), io.LimitReader(endless('\n'), int64(n)), strings.NewReader("3,4\n"))
	r, err := Limits{MaxRecord: 1 << 20}.NewCSV(in, "blank.csv", Options{})
	if err != nil {
		t.Fatal(err)
	}
	rows := readAll(t, r)
	if len(rows) != 2 || rows[1].Num != 3+n || rows[1].Cells[1] != "4" {
		t.Fatalf("rows = %+v", rows)
	}
}

func TestCSVMixedEncoding(t *testing.T) {
	var late strings.Builder
	late.WriteString("name\n")
	for late.Len() < sniffSize+10 {
		late.WriteString("plain ascii row\n")
	}
	lateLine := strings.Count(late.String(), "\n") + 1
	late.WriteString("M\xFCller\n")
	tests := []struct {
		name, text string
		line       int
	}{
		{"stray Latin-1 byte beside UTF-8", "name\nJ\xC3\xBCrgen\nM\xFCller\n", 3},
		{"UTF-8 BOM, then a Latin-1 byte", "\xEF\xBB\xBFname\nok\nM\xFCller\n", 3},
		{"Latin-1 byte after an ASCII sniff window", late.String(), lateLine},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewCSV(strings.NewReader(tt.text), "mixed.csv", Options{})
			for err == nil {
				_, err = r.Next()
			}
			var fe *Error
			if !errors.Is(err, ErrMixedEncoding) || !errors.As(err, &fe) || fe.Line != tt.line ||
				!strings.HasPrefix(err.Error(), fmt.Sprintf("mixed.csv: line %d: ", tt.line)) || !strings.Contains(err.Error(), "input.encoding") {
				t.Fatalf("err = %v, want ErrMixedEncoding naming line %d and the override", err, tt.line)
			}
		})
	}
	// The override reads every byte as one character.
	r, err := NewCSV(strings.NewReader(tests[0].text), "mixed.csv", Options{Encoding: "windows-1252"})
	if err != nil {
		t.Fatal(err)
	}
	if rows := readAll(t, r); len(rows) != 2 || rows[1].Cells[0] != "Müller" || rows[0].Cells[0] != "JÃ¼rgen" {
		t.Errorf("rows = %+v", rows)
	}
}

func TestOpen(t *testing.T) {
	csvPath := writeFile(t, "Kunden.CSV", []byte("\xEF\xBB\xBFid;name\n1;x\n"))
	r, err := Open(csvPath, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Header(); !reflect.DeepEqual(got, []string{"id", "name"}) {
		t.Errorf("header = %q", got)
	}
	if rows := readAll(t, r); len(rows) != 1 {
		t.Errorf("rows = %+v", rows)
	}
	if err := r.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if _, err := r.Next(); !errors.Is(err, ErrClosed) {
		t.Errorf("Next after Close = %v, want ErrClosed", err)
	}

	for _, name := range []string{"data.ods", "data.xls", "noext"} {
		_, err := Open(filepath.Join(t.TempDir(), name), Options{})
		if !errors.Is(err, ErrUnsupportedFormat) || !strings.Contains(err.Error(), name) {
			t.Errorf("Open(%s) = %v, want ErrUnsupportedFormat naming the file", name, err)
		}
	}
	missing := filepath.Join(t.TempDir(), "missing.csv")
	if _, err := Open(missing, Options{}); !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "missing.csv") {
		t.Errorf("Open(missing) = %v", err)
	}
}

func TestColumnLetter(t *testing.T) {
	for col, want := range map[int]string{1: "A", 26: "Z", 27: "AA", 52: "AZ", 703: "AAA", 16384: "XFD"} {
		if got := ColumnLetter(col); got != want {
			t.Errorf("ColumnLetter(%d) = %q, want %q", col, got, want)
		}
	}
}

// Row numbers stay right whatever runs of blank lines (dropped before csv
// sees them) and multi-line cells (one row, several lines) come between the rows.
func TestCSVRowNumbersAcrossBlankRuns(t *testing.T) {
	var b strings.Builder
	b.WriteString("a,b\n")
	line, row := 2, 2 // physical line and spreadsheet row of the next record
	var want []int
	for i := range 60 {
		blank := (i * 7919) % 9000 // up to 9,000 blank lines, some runs past csv's 4 KiB reads
		if i%5 == 0 {
			blank = i % 3
		}
		nl := "\n"
		if i%4 == 1 {
			nl = "\r\n"
		}
		b.WriteString(strings.Repeat(nl, blank))
		line, row = line+blank, row+blank
		want = append(want, row)
		if i%3 == 0 {
			fmt.Fprintf(&b, "%d,\"x\ny\"%s", i, nl)
			line += 2
		} else {
			fmt.Fprintf(&b, "%d,y%s", i, nl)
			line++
		}
		row++
	}
	b.WriteString("\"broken,\"x\n") // a broken record after the runs names its real line
	r, err := NewCSV(strings.NewReader(b.String()), "runs.csv", Options{})
	if err != nil {
		t.Fatal(err)
	}
	rows := readAll(t, r)
	if len(rows) != len(want)+1 {
		t.Fatalf("got %d rows, want %d", len(rows), len(want)+1)
	}
	for i, w := range want {
		if rows[i].Num != w || rows[i].Cells[0] != fmt.Sprint(i) {
			t.Fatalf("row %d: Num %d cells %q, want Num %d", i, rows[i].Num, rows[i].Cells, w)
		}
	}
	last := rows[len(rows)-1]
	if last.Num != row || !strings.Contains(last.Err.Error(), fmt.Sprintf("line %d", line)) {
		t.Errorf("broken row: Num %d, Err %v; want row %d, line %d", last.Num, last.Err, row, line)
	}
}
