package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/emporix-import/emporix-import/mapping"
	"github.com/emporix-import/emporix-import/sheet"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"
)

// The samples must stay exactly as samples/README.md describes them.
func TestSamplesInvalidRows(t *testing.T) {
	for _, tc := range []struct {
		input, mapping string
		rows, groups   int
		invalid        []int          // spreadsheet row numbers (header = 1)
		check          map[int]string // row → fmt of its first address (tags, zip, country)
	}{
		{"customers.csv", "", 58, 50, []int{14, 25, 37, 48, 58}, map[int]string{3: "[BILLING] 01067 DE", 56: "no address"}},
		{"customers.xlsx", "", 58, 50, []int{14, 25, 37, 48, 58}, map[int]string{3: "[BILLING] 01067 DE", 56: "no address"}},
		{"erp-export.csv", "mappings/erp.yaml", 30, 20, []int{16, 26}, map[int]string{
			2: "[BILLING] 10405 DE", 4: "[BILLING SHIPPING] 01099 DE", 5: "[BILLING SHIPPING] 1090 AT", 31: "[SHIPPING] 8005 CH"}},
		{"shopify-export.csv", "mappings/shopify.yaml", 15, 15, []int{12}, map[int]string{
			2: "[BILLING SHIPPING] 10999 DE", 3: "[BILLING SHIPPING] 01069 DE", 10: "[BILLING SHIPPING] M5V 3L9 CA"}},
	} {
		t.Run(tc.input, func(t *testing.T) {
			m := mapping.Default()
			if tc.mapping != "" {
				var err error
				if m, err = mapping.Load(filepath.Join("..", tc.mapping)); err != nil {
					t.Fatal(err)
				}
			}
			var invalid []int
			plan, err := prepareAndEmit(context.Background(), filepath.Join("..", tc.input), m, func(g *mapping.Group) error {
				for _, r := range g.Rows {
					if want, ok := tc.check[r.Num]; ok {
						got := "no address"
						if len(r.Addresses) > 0 {
							a := r.Addresses[0]
							got = fmt.Sprint(a.Tags, " ", a.Fields["zipCode"].S, " ", a.Fields["country"].S)
						}
						if got != want {
							t.Errorf("row %d address = %q, want %q", r.Num, got, want)
						}
					}
					if len(r.Errors) > 0 || len(g.Errors) > 0 {
						invalid = append(invalid, r.Num)
						t.Logf("row %d: %v %v", r.Num, r.Errors, g.Errors)
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			slices.Sort(invalid)
			if plan.Rows != tc.rows || plan.Groups != tc.groups {
				t.Errorf("rows=%d groups=%d, want %d and %d", plan.Rows, plan.Groups, tc.rows, tc.groups)
			}
			if !slices.Equal(invalid, tc.invalid) {
				t.Errorf("invalid rows = %v, want %v", invalid, tc.invalid)
			}
		})
	}
}

// The committed generated files match what the generator writes now.
func TestGeneratedFilesUpToDate(t *testing.T) {
	dir := t.TempDir()
	in, err := os.ReadFile("../customers.csv")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "customers.csv"), in, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := run(dir); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"erp-export.csv"} {
		got, _ := os.ReadFile(filepath.Join(dir, name))
		want, _ := os.ReadFile(filepath.Join("..", name))
		if !bytes.Equal(got, want) {
			t.Errorf("samples/%s is stale: run go run ./samples/gen", name)
		}
	}
	raw, _ := os.ReadFile("../erp-export.csv")
	if !bytes.Contains(raw, []byte("Stra\xDFe")) {
		t.Error("erp-export.csv: ß is not the cp1252 byte 0xDF")
	}
	if _, err := charmap.Windows1252.NewDecoder().Bytes(raw); err != nil {
		t.Error(err)
	}

	// customers.xlsx holds the same cells as customers.csv, all typed strings.
	recs, err := csv.NewReader(bytes.NewReader(in)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenFile("../customers.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows("Customers")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(recs) {
		t.Fatalf("customers.xlsx has %d rows, customers.csv %d", len(rows), len(recs))
	}
	for i := range recs {
		got := append(rows[i], make([]string, len(recs[i])-len(rows[i]))...) // GetRows drops trailing blanks
		if !slices.Equal(got, recs[i]) {
			t.Errorf("row %d: xlsx %q, csv %q", i+1, rows[i], recs[i])
		}
	}
	if typ, _ := f.GetCellType("Customers", "T3"); typ != excelize.CellTypeSharedString {
		t.Errorf("zip cell type %v, want string", typ)
	}
}

// prepareAndEmit runs both passes over file with the mapping's reader options,
// the way the importer does.
func prepareAndEmit(ctx context.Context, file string, m *mapping.Mapping, emit func(*mapping.Group) error) (*mapping.Index, error) {
	p, err := mapping.Prepare(ctx, file, func() (sheet.Reader, error) { return sheet.Open(file, m.SheetOptions()) }, m)
	if err != nil {
		return nil, err
	}
	return p, p.Emit(ctx, emit)
}
