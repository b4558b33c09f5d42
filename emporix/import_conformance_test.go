package emporix_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/emporix-import/emporix-import/emporix"
	"github.com/emporix-import/emporix-import/emulator"
	"github.com/emporix-import/emporix-import/internal/apispec"
)

var importScopes = append(emporix.DefaultScopes(), emporix.ImportScopes...)

func newImportFixture(t *testing.T, cfg emulator.Config) *fixture {
	t.Helper()
	cfg.Scopes = importScopes
	return newFixture(t, cfg, apispec.Both, func(c *emporix.Config) { c.Scopes = importScopes })
}

func legacyImport(email, uid, password string) emporix.CustomerImport {
	return emporix.CustomerImport{Account: emporix.ImportAccount{Email: email, LegacyAuth: &emporix.LegacyAuth{
		Algorithm: emporix.LegacyHybris, Hash: emporix.Secret(emulator.HybrisLegacyHash(password, uid)),
		Context: map[string]string{"originalUid": uid}}}}
}

// TestConformancePasswordMigration: the documented migration flow through the
// client, every request and response checked against the spec.
func TestConformancePasswordMigration(t *testing.T) {
	f := newImportFixture(t, emulator.Config{})
	ctx := context.Background()
	c := f.client

	if _, err := c.GetRetention(ctx); !errors.Is(err, emporix.ErrRetentionNotSet) {
		t.Fatalf("GET before any window: %v", err)
	}
	// Without a window, legacy items fail one by one; the native one is created.
	native := emporix.CustomerImport{Customer: emporix.Customer{ID: "C-1", FirstName: "Ann", PreferredCurrency: "EUR"},
		Account: emporix.ImportAccount{Email: "ann@example.com", PasswordHash: emporix.Secret(emulator.NativeHash("pw", "s1"))}}
	items, err := c.ImportCustomers(ctx, []emporix.CustomerImport{native, legacyImport("bob@example.com", "bob", "pw")})
	if err != nil {
		t.Fatal(err)
	}
	if !items[0].Created() || items[0].ID != "C-1" || items[1].Code != 400 {
		t.Fatalf("items = %+v", items)
	}

	end := time.Now().UTC().AddDate(0, 2, 0).Format(emporix.DateLayout)
	got, err := c.SetRetention(ctx, emporix.Retention{RetentionEndDate: end})
	if err != nil || got.RetentionEndDate != end || got.EmailReminderDate == "" || got.EmailNotificationsEnabled == nil || !*got.EmailNotificationsEnabled {
		t.Fatalf("set = %+v, %v", got, err)
	}
	if _, err := c.SetRetention(ctx, emporix.Retention{RetentionEndDate: "2020-01-01"}); emporix.StatusOf(err) != 400 {
		t.Fatalf("a past end date: %v, want 400", err)
	}
	items, err = c.ImportCustomers(ctx, []emporix.CustomerImport{native, legacyImport("bob@example.com", "bob", "pw")})
	if err != nil {
		t.Fatal(err)
	}
	if !emporix.IsConflict(items[0].Err()) || !items[1].Created() {
		t.Fatalf("re-sent batch = %+v", items)
	}
	if a, ok := f.srv.Account(items[1].ID); !ok || a.Legacy == nil || a.Legacy.Hash != emulator.HybrisLegacyHash("pw", "bob") {
		t.Fatalf("bob's account = %+v", a)
	}
	if err := c.DeleteRetention(ctx); !errors.Is(err, emporix.ErrMigrationPending) {
		t.Fatalf("DELETE with a legacy hash left: %v", err)
	}
	if _, err := f.srv.Login("bob@example.com", "pw"); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteRetention(ctx); err != nil {
		t.Fatalf("DELETE after the migration: %v", err)
	}
}

func TestConformanceImportFull(t *testing.T) {
	f := newImportFixture(t, emulator.Config{})
	batch := make([]emporix.CustomerImport, emporix.MaxImportBatch)
	for i := range batch {
		batch[i] = emporix.CustomerImport{Account: emporix.ImportAccount{
			Email: fmt.Sprintf("u%03d@example.com", i), PasswordHash: emporix.Secret(fmt.Sprintf("1:1:s%d:h", i))}}
	}
	items, err := f.client.ImportCustomers(context.Background(), batch)
	if err != nil {
		t.Fatal(err)
	}
	for i, it := range items {
		if !it.Created() {
			t.Fatalf("item %d = %+v", i, it)
		}
	}
	if n := f.srv.Stats().Writes; n != 1 {
		t.Errorf("%d writes for one full batch", n)
	}
}

func TestConformanceImportDropAfterCommit(t *testing.T) {
	f := newImportFixture(t, emulator.Config{DropAfterCommit: 1})
	batch := []emporix.CustomerImport{legacyImport("x@example.com", "x", "pw")}
	batch[0].Account = emporix.ImportAccount{Email: "x@example.com", PasswordHash: "1:1:a:b"}
	_, err := f.client.ImportCustomers(context.Background(), batch)
	if !errors.Is(err, emporix.ErrOutcomeUnknown) {
		t.Fatalf("err = %v, want ErrOutcomeUnknown", err)
	}
	if st := f.srv.Stats(); st.Writes != 1 || len(f.srv.State().Customers) != 1 {
		t.Fatalf("%d writes, %d customers: applied once, never re-sent", st.Writes, len(f.srv.State().Customers))
	}
	f.srv.SetFaults(0, 0, 0)
	items, err := f.client.ImportCustomers(context.Background(), batch)
	if err != nil || !emporix.IsConflict(items[0].Err()) {
		t.Fatalf("re-sent by the caller: %+v, %v (want item 409)", items, err)
	}
}
