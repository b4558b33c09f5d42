package bench

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/emporix-import/emporix-import/emulator"
	"github.com/emporix-import/emporix-import/report"
)

// TestResyncWrites guards the nightly re-sync property: re-importing an
// unchanged file writes nothing, and with k changed customers exactly k writes.
func TestResyncWrites(t *testing.T) {
	const n = 200
	dir := t.TempDir()
	data := Generate(n, 7)
	in := filepath.Join(dir, "c.csv")
	rows, err := WriteCSV(in, slices.Values(data))
	if err != nil {
		t.Fatal(err)
	}
	ten := NewTenant(emulator.Config{})
	defer ten.Close()
	ctx := context.Background()
	opts := ImportOptions{Concurrency: 8, Dir: dir}

	first, err := ten.Import(ctx, in, opts)
	if err != nil {
		t.Fatal(err)
	}
	if got := first.Summary.Counts[report.Created]; got != rows {
		t.Fatalf("first import: %d rows created, want %d (%v)", got, rows, first.Summary.Counts)
	}
	if first.Server.Writes == 0 {
		t.Fatal("first import wrote nothing")
	}

	again, err := ten.Import(ctx, in, opts)
	if err != nil {
		t.Fatal(err)
	}
	if again.Server.Writes != 0 {
		t.Errorf("re-sync of an unchanged file: %d writes, want 0 (by method %v)", again.Server.Writes, again.Server.ByMethod)
	}
	if got := again.Summary.Counts[report.Unchanged]; got != rows {
		t.Errorf("re-sync: %d rows unchanged, want %d (%v)", got, rows, again.Summary.Counts)
	}

	for _, k := range []int{1, 7} {
		changed, numbers := WithChangedFirstNames(data, k)
		inK := filepath.Join(dir, "changed.csv")
		if _, err := WriteCSV(inK, slices.Values(changed)); err != nil {
			t.Fatal(err)
		}
		r, err := ten.Import(ctx, inK, opts)
		if err != nil {
			t.Fatal(err)
		}
		if r.Server.Writes != int64(k) || r.Server.ByMethod["PATCH"] != int64(k) {
			t.Errorf("%d changed customers %v: %d writes (by method %v), want %d PATCHes", k, numbers, r.Server.Writes, r.Server.ByMethod, k)
		}
		// Put the tenant back so the next k starts from the original file.
		if _, err := ten.Import(ctx, in, opts); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSeedInSync: a tenant seeded with SeedInSync is what importing the file
// makes of it, so importing the file writes nothing.
func TestSeedInSync(t *testing.T) {
	dir := t.TempDir()
	data := Generate(150, 9)
	// Two rows with one address's content (different tags) are one address.
	twin := data[0]
	twin.Number, twin.Email = "B9999999", "twin@example.com"
	twin.Addresses = []Address{twin.Addresses[0], twin.Addresses[0]}
	twin.Addresses[0].Tags, twin.Addresses[1].Tags, twin.Addresses[1].IsDefault = []string{"BILLING"}, []string{"SHIPPING"}, false
	data = append(data, twin)
	in := filepath.Join(dir, "c.csv")
	rows, err := WriteCSV(in, slices.Values(data))
	if err != nil {
		t.Fatal(err)
	}
	ten := NewTenant(emulator.Config{})
	defer ten.Close()
	if err := ten.SeedInSync(slices.Values(data)); err != nil {
		t.Fatal(err)
	}
	r, err := ten.Import(context.Background(), in, ImportOptions{Concurrency: 8, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if r.Server.Writes != 0 || r.Summary.Counts[report.Unchanged] != rows {
		t.Errorf("import into the seeded tenant: %d writes (%v), counts %v; want 0 writes, %d unchanged",
			r.Server.Writes, r.Server.ByMethod, r.Summary.Counts, rows)
	}
}
