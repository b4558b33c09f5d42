package mapping

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/emporix-import/emporix-import/sheet"
)

// fakeReader serves rows from memory, numbered like a spreadsheet.
type fakeReader struct {
	header []string
	rows   [][]string
	errs   map[int]error // sheet.Row.Err by Seq
	i      int
	closed *int
}

func (f *fakeReader) Header() []string { return f.header }

func (f *fakeReader) Next() (sheet.Row, error) {
	if f.i >= len(f.rows) {
		return sheet.Row{}, io.EOF
	}
	r := sheet.Row{Seq: f.i, Num: f.i + 2, Cells: f.rows[f.i], Err: f.errs[f.i]}
	f.i++
	return r, nil
}

func (f *fakeReader) Close() error {
	if f.closed != nil {
		*f.closed++
	}
	return nil
}

// fakeOpener opens the same in-memory sheet on every call, counting opens and closes.
type fakeOpener struct {
	header       []string
	rows         [][]string
	errs         map[int]error
	opens, close int
}

func (o *fakeOpener) open() (sheet.Reader, error) {
	o.opens++
	return &fakeReader{header: o.header, rows: o.rows, errs: o.errs, closed: &o.close}, nil
}

// collect runs both passes and returns the groups in emission order.
func collect(t *testing.T, m *Mapping, o *fakeOpener) (*Index, []*Group) {
	t.Helper()
	p, err := Prepare(context.Background(), "in.csv", o.open, m)
	if err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	var groups []*Group
	if err := p.Emit(context.Background(), func(g *Group) error { groups = append(groups, g); return nil }); err != nil {
		t.Fatalf("Emit: %v", err)
	}
	if o.opens != 1 || o.close != 1 {
		t.Errorf("opened %d, closed %d times; want 1 and 1", o.opens, o.close)
	}
	t.Cleanup(func() { p.Close() })
	return p, groups
}

func rowNums(g *Group) []int {
	var n []int
	for _, r := range g.Rows {
		n = append(n, r.Num)
	}
	return n
}

var groupHeader = []string{"customerNumber", "contactEmail", "company", "address.contactName", "address.city", "Notes"}

func TestGroupsNonAdjacentRows(t *testing.T) {
	o := &fakeOpener{header: groupHeader, rows: [][]string{
		{"A", "a@x.de", "ACME", "Anna", "Berlin", ""},   // row 2
		{"B", "b@x.de", "", "Bert", "Bonn", ""},         // row 3
		{"A", "", "", "Anna", "Hamburg", ""},            // row 4
		{"C", "c@x.de", "", "", "", ""},                 // row 5
		{"", "x@x.de", "", "", "", ""},                  // row 6: no key
		{"A", "A@X.DE", "ACME", "Lager A", "Kiel", "n"}, // row 7
		{"B", "", "Bert AG", "", "", ""},                // row 8
	}}
	p, groups := collect(t, Default(), o)
	if p.Rows != 7 || p.Groups != 4 || !slices.Equal(p.Unmapped, []string{"Notes"}) || !slices.Equal(p.Header, groupHeader) {
		t.Errorf("plan: rows %d groups %d unmapped %q header %q", p.Rows, p.Groups, p.Unmapped, p.Header)
	}
	type want struct {
		key   string
		rows  []int
		valid bool
	}
	wants := []want{
		{"C", []int{5}, true},       // complete at row 5
		{"", []int{6}, false},       // keyless: at once
		{"A", []int{2, 4, 7}, true}, // complete at row 7
		{"B", []int{3, 8}, true},
	}
	if len(groups) != len(wants) {
		t.Fatalf("%d groups, want %d", len(groups), len(wants))
	}
	for i, w := range wants {
		g := groups[i]
		if g.Key != w.key || !slices.Equal(rowNums(g), w.rows) || g.Valid() != w.valid {
			t.Errorf("group %d: key %q rows %v valid %v errors %q; want %+v", i, g.Key, rowNums(g), g.Valid(), g.Errors, w)
		}
	}
	a := groups[2]
	if a.Email() != "a@x.de" || a.Customer["company"].S != "ACME" || len(a.Errors) != 0 {
		t.Errorf("group A: email %q customer %v errors %q", a.Email(), a.Customer, a.Errors)
	}
	if n := len(a.Rows[0].Addresses) + len(a.Rows[1].Addresses) + len(a.Rows[2].Addresses); n != 3 {
		t.Errorf("group A has %d addresses, want 3", n)
	}
	b := groups[3]
	if b.Email() != "b@x.de" || b.Customer["company"].S != "Bert AG" {
		t.Errorf("group B merged customer = %v", b.Customer)
	}
	if want := `row 6, column "customerNumber": customerNumber is required`; !slices.Equal(groups[1].Rows[0].Errors, []string{want}) {
		t.Errorf("keyless row errors = %q", groups[1].Rows[0].Errors)
	}
}

