package importer_test

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/emporix-import/emporix-import/emulator"
	"github.com/emporix-import/emporix-import/importer"
)

const diffHeader = "customerNumber,contactEmail,firstName,lastName,contactPhone,address.contactName,address.street,address.streetNumber,address.zipCode,address.city,address.country,address.contactPhone,address.tags\n"

// TestDryRunShowsOldAndNew: a dry run over a changed file lists every changed
// field with its old and new value, the real run lists the same, and the
// summary counts the writes per field.
func TestDryRunShowsOldAndNew(t *testing.T) {
	e := newEnv(t, emulator.Config{})
	dir := t.TempDir()
	in := filepath.Join(dir, "in.csv")
	write := func(body string) {
		if err := os.WriteFile(in, []byte(diffHeader+body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("C1,a@example.com,Jon,Smith,+49 1,Jon Smith,Torstraße,1,10119,Berlin,DE,+49 9,BILLING\n" +
		"C2,b@example.com,Eva,Meier,,Eva Meier,Hauptstr.,5,01067,Dresden,DE,,\n" +
		"C3,c@example.com,Ute,Ott,,,,,,,,,\n")
	cfg := e.config(t, in)
	if _, err := importer.Import(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	id := func(num string) string { // the one address id of a customer
		c, err := e.client.GetCustomer(context.Background(), num, "addresses")
		if err != nil || len(c.Addresses) != 1 {
			t.Fatalf("customer %s: %v", num, err)
		}
		return c.Addresses[0].ID
	}
	a1, a2 := id("C1"), id("C2")
	write("C1,a@example.com,John,Smith,+49 2,Jon Smith,Torstraße,1,10119,Berlin,DE,+49 8,\"BILLING,SHIPPING\"\n" +
		"C2,b@example.com,Eva,Meier-Ott,,Eva Meier,Hauptstr.,5,01067,Dresden,DE,+49 7,\n" +
		"C3,c@example.com,Ute,Ott,,,,,,,,,\n")
	want := []string{
		`contactPhone: "+49 1" → "+49 2";firstName: "Jon" → "John";address[` + a1 + `].contactPhone: "+49 9" → "+49 8";address[` + a1 + `].tags.add: SHIPPING`,
		`lastName: "Meier" → "Meier-Ott";address[` + a2 + `].contactPhone: "" → "+49 7"`,
		"",
	}
	wantCounts := map[string]int{"contactPhone": 1, "firstName": 1, "lastName": 1, "address.contactPhone": 2, "address.tags.add": 1}
	for _, dry := range []bool{true, false} {
		cfg := e.config(t, in)
		cfg.DryRun = dry
		sum, err := importer.Import(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if got := reportColumn(t, cfg.Report, "import_changes"); !slices.Equal(got, want) {
			t.Errorf("dry run %v: changes\n got %q\nwant %q", dry, got, want)
		}
		if !maps.Equal(sum.Changes, wantCounts) {
			t.Errorf("dry run %v: per-field counts %v, want %v", dry, sum.Changes, wantCounts)
		}
		if line := sum.Line(); !strings.Contains(line, "changes: address.contactPhone ×2, address.tags.add ×1, contactPhone ×1, firstName ×1, lastName ×1 ·") {
			t.Errorf("summary line lacks the per-field counts: %s", line)
		}
	}
	// Nothing left to change: no counts, every row unchanged.
	sum, err := importer.Import(context.Background(), e.config(t, in))
	if err != nil || len(sum.Changes) != 0 {
		t.Errorf("re-run: %v, changes %v", err, sum.Changes)
	}
}
