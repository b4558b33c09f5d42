package template

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/bojanz/currency"
	"github.com/emporix-import/emporix-import/mapping"
	"github.com/xuri/excelize/v2"
)

func TestWriteTemplateCSV(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t", "template.csv")
	if err := Write(path); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.Join(mapping.CanonicalColumns(), ",") + "\n"; string(b) != want {
		t.Errorf("template = %q, want %q", b, want)
	}
}

func TestWriteTemplateBadExtension(t *testing.T) {
	if err := Write(filepath.Join(t.TempDir(), "t.ods")); err == nil {
		t.Error("Write(.ods) succeeded")
	}
}

func TestWriteTemplateXLSX(t *testing.T) {
	path := filepath.Join(t.TempDir(), "template.xlsx")
	if err := Write(path); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(templateSheet)
	if err != nil {
		t.Fatal(err)
	}
	cols := mapping.CanonicalColumns()
	if len(rows) != 1 || !slices.Equal(rows[0], cols) {
		t.Fatalf("rows = %q, want only the canonical header", rows)
	}
	if vis, err := f.GetSheetVisible(listsSheet); err != nil || vis {
		t.Errorf("Lists sheet visible=%v err=%v, want hidden", vis, err)
	}
	if f.GetSheetList()[f.GetActiveSheetIndex()] != templateSheet {
		t.Errorf("active sheet is not %s", templateSheet)
	}
	dvs, err := f.GetDataValidations(templateSheet)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{} // column name → formula
	for _, dv := range dvs {
		col := strings.TrimRight(strings.SplitN(dv.Sqref, ":", 2)[0], "0123456789")
		end := strings.SplitN(dv.Sqref, ":", 2)[1]
		if want := fmt.Sprintf("%s%d", col, DropdownRows+1); end != want {
			t.Errorf("%s: range ends at %s, want %s", dv.Sqref, end, want)
		}
		n := 0
		for _, c := range col {
			n = n*26 + int(c-'A'+1)
		}
		got[cols[n-1]] = dv.Formula1
	}
	lists, err := f.GetCols(listsSheet)
	if err != nil {
		t.Fatal(err)
	}
	// resolve Lists!$B$1:$B$249 into its values
	resolve := func(formula string) []string {
		if strings.HasPrefix(formula, `"`) {
			return strings.Split(strings.Trim(formula, `"`), ",")
		}
		ref := strings.TrimPrefix(formula, listsSheet+"!$")
		c := int(ref[0] - 'A')
		if c >= len(lists) {
			t.Fatalf("formula %q points past the Lists sheet", formula)
		}
		vals := lists[c]
		for len(vals) > 0 && vals[len(vals)-1] == "" { // GetCols pads to the longest column
			vals = vals[:len(vals)-1]
		}
		return vals
	}
	for col, want := range map[string][]string{
		"title": Titles, "type": {"CUSTOMER", "CONTACT"}, "preferredCurrency": Currencies, "preferredLanguage": Languages,
		"address.country": Countries(), "address.tags": Tags,
		"active": Booleans, "onHold": Booleans, "address.isDefault": Booleans,
	} {
		f, ok := got[col]
		if !ok {
			t.Errorf("no dropdown on %s", col)
			continue
		}
		if vals := resolve(f); !slices.Equal(vals, want) {
			t.Errorf("%s dropdown = %q, want %q", col, vals, want)
		}
		delete(got, col)
	}
	if len(got) != 0 {
		t.Errorf("unexpected dropdowns: %v", got)
	}
}

func TestTemplateLists(t *testing.T) {
	cs := Countries()
	if len(cs) != 249 {
		t.Errorf("%d countries, want the 249 assigned ISO 3166-1 codes", len(cs))
	}
	for _, c := range []string{"DE", "AT", "CH", "FR", "GB", "US", "LI"} {
		if !slices.Contains(cs, c) {
			t.Errorf("country %s missing", c)
		}
	}
	for _, c := range []string{"AN", "YU", "XK", "UK"} {
		if slices.Contains(cs, c) {
			t.Errorf("country %s should not be offered", c)
		}
	}
	for _, c := range Currencies {
		if !currency.IsValid(c) {
			t.Errorf("currency %s is not ISO 4217", c)
		}
	}
}