func TestGroupConflicts(t *testing.T) {
	o := &fakeOpener{header: groupHeader, rows: [][]string{
		{"K1", "a@x.de", "ACME", "", "", ""}, // row 2
		{"K2", "z@x.de", "", "", "", ""},     // row 3
		{"K1", "", "Acme", "", "", ""},       // row 4
		{"K1", "b@x.de", "ACME", "", "", ""}, // row 5
	}}
	_, groups := collect(t, Default(), o)
	if len(groups) != 2 || groups[1].Key != "K1" {
		t.Fatalf("groups = %+v", groups)
	}
	want := []string{
		`rows 2 and 5: conflicting contactEmail "a@x.de" vs "b@x.de"`,
		`rows 2 and 4: conflicting company "ACME" vs "Acme"`,
	}
	if g := groups[1]; !slices.Equal(g.Errors, want) || g.Valid() {
		t.Errorf("errors\n got %q\nwant %q", g.Errors, want)
	}
	if !groups[0].Valid() {
		t.Errorf("K2 invalid: %q", groups[0].Errors)
	}
}

func TestGroupClearConflictsWithValue(t *testing.T) {
	m := mustParse(t, "clear_token: '#clear'\n")
	o := &fakeOpener{header: groupHeader, rows: [][]string{
		{"K1", "", "#clear", "", "", ""},
		{"K1", "", "ACME", "", "", ""},
		{"K2", "", "#clear", "", "", ""},
		{"K2", "", "#clear", "", "", ""},
	}}
	_, groups := collect(t, m, o)
	if want := []string{`rows 2 and 3: conflicting company (clear) vs "ACME"`}; !slices.Equal(groups[0].Errors, want) {
		t.Errorf("K1 errors = %q", groups[0].Errors)
	}
	if !groups[1].Valid() || !reflect.DeepEqual(groups[1].Customer["company"], Value{Clear: true}) {
		t.Errorf("K2 = %+v", groups[1])
	}
}

func TestEmailUnderTwoCustomerNumbers(t *testing.T) {
	o := &fakeOpener{header: groupHeader, rows: [][]string{
		{"K1", "Same@x.de", "", "", "", ""}, // row 2
		{"K2", "other@x.de", "", "", "", ""},
		{"K3", "same@X.de", "", "", "", ""}, // row 4
		{"K3", "same@x.de", "", "", "", ""},
		{"K4", "same@x.de", "", "", "", ""}, // row 6
	}}
	_, groups := collect(t, Default(), o)
	byKey := map[string]*Group{}
	for _, g := range groups {
		byKey[g.Key] = g
	}
	want := map[string][]string{
		"K1": {`rows 2 and 4: contactEmail "same@x.de" is used under two customer numbers`,
			`rows 2 and 6: contactEmail "same@x.de" is used under two customer numbers`},
		"K2": nil,
		"K3": {`rows 2 and 4: contactEmail "same@x.de" is used under two customer numbers`},
		"K4": {`rows 2 and 6: contactEmail "same@x.de" is used under two customer numbers`},
	}
	for k, w := range want {
		if g := byKey[k]; g == nil || !slices.Equal(g.Errors, w) {
			t.Errorf("%s errors = %q, want %q", k, g.Errors, w)
		}
	}
}

