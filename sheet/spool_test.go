package sheet

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func spoolRows() []Row {
	return []Row{
		{Num: 2, Cells: []string{"K1", "max@x.de", "Straße 1"}},
		{Num: 3, Cells: []string{"", "", ""}},
		{Num: 5, Cells: []string{"a\nb", strings.Repeat("x", 300), "\x00\xff"}, Raw: "a\"b,\"c"},
		{Num: 6, Cells: []string{"K2", "", ""}, Err: &RowError{File: "in.csv", Row: 6, Problems: []Problem{
			{Kind: ErrRagged, Detail: "3 cells, the header has 2"},
			{Kind: ErrFieldTooLarge, Col: 2, Name: "E-Mail", Detail: "too long"},
			{Kind: errors.New("some other kind"), Col: 1, Detail: "d"},
			{Detail: "no kind"},
		}}},
		{Num: 7, Cells: nil, Err: &RowError{File: "in.xlsx", Sheet: "Kunden", Row: 7, Problems: []Problem{{Kind: ErrCellRef, Detail: "outside"}}}},
		{Num: 1 << 20, Cells: []string{"x"}, Err: errors.New("not a row error")},
	}
}

func replayAll(t *testing.T, s *Spool) []Row {
	t.Helper()
	rd, err := s.Replay()
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	var got []Row
	for {
		r, err := rd.Next()
		if err == io.EOF {
			return got
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, r)
	}
}

// sameRow compares rows by what the mapping layer uses: errors by text and
// by the problem kinds errors.Is finds.
func sameRow(t *testing.T, got, want Row) {
	t.Helper()
	if got.Seq != want.Seq || got.Num != want.Num || got.Raw != want.Raw || len(got.Cells) != len(want.Cells) {
		t.Fatalf("row %+v, want %+v", got, want)
	}
	for i := range want.Cells {
		if got.Cells[i] != want.Cells[i] {
			t.Fatalf("row %d cell %d = %q, want %q", want.Num, i, got.Cells[i], want.Cells[i])
		}
	}
	if (got.Err == nil) != (want.Err == nil) || got.Err != nil && got.Err.Error() != want.Err.Error() {
		t.Fatalf("row %d err %v, want %v", want.Num, got.Err, want.Err)
	}
	for _, k := range rowKinds {
		if errors.Is(got.Err, k) != errors.Is(want.Err, k) {
			t.Fatalf("row %d: errors.Is(%v) differs", want.Num, k)
		}
	}
	var gre, wre *RowError
	if errors.As(want.Err, &wre) != errors.As(got.Err, &gre) || wre != nil && !reflect.DeepEqual(
		[]any{gre.File, gre.Sheet, gre.Row, len(gre.Problems)}, []any{wre.File, wre.Sheet, wre.Row, len(wre.Problems)}) {
		t.Fatalf("row %d: row error %#v, want %#v", want.Num, got.Err, want.Err)
	}
}

func TestSpoolReplaysRows(t *testing.T) {
	dir := t.TempDir()
	s, err := NewSpool(dir, []string{"a", "b", "c"})
	if err != nil {
		t.Fatal(err)
	}
	want := spoolRows()
	for i, r := range want {
		want[i].Seq = i
		r.Seq = 99 // replay numbers rows itself
		if err := s.Add(r); err != nil {
			t.Fatal(err)
		}
	}
	if s.Rows() != len(want) {
		t.Fatalf("Rows() = %d", s.Rows())
	}
	for range 2 { // replays are independent
		got := replayAll(t, s)
		if len(got) != len(want) {
			t.Fatalf("%d rows, want %d", len(got), len(want))
		}
		for i := range want {
			sameRow(t, got[i], want[i])
		}
	}
	rd, _ := s.Replay()
	if h := rd.Header(); !reflect.DeepEqual(h, []string{"a", "b", "c"}) {
		t.Errorf("header %q", h)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("spool left %v behind", left)
	}
}

func TestSpoolReportsDamage(t *testing.T) {
	s, err := NewSpool(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, r := range spoolRows() {
		if err := s.Add(r); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Replay(); err != nil {
		t.Fatal(err)
	}
	st, err := s.f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.f.Truncate(st.Size() - 3); err != nil {
		t.Fatal(err)
	}
	rd, err := s.Replay()
	if err != nil {
		t.Fatal(err)
	}
	for {
		_, err := rd.Next()
		if err == io.EOF {
			t.Fatal("a truncated spool replayed to the end")
		}
		if err != nil {
			if !strings.Contains(err.Error(), "temporary copy of the rows at row 6") {
				t.Errorf("error %q does not name the row", err)
			}
			return
		}
	}
}

func TestSpoolInUnwritableDir(t *testing.T) {
	_, err := NewSpool(filepath.Join(t.TempDir(), "missing"), nil)
	if err == nil || !strings.Contains(err.Error(), "TMPDIR") {
		t.Errorf("err = %v, want the TMPDIR hint", err)
	}
}

// FuzzSpoolRow: any row survives the round trip, and decoding arbitrary
// bytes never panics.
func FuzzSpoolRow(f *testing.F) {
	f.Add(7, "a\x00b", "", "raw", "detail", true)
	f.Add(0, "", "\xff", "", "", false)
	f.Fuzz(func(t *testing.T, num int, c1, c2, raw, detail string, withErr bool) {
		if num < 0 {
			num = -num
		}
		r := Row{Num: num % (1 << 40), Cells: []string{c1, c2}, Raw: raw}
		if withErr {
			r.Err = &RowError{File: c2, Row: num % 1000, Problems: []Problem{{Kind: ErrControlChar, Col: 2, Name: c1, Detail: detail}}}
		}
		got, err := decodeRow(string(appendRowRecord(nil, r)))
		if err != nil {
			t.Fatal(err)
		}
		sameRow(t, got, r)
		_, _ = decodeRow(c1 + detail) // garbage: an error, never a panic
	})
}

// BenchmarkSpool: adding and replaying rows like the ones of a customer
// file (25 cells of 3–30 bytes).
func BenchmarkSpool(b *testing.B) {
	cells := make([]string, 25)
	for i := range cells {
		cells[i] = strings.Repeat("x", 3+i)
	}
	const rows = 100_000
	b.ReportAllocs()
	for b.Loop() {
		s, err := NewSpool(b.TempDir(), nil)
		if err != nil {
			b.Fatal(err)
		}
		for i := range rows {
			if err := s.Add(Row{Num: i + 2, Cells: cells}); err != nil {
				b.Fatal(err)
			}
		}
		rd, err := s.Replay()
		if err != nil {
			b.Fatal(err)
		}
		for {
			if _, err := rd.Next(); err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
		}
		s.Close()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/rows, "ns/row")
}
