package importer_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/emporix-import/emporix-import/emporix"
	"github.com/emporix-import/emporix-import/emulator"
	"github.com/emporix-import/emporix-import/importer"
)

// Creates are logged ahead by lookup batch, one record (and one fsync) per
// batch instead of one per customer; a create the plan refuses is withdrawn,
// and customers that exist are never logged: after the run the batch log
// holds exactly the customers created.
func TestCreatesLoggedAheadByLookupBatch(t *testing.T) {
	const n = 100
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("customerNumber,contactEmail,firstName,lastName\n")
	for i := range n {
		email := fmt.Sprintf("c%05d@example.com", i)
		if i == 50 {
			email = "" // valid in the file, but a create needs an e-mail
		}
		fmt.Fprintf(&b, "C%05d,%s,First %d,Last %d\n", i, email, i, i)
	}
	input := filepath.Join(dir, "customers.csv")
	if err := os.WriteFile(input, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, emulator.Config{})
	for i := 1; i <= 3; i++ {
		if err := e.srv.Seed(emulator.Customer{CustomerNumber: fmt.Sprintf("C%05d", i),
			ContactEmail: fmt.Sprintf("c%05d@example.com", i)}); err != nil {
			t.Fatal(err)
		}
	}
	cfg := e.config(t, input)
	cfg.JournalDir = filepath.Join(dir, "journal")
	if _, err := importer.Import(context.Background(), cfg); !errors.Is(err, importer.ErrRowsFailed) {
		t.Fatalf("import: %v, want the one invalid row", err)
	}
	records, sent := readBatchLog(t, cfg.JournalDir)
	var want []string
	for i := range n {
		if i != 50 && (i < 1 || i > 3) {
			want = append(want, fmt.Sprintf("C%05d", i))
		}
	}
	if got := slices.Sorted(maps.Keys(sent)); !slices.Equal(got, want) {
		t.Errorf("logged creates after the run: %v\nwant %v", got, want)
	}
	// Lookup batches of 4, 8, 16, 32 and 40 customers.
	if records > 5 {
		t.Errorf("%d create records for %d creates, want one per lookup batch", records, len(want))
	}
}

// readBatchLog reads the batch log in dir: the records that log creates, and
// the keys logged minus those that existed or were withdrawn.
func readBatchLog(t *testing.T, dir string) (records int, sent map[string]bool) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.bulk.jsonl"))
	if len(files) != 1 {
		t.Fatalf("batch logs: %v", files)
	}
	f, err := os.Open(files[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sent = map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r struct{ Keys, Existed, Withdrawn []string }
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("batch log line %q: %v", sc.Text(), err)
		}
		if len(r.Keys) > 0 {
			records++
		}
		for _, k := range r.Keys {
			sent[k] = true
		}
		for _, k := range slices.Concat(r.Existed, r.Withdrawn) {
			delete(sent, k)
		}
	}
	return records, sent
}

// The connection check runs while the input is read, yet its verdict comes
// first: refused credentials fail the run (not the input's own problem, here
// no data rows), and neither a journal nor a report is left behind.
func TestRefusedCredentialsComeBeforeTheInput(t *testing.T) {
	srv := emulator.New(emulator.Config{})
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	c := srv.Config()
	client, err := emporix.New(emporix.Config{BaseURL: hs.URL, Tenant: c.Tenant, ClientID: c.ClientID,
		ClientSecret: c.ClientSecret + "-wrong"})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	input := filepath.Join(dir, "empty.csv")
	if err := os.WriteFile(input, []byte("customerNumber,contactEmail\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := importer.Config{Input: input, Report: filepath.Join(dir, "r", "report.csv"), Quiet: true,
		Client: client, JournalDir: filepath.Join(dir, "journal")}
	_, err = importer.Import(context.Background(), cfg)
	if ae, ok := errors.AsType[*emporix.AuthError](err); !ok || !strings.HasPrefix(err.Error(), "connection check: ") {
		t.Fatalf("err = %v (%v), want the refused credentials", err, ae)
	}
	for _, p := range []string{cfg.Report, cfg.JournalDir} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s left behind (%v)", p, err)
		}
	}
}