func TestMatchContactEmail(t *testing.T) {
	m := mustParse(t, "match: contactEmail\n")
	o := &fakeOpener{header: groupHeader, rows: [][]string{
		{"", "Max@X.de", "ACME", "", "", ""}, // row 2
		{"K9", "y@x.de", "", "", "", ""},     // row 3
		{"", "max@x.de", "", "", "", ""},     // row 4: same customer, other case
		{"K9", "z@x.de", "", "", "", ""},     // row 5: K9 under a second e-mail
		{"", "", "Nobody", "", "", ""},       // row 6: no key
	}}
	_, groups := collect(t, m, o)
	got := map[string]*Group{}
	for _, g := range groups {
		got[g.Key] = g
	}
	if g := got["max@x.de"]; g == nil || !slices.Equal(rowNums(g), []int{2, 4}) || !g.Valid() || g.Email() != "Max@X.de" {
		t.Errorf("max group = %+v", g)
	}
	want := []string{`rows 3 and 5: customerNumber "K9" is used with two e-mail addresses`}
	if !slices.Equal(got["y@x.de"].Errors, want) || !slices.Equal(got["z@x.de"].Errors, want) {
		t.Errorf("y: %q z: %q", got["y@x.de"].Errors, got["z@x.de"].Errors)
	}
	if g := got[""]; g == nil || !slices.Equal(g.Rows[0].Errors, []string{`row 6, column "contactEmail": contactEmail is required`}) {
		t.Errorf("keyless = %+v", g)
	}
}

func TestRowErrIsRowError(t *testing.T) {
	o := &fakeOpener{header: groupHeader, rows: [][]string{{"K1", "", "", "", "", "", "extra"}},
		errs: map[int]error{0: errors.New("7 cells, header has 6")}}
	_, groups := collect(t, Default(), o)
	if want := []string{"row 2: 7 cells, header has 6"}; !slices.Equal(groups[0].Rows[0].Errors, want) {
		t.Errorf("errors = %q", groups[0].Rows[0].Errors)
	}
}

func TestPrepareConfigErrorReadsNoRows(t *testing.T) {
	o := &fakeOpener{header: []string{"Nr"}, rows: [][]string{{"1"}}}
	var readers []*fakeReader
	open := func() (sheet.Reader, error) {
		r, _ := o.open()
		readers = append(readers, r.(*fakeReader))
		return r, nil
	}
	_, err := Prepare(context.Background(), "in.csv", open, Default())
	var ce *ConfigError
	if !errors.As(err, &ce) || ce.File != "in.csv" {
		t.Fatalf("err = %v", err)
	}
	if len(readers) != 1 || readers[0].i != 0 || o.close != 1 {
		t.Errorf("opened %d readers, read %d rows, closed %d", len(readers), readers[0].i, o.close)
	}
}

