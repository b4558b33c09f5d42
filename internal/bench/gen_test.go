package bench

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emporix-import/emporix-import/emulator"
	"github.com/emporix-import/emporix-import/importer"
	"github.com/emporix-import/emporix-import/report"
)

// TestGeneratedFilesValidate checks that every generated row is valid, in
// CSV and XLSX, so the benchmarks measure successful work only.
func TestGeneratedFilesValidate(t *testing.T) {
	data := Generate(150, 1)
	for _, ext := range []string{".csv", ".xlsx"} {
		t.Run(ext[1:], func(t *testing.T) {
			dir := t.TempDir()
			in := filepath.Join(dir, "in"+ext)
			write := WriteCSV
			if ext == ".xlsx" {
				write = WriteXLSX
			}
			rows, err := write(in, slices.Values(data))
			if err != nil {
				t.Fatal(err)
			}
			if rows != Rows(data) {
				t.Fatalf("wrote %d rows, want %d", rows, Rows(data))
			}
			sum, err := importer.Validate(context.Background(), importer.Config{Input: in, Report: filepath.Join(dir, "r"+ext), Quiet: true})
			if err != nil {
				t.Fatalf("validate: %v (%v)", err, sum.Counts)
			}
			if sum.Counts[report.Valid] != rows {
				t.Fatalf("valid %d of %d rows: %v", sum.Counts[report.Valid], rows, sum.Counts)
			}
		})
	}
}

func TestGenerateDeterministicAndShaped(t *testing.T) {
	a, b := Generate(300, 9), Generate(300, 9)
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Fatal("same seed, different customers")
	}
	two := 0
	for _, c := range a {
		if n := len(c.Addresses); n < 1 || n > 2 {
			t.Fatalf("%s has %d addresses", c.Number, n)
		}
		if len(c.Addresses) == 2 {
			two++
		}
		for _, ad := range c.Addresses {
			if len(ad.Tags) == 0 {
				t.Fatalf("%s: address without tags", c.Number)
			}
		}
	}
	if two < 100 || two > 200 {
		t.Errorf("%d of 300 customers have two addresses, want about half", two)
	}
	changed, nums := WithChangedFirstNames(a, 3)
	if len(nums) != 3 {
		t.Fatalf("changed %v", nums)
	}
	diff := 0
	for i := range a {
		if a[i].FirstName != changed[i].FirstName {
			diff++
		}
	}
	if diff != 3 {
		t.Errorf("%d first names differ, want 3", diff)
	}
}

// TestCurlLoopMatchesTool checks that the sequential loop leaves the tenant
// in the same state as the tool, so that the speed comparison is fair.
func TestCurlLoopMatchesTool(t *testing.T) {
	data := Generate(25, 11)
	in := filepath.Join(t.TempDir(), "c.csv")
	if _, err := WriteCSV(in, slices.Values(data)); err != nil {
		t.Fatal(err)
	}
	tool := NewTenant(emulator.Config{})
	defer tool.Close()
	if _, err := tool.Import(context.Background(), in, ImportOptions{Concurrency: 4, Dir: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	ten := NewTenant(emulator.Config{})
	defer ten.Close()
	def := ten.Config()
	loop := &CurlLoop{HTTP: &http.Client{Timeout: 10 * time.Second}, BaseURL: ten.URL, Tenant: def.Tenant, ID: def.ClientID, Secret: def.ClientSecret}
	n, err := loop.Run(context.Background(), data)
	if err != nil {
		t.Fatal(err)
	}
	if want := 1 + 4*len(data) + (Rows(data)); n != want {
		t.Errorf("loop sent %d requests, want %d", n, want)
	}
	if got, want := project(ten.State()), project(tool.State()); got != want {
		t.Errorf("loop state differs from tool state:\nloop:\n%s\ntool:\n%s", got, want)
	}
}

// project renders the imported data without generated ids and timestamps.
func project(st emulator.State) string {
	var b strings.Builder
	for _, c := range st.Customers {
		fmt.Fprintf(&b, "%s %s %s %s %s %s %s %s %s %s active=%t onHold=%t\n", c.CustomerNumber, c.ContactEmail, c.Title,
			c.FirstName, c.LastName, c.ContactPhone, c.Company, c.PreferredLanguage, c.PreferredCurrency, c.Email, c.Active, c.OnHold)
		for _, a := range c.Addresses {
			tags := slices.Clone(a.Tags)
			slices.Sort(tags)
			fmt.Fprintf(&b, "  %s|%s|%s|%s|%s|%s default=%t %v\n", a.ContactName, a.Street, a.StreetNumber, a.ZipCode, a.City,
				a.Country, a.IsDefault, tags)
		}
	}
	return b.String()
}
