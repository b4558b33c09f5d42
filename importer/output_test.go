package importer_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emporix-import/emporix-import/emulator"
	"github.com/emporix-import/emporix-import/importer"
)

// writeCustomers writes n customers, one row each.
func writeCustomers(t *testing.T, dir string, n int) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("customerNumber,contactEmail,firstName,lastName\n")
	for i := range n {
		fmt.Fprintf(&b, "C%05d,c%05d@example.com,First %d,Last %d\n", i, i, i, i)
	}
	path := filepath.Join(dir, "customers.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// A report on a full disk stops the run at once: no new write is issued, the
// customers in flight finish and are journalled, the error states exactly
// what reached the tenant, and --resume completes the import.
func TestReportOnFullDiskStopsWrites(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full")
	}
	const n = 1200
	e := newEnv(t, emulator.Config{})
	dir := t.TempDir()
	cfg := e.config(t, writeCustomers(t, dir, n))
	cfg.JournalDir = filepath.Join(dir, "journal")
	cfg.Report = filepath.Join(dir, "full.csv")
	if err := os.Symlink("/dev/full", cfg.Report); err != nil {
		t.Fatal(err)
	}
	_, err := importer.Import(context.Background(), cfg)
	var oe *importer.OutputError
	if !errors.As(err, &oe) || importer.ExitCode(err) != importer.ExitFatal {
		t.Fatalf("err = %v, want an OutputError (exit 1)", err)
	}
	inTenant := int64(len(e.srv.State().Customers))
	if oe.Changed != inTenant || oe.Created != inTenant {
		t.Errorf("error says %d changed, %d created; the tenant holds %d customers", oe.Changed, oe.Created, inTenant)
	}
	if oe.Journalled != oe.Changed {
		t.Errorf("%d of %d customers written were journalled", oe.Journalled, oe.Changed)
	}
	if inTenant == 0 || inTenant >= n {
		t.Errorf("%d of %d customers written before stopping; want some, not all", inTenant, n)
	}
	msg := err.Error()
	t.Log(msg)
	if !strings.Contains(msg, "no space left") || !strings.Contains(msg, fmt.Sprintf("%d customer(s) reached the tenant", inTenant)) {
		t.Errorf("message: %s", msg)
	}

	cfg.Report, cfg.Resume = filepath.Join(dir, "resumed.csv"), true
	if _, err := importer.Import(context.Background(), cfg); err != nil {
		t.Fatalf("resume: %v", err)
	}
	statuses := reportStatuses(t, cfg.Report)
	for i, s := range statuses {
		if s != "created" {
			t.Fatalf("row %d: %s after resume, want created (replayed or new)", i+2, s)
		}
	}
	if len(statuses) != n || len(e.srv.State().Customers) != n {
		t.Errorf("%d report rows, %d customers; want %d", len(statuses), len(e.srv.State().Customers), n)
	}
	checkNoDuplicates(t, e.srv.State())
}