func TestEmitStopsOnError(t *testing.T) {
	rows := make([][]string, 10)
	for i := range rows {
		rows[i] = []string{string(rune('A' + i)), "", "", "", "", ""}
	}
	o := &fakeOpener{header: groupHeader, rows: rows}
	p, err := Prepare(context.Background(), "in.csv", o.open, Default())
	if err != nil {
		t.Fatal(err)
	}
	stop := errors.New("stop")
	n := 0
	err = p.Emit(context.Background(), func(*Group) error {
		if n++; n == 3 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 3 || o.close != 1 {
		t.Errorf("err %v after %d groups, %d closes", err, n, o.close)
	}
	defer p.Close()

	ctx, cancel := context.WithCancel(context.Background())
	n = 0
	err = p.Emit(ctx, func(*Group) error {
		if n++; n == 2 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) || n != 2 {
		t.Errorf("err %v after %d groups", err, n)
	}
	if _, err := Prepare(ctx, "in.csv", o.open, Default()); !errors.Is(err, context.Canceled) {
		t.Errorf("Prepare with cancelled ctx: %v", err)
	}
}

// TestEmitReplaysTheFirstPass: the input is read once; a file changed after
// Prepare does not change what Emit hands out, and Emit can run again.
func TestEmitReplaysTheFirstPass(t *testing.T) {
	o := &fakeOpener{header: groupHeader, rows: [][]string{{"A"}, {"B"}, {"A"}}}
	p, err := Prepare(context.Background(), "in.csv", o.open, Default())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	o.rows = [][]string{{"C"}, {"D"}}
	for range 2 {
		var got []string
		if err := p.Emit(context.Background(), func(g *Group) error {
			for _, r := range g.Rows {
				got = append(got, fmt.Sprintf("%s:%d", g.Key, r.Num))
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if want := []string{"B:3", "A:2", "A:4"}; !slices.Equal(got, want) {
			t.Errorf("emitted %q, want %q", got, want)
		}
	}
	if o.opens != 1 {
		t.Errorf("input opened %d times, want once", o.opens)
	}
}

// TestEmitInOrderWithParallelMapping: with rows mapped by several goroutines,
// every row is emitted once, in its group in input order, each group when its
// last row is read, and mapped as Map maps it alone.
func TestEmitInOrderWithParallelMapping(t *testing.T) {
	const rows, customers = 5000, 1700
	open := func() (sheet.Reader, error) { return &genReader{n: rows, customers: customers}, nil }
	p, err := Prepare(context.Background(), "gen", open, Default())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	seen := make([]bool, rows)
	lastEmitted := -1
	err = p.Emit(context.Background(), func(g *Group) error {
		for i, r := range g.Rows {
			if seen[r.Seq] || i > 0 && r.Seq <= g.Rows[i-1].Seq {
				return fmt.Errorf("row %d emitted twice or out of order in %q", r.Seq, g.Key)
			}
			seen[r.Seq] = true
			want := p.Binder.Map(r.Row)
			if !reflect.DeepEqual(r.Customer, want.Customer) || !reflect.DeepEqual(r.Addresses, want.Addresses) {
				return fmt.Errorf("row %d mapped as %+v, want %+v", r.Seq, r, want)
			}
		}
		last := g.Rows[len(g.Rows)-1].Seq
		if last <= lastEmitted || last+customers < rows { // customer last%customers has a row after last
			return fmt.Errorf("group %q (last row %d) emitted after row %d, or before its last row", g.Key, last, lastEmitted)
		}
		lastEmitted = last
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if i := slices.Index(seen, false); i >= 0 {
		t.Errorf("row %d never emitted", i)
	}
}

// TestRunCSV goes through the real sheet reader.
func TestRunCSV(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "kunden.csv")
	csv := "Kundennummer;E-Mail;Vorname;Nachname;Ort;Land\r\n" +
		"K1;max@x.de;Max;Muster;Berlin;Deutschland\r\n" +
		"K2;eva@x.de;Eva;Beispiel;Wien;Österreich\r\n" +
		"K1;;Max;Muster;Hamburg;DE\r\n"
	if err := os.WriteFile(in, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	m := mustParse(t, `input: { delimiter: ";" }
customer:
  customerNumber: Kundennummer
  contactEmail: E-Mail
addresses:
  - contactName: { columns: [Vorname, Nachname] }
    city: Ort
    country: { column: Land, transform: [country] }
`)
	var got []string
	p, err := prepareAndEmit(context.Background(), in, m, func(g *Group) error {
		var cities []string
		for _, r := range g.Rows {
			if len(r.Errors) > 0 {
				t.Errorf("row %d: %q", r.Num, r.Errors)
			}
			for _, a := range r.Addresses {
				cities = append(cities, a.Fields["city"].S+"/"+a.Fields["country"].S)
			}
		}
		got = append(got, g.Key+":"+g.Email()+":"+strings.Join(cities, ","))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"K2:eva@x.de:Wien/AT", "K1:max@x.de:Berlin/DE,Hamburg/DE"}; !slices.Equal(got, want) {
		t.Errorf("groups %q, want %q", got, want)
	}
	if p.Rows != 3 || p.Groups != 2 || len(p.Unmapped) != 0 {
		t.Errorf("plan rows %d groups %d unmapped %q", p.Rows, p.Groups, p.Unmapped)
	}
}

// genReader generates n rows lazily: customer i%customers, so each customer
// has n/customers rows spread over the whole file.
type genReader struct {
	n, customers, i int
	cells           []string
}

func (g *genReader) Header() []string {
	return []string{"customerNumber", "contactEmail", "address.contactName"}
}
func (g *genReader) Close() error { return nil }
func (g *genReader) Next() (sheet.Row, error) {
	if g.i >= g.n {
		return sheet.Row{}, io.EOF
	}
	c := g.i % g.customers
	num := strconv.Itoa(c)
	g.cells = []string{"C" + num, "c" + num + "@example.com", "Name " + num}
	r := sheet.Row{Seq: g.i, Num: g.i + 2, Cells: g.cells}
	g.i++
	return r, nil
}

// BenchmarkPrepare reports the first-pass index size per customer.
func BenchmarkPrepare(b *testing.B) {
	const customers = 200_000
	open := func() (sheet.Reader, error) { return &genReader{n: customers, customers: customers}, nil }
	b.ReportAllocs()
	var perCustomer float64
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		p, err := Prepare(context.Background(), "gen", open, Default())
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		perCustomer = float64(after.HeapAlloc-before.HeapAlloc) / customers
		runtime.KeepAlive(p)
	}
	b.ReportMetric(perCustomer, "heapB/customer")
}

// BenchmarkEmit measures the second pass when every customer's two rows are
// far apart, the worst case for buffering.
func BenchmarkEmit(b *testing.B) {
	const customers = 50_000
	open := func() (sheet.Reader, error) { return &genReader{n: 2 * customers, customers: customers}, nil }
	p, err := Prepare(context.Background(), "gen", open, Default())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		groups := 0
		if err := p.Emit(context.Background(), func(g *Group) error {
			if !g.Valid() { // emit runs outside the benchmark's goroutine: no b.Fatal here
				return fmt.Errorf("invalid group %q: %q %q", g.Key, g.Errors, g.Rows[0].Errors)
			}
			groups++
			return nil
		}); err != nil || groups != customers {
			b.Fatal(err, groups)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/(2*customers), "ns/row")
}

// TestSamples runs the shipped sample inputs through their mappings and checks
// the counts samples/README.md promises.
func TestSamples(t *testing.T) {
	tests := []struct {
		input, mapping           string
		rows, customers, invalid int
	}{
		{"customers.csv", "", 58, 50, 5},
		{"customers.xlsx", "", 58, 50, 5},
		{"erp-export.csv", "erp.yaml", 30, 20, 2},
		{"shopify-export.csv", "shopify.yaml", 15, 15, 1},
	}
	for _, tt := range tests {
		t.Run(tt.input, func(t *testing.T) {
			in := filepath.Join("..", "samples", tt.input)
			if _, err := os.Stat(in); err != nil {
				t.Skip("sample not present")
			}
			m := Default()
			if tt.mapping != "" {
				var err error
				if m, err = Load(filepath.Join("..", "samples", "mappings", tt.mapping)); err != nil {
					t.Fatal(err)
				}
			}
			invalid := 0
			p, err := prepareAndEmit(context.Background(), in, m, func(g *Group) error {
				for _, r := range g.Rows {
					if len(g.Errors) > 0 || len(r.Errors) > 0 {
						invalid++
						t.Logf("row %d: %q %q", r.Num, g.Errors, r.Errors)
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if p.Rows != tt.rows || p.Groups != tt.customers || invalid != tt.invalid {
				t.Errorf("rows %d customers %d invalid %d; want %d %d %d", p.Rows, p.Groups, invalid, tt.rows, tt.customers, tt.invalid)
			}
		})
	}
}

func TestGroupTwoDefaultAddresses(t *testing.T) {
	header := []string{"customerNumber", "contactEmail", "address.contactName", "address.city", "address.isDefault"}
	o := &fakeOpener{header: header, rows: [][]string{
		{"K1", "a@x.de", "Ann", "Berlin", "true"}, // row 2
		{"K1", "", "ann", " berlin ", "yes"},      // row 3: the same address again: fine
		{"K2", "b@x.de", "Bob", "Köln", "true"},   // row 4
		{"K2", "", "Bob", "Bonn", "false"},        // row 5: one default only: fine
		{"K3", "c@x.de", "Cem", "Wien", "true"},   // row 6
		{"K3", "", "Cem", "Graz", "true"},         // row 7: a second default
	}}
	_, groups := collect(t, Default(), o)
	errs := map[string][]string{}
	for _, g := range groups {
		errs[g.Key] = g.Errors
	}
	if len(errs["K1"])+len(errs["K2"]) != 0 {
		t.Errorf("unexpected errors: %q", errs)
	}
	if want := []string{"rows 6 and 7: two different addresses have address.isDefault true"}; !slices.Equal(errs["K3"], want) {
		t.Errorf("K3 errors %q, want %q", errs["K3"], want)
	}
}

// prepareAndEmit runs both passes over file with the mapping's reader options,
// the way the importer does.
func prepareAndEmit(ctx context.Context, file string, m *Mapping, emit func(*Group) error) (*Index, error) {
	p, err := Prepare(ctx, file, func() (sheet.Reader, error) { return sheet.Open(file, m.SheetOptions()) }, m)
	if err != nil {
		return nil, err
	}
	return p, p.Emit(ctx, emit)
}

// TestGroupMergeMatchesReference merges random groups and compares with the
// plain merge (every field in schema order, first value wins, conflicts
// naming the first row that had the field), which finish shortcuts when the
// later rows add nothing.
func TestGroupMergeMatchesReference(t *testing.T) {
	schema := &Schema{Customer: []*Field{stdTable.Lookup("customerNumber", false),
		stdTable.Lookup("contactEmail", false), stdTable.Lookup("company", false)}}
	values := map[string][]Value{
		"customerNumber": {{S: "K1"}},
		"contactEmail":   {{S: "a@x.de"}, {S: "A@X.de"}, {S: "b@x.de"}, {Clear: true}},
		"company":        {{S: "ACME"}, {S: "Acme"}, {Clear: true}},
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		g := &Group{Schema: schema, Key: "K1"}
		for i := range 1 + rnd.IntN(4) {
			r := &Row{Row: sheet.Row{Num: i + 2}, Customer: Fields{}}
			for _, f := range schema.Customer {
				if vs := values[f.Name]; rnd.IntN(3) > 0 {
					r.Customer[f.Name] = vs[rnd.IntN(len(vs))]
				}
			}
			g.Rows = append(g.Rows, r)
		}
		wantCustomer, wantErrors := referenceMerge(g)
		g.finish(nil)
		if !reflect.DeepEqual(g.Customer, wantCustomer) || !slices.Equal(g.Errors, wantErrors) {
			t.Fatalf("rows %v:\n got %v %q\nwant %v %q", rowFields(g), g.Customer, g.Errors, wantCustomer, wantErrors)
		}
	}
}

func referenceMerge(g *Group) (Fields, []string) {
	merged, from := Fields{}, map[string]int{}
	var errs []string
	for _, def := range g.Schema.Customer {
		for _, r := range g.Rows {
			v, ok := r.Customer[def.Name]
			if !ok {
				continue
			}
			have, seen := merged[def.Name]
			switch {
			case !seen:
				merged[def.Name], from[def.Name] = v, r.Num
			case !sameValue(def, have, v):
				errs = append(errs, fmt.Sprintf("rows %d and %d: conflicting %s %s vs %s",
					from[def.Name], r.Num, def.Name, showValue(have), showValue(v)))
			}
		}
	}
	return merged, errs
}

func rowFields(g *Group) []Fields {
	var out []Fields
	for _, r := range g.Rows {
		out = append(out, r.Customer)
	}
	return out
}
