package importer_test

import (
	"context"
	"crypto/rand"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emporix-import/emporix-import/emporix"
	"github.com/emporix-import/emporix-import/emulator"
	"github.com/emporix-import/emporix-import/importer"
)

// pwRow is one customer of a generated file with a password hash.
type pwRow struct {
	number, email, hash string
	legacy              bool // hybris legacy hash (context originalUid = e-mail)
}

// pwMapping maps the generated columns, the account block included.
const pwMapping = `customer:
  customerNumber: number
  contactEmail: email
  firstName: first
  lastName: last
account:
  passwordHash: native
  legacyAuth.algorithm: { column: encoding, values: { sha512: hybris-sha512-uid-salt } }
  legacyAuth.hash: legacy
  legacyAuth.context.originalUid: uid
addresses:
  - contactName: { columns: [first, last] }
    street: street
    zipCode: zip
    city: city
    country: country
    tags: { column: tags, split: "," }
`

// secretHash is a made-up hash, distinctive enough to be grepped for.
func secretHash(t testing.TB) string {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "HASH" + hex.EncodeToString(b)
}

// writePWFile writes n customers (every third with a legacy hash) and the mapping.
func writePWFile(t testing.TB, dir string, n int, legacy func(i int) bool) (input, mappingFile string, rows []pwRow) {
	t.Helper()
	input = filepath.Join(dir, "pw.csv")
	f, err := os.Create(input)
	if err != nil {
		t.Fatal(err)
	}
	w := csv.NewWriter(f)
	_ = w.Write([]string{"number", "email", "first", "last", "native", "encoding", "legacy", "uid", "street", "zip", "city", "country", "tags"})
	for i := range n {
		r := pwRow{number: fmt.Sprintf("PW%05d", i), email: fmt.Sprintf("pw%05d@example.com", i), hash: secretHash(t), legacy: legacy(i)}
		rec := []string{r.number, r.email, "First", fmt.Sprintf("Last%d", i), "", "", "", "", fmt.Sprintf("Street %d", i), "10115", "Berlin", "DE", "BILLING"}
		if r.legacy {
			rec[5], rec[6], rec[7] = "sha512", r.hash, r.email
		} else {
			rec[4] = r.hash
		}
		_ = w.Write(rec)
		rows = append(rows, r)
	}
	w.Flush()
	if err := errors.Join(w.Error(), f.Close()); err != nil {
		t.Fatal(err)
	}
	mappingFile = filepath.Join(dir, "pw.yaml")
	if err := os.WriteFile(mappingFile, []byte(pwMapping), 0o644); err != nil {
		t.Fatal(err)
	}
	return input, mappingFile, rows
}

// pathCounter counts requests per "METHOD path-suffix" in front of the emulator.
type pathCounter struct {
	h       http.Handler
	imports atomic.Int64
	creates atomic.Int64
}

func (c *pathCounter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost {
		switch {
		case strings.HasSuffix(r.URL.Path, "/customers/import"):
			c.imports.Add(1)
		case strings.HasSuffix(r.URL.Path, "/customers"):
			c.creates.Add(1)
		}
	}
	c.h.ServeHTTP(w, r)
}

func newPWEnv(t testing.TB, cfg emulator.Config) (*env, *pathCounter) {
	t.Helper()
	srv := emulator.New(cfg)
	pc := &pathCounter{h: srv}
	hs := httptest.NewServer(pc)
	t.Cleanup(hs.Close)
	c := srv.Config()
	client, err := emporix.New(emporix.Config{
		BaseURL: hs.URL, Tenant: c.Tenant, ClientID: c.ClientID, ClientSecret: c.ClientSecret,
		Scopes:     append(emporix.DefaultScopes(), emporix.ImportScopes...),
		MaxRetries: 20, RetryInitial: time.Millisecond, RetryMax: 5 * time.Millisecond, RetryAfterMax: time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	return &env{srv: srv, client: client}, pc
}

func setRetention(t testing.TB, c *emporix.Client) {
	t.Helper()
	end := time.Now().UTC().AddDate(0, 2, 0).Format(emporix.DateLayout)
	if _, err := c.SetRetention(context.Background(), emporix.Retention{RetentionEndDate: end}); err != nil {
		t.Fatal(err)
	}
}

// checkAccounts asserts every customer holds exactly the hash of its row.
func checkAccounts(t testing.TB, srv *emulator.Server, rows []pwRow) {
	t.Helper()
	bad := 0
	for _, r := range rows {
		a, ok := srv.Account(r.number)
		got := a.PasswordHash
		if r.legacy && a.Legacy != nil {
			got = a.Legacy.Hash
		}
		if !ok || got != r.hash || (a.Legacy != nil) != r.legacy || !strings.EqualFold(a.Email, r.email) {
			if bad++; bad <= 5 {
				t.Errorf("customer %s: account %v (found %v), want the row's hash (legacy %v)", r.number, a.Legacy != nil, ok, r.legacy)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d customers without their row's hash", bad, len(rows))
	}
}

func TestBulkImportCreatesWithHashes(t *testing.T) {
	e, pc := newPWEnv(t, emulator.Config{})
	setRetention(t, e.client)
	dir := t.TempDir()
	input, mf, rows := writePWFile(t, dir, 450, func(i int) bool { return i%3 == 0 })
	// One customer exists already: its password must stay untouched.
	if _, err := e.client.CreateCustomer(context.Background(), &emporix.Customer{ID: rows[7].number, ContactEmail: rows[7].email}, false); err != nil {
		t.Fatal(err)
	}
	cfg := e.config(t, input)
	cfg.MappingFile = mf
	cfg.Activate = true
	cfg.BulkDelay = time.Minute
	sum, err := importer.Import(context.Background(), cfg)
	if err != nil {
		t.Fatalf("import: %v (%s)", err, sum.Line())
	}
	if n := pc.imports.Load(); n != 3 || sum.BulkRequests != 3 {
		t.Errorf("import requests: %d (summary %d), want 3 for 449 new customers", n, sum.BulkRequests)
	}
	if n := pc.creates.Load(); n != 1 { // the seed above
		t.Errorf("single creates: %d, want none", n-1)
	}
	if !strings.Contains(sum.Line(), "(3 bulk import)") {
		t.Errorf("summary line %q does not count the bulk requests", sum.Line())
	}
	statuses := reportColumn(t, cfg.Report, "import_status")
	changes := reportColumn(t, cfg.Report, "import_changes")
	msgs := reportColumn(t, cfg.Report, "import_message")
	for i := range rows {
		want := "created"
		if i == 7 {
			want = "updated"
		}
		if statuses[i] != want {
			t.Fatalf("row %d: %s (%s), want %s", i+2, statuses[i], msgs[i], want)
		}
	}
	if !strings.Contains(changes[0], "customer.create (bulk import)") || !strings.Contains(changes[0], "address.create") ||
		!strings.Contains(changes[0], "active: true") {
		t.Errorf("row 2 changes %q: want the bulk create, the address and the activation", changes[0])
	}
	if msgs[7] != "password not changed: customer exists" {
		t.Errorf("existing customer's message %q", msgs[7])
	}
	if _, ok := e.srv.Account(rows[7].number); ok {
		t.Error("the existing customer got an account from the import")
	}
	checkAccounts(t, e.srv, append(rows[:7:7], rows[8:]...))
	checkNoDuplicates(t, e.srv.State())

	// A re-run makes no write at all.
	before := e.srv.Stats().Applied
	cfg.Report = filepath.Join(dir, "again.csv")
	if _, err := importer.Import(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	if d := e.srv.Stats().Applied - before; d != 0 {
		t.Errorf("re-run applied %d writes", d)
	}
	for i, st := range reportColumn(t, cfg.Report, "import_status") {
		if st != "unchanged" {
			t.Fatalf("re-run row %d: %s", i+2, st)
		}
	}
}

// Lost and refused batch answers are resolved without duplicates: every
// customer exists once, with its row's hash, and every row is reported once.
func TestBulkImportUnderFaults(t *testing.T) {
	for _, seed := range []int64{1, 2, 3} {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			e, _ := newPWEnv(t, emulator.Config{Seed: seed})
			setRetention(t, e.client)
			e.srv.SetFaults(0, 0.1, 0.05)
			input, mf, rows := writePWFile(t, t.TempDir(), 600, func(i int) bool { return i%2 == 0 })
			cfg := e.config(t, input)
			cfg.MappingFile = mf
			sum, err := importer.Import(context.Background(), cfg)
			if err != nil {
				t.Fatalf("import: %v (%s)", err, sum.Line())
			}
			e.srv.SetFaults(0, 0, 0)
			statuses := reportColumn(t, cfg.Report, "import_status")
			if len(statuses) != len(rows) {
				t.Fatalf("%d report rows for %d input rows", len(statuses), len(rows))
			}
			for i, st := range statuses {
				if st != "created" {
					t.Fatalf("row %d: %s", i+2, st)
				}
			}
			st := e.srv.State()
			if len(st.Customers) != len(rows) {
				t.Errorf("%d customers, want %d", len(st.Customers), len(rows))
			}
			checkNoDuplicates(t, st)
			checkAccounts(t, e.srv, rows)
			t.Log(sum.Line(), e.srv.Stats().Dropped, "dropped")
		})
	}
}

// importFaults answers the n-th import request by kind: "drop" applies it and
// closes the connection unanswered, "503" refuses it before applying, "" serves it.
type importFaults struct {
	h     http.Handler
	kinds []string
	n     atomic.Int64
}

func (f *importFaults) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/customers/import") {
		f.h.ServeHTTP(w, r)
		return
	}
	k := ""
	if i := int(f.n.Add(1)) - 1; i < len(f.kinds) {
		k = f.kinds[i]
	}
	switch k {
	case "drop":
		f.h.ServeHTTP(httptest.NewRecorder(), r)
		panic(http.ErrAbortHandler)
	case "503":
		http.Error(w, `{"status":503,"message":"unavailable"}`, http.StatusServiceUnavailable)
	default:
		f.h.ServeHTTP(w, r)
	}
}

// A batch whose answer is lost is re-sent: its items answer 409 and are
// looked up; a 503 batch is simply re-sent. Either way each customer is
// created once, reported created, and the requests stay few.
func TestBulkImportLostAnswers(t *testing.T) {
	srv := emulator.New(emulator.Config{})
	faults := &importFaults{h: srv, kinds: []string{"drop", "drop", "503"}}
	pc := &pathCounter{h: faults}
	hs := httptest.NewServer(pc)
	defer hs.Close()
	c := srv.Config()
	client, err := emporix.New(emporix.Config{
		BaseURL: hs.URL, Tenant: c.Tenant, ClientID: c.ClientID, ClientSecret: c.ClientSecret,
		Scopes:     append(emporix.DefaultScopes(), emporix.ImportScopes...),
		MaxRetries: 5, RetryInitial: time.Millisecond, RetryMax: 5 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{srv: srv, client: client}
	input, mf, rows := writePWFile(t, t.TempDir(), 150, func(int) bool { return false })
	cfg := e.config(t, input)
	cfg.MappingFile = mf
	sum, err := importer.Import(context.Background(), cfg)
	if err != nil {
		t.Fatalf("import: %v (%s)", err, sum.Line())
	}
	for i, st := range reportColumn(t, cfg.Report, "import_status") {
		if st != "created" {
			t.Fatalf("row %d: %s", i+2, st)
		}
	}
	for i, ch := range reportColumn(t, cfg.Report, "import_changes") {
		if !strings.HasPrefix(ch, "customer.create (bulk import)") {
			t.Fatalf("row %d changes %q", i+2, ch)
		}
	}
	checkNoDuplicates(t, srv.State())
	checkAccounts(t, srv, rows)
	// drop, drop (409 for all), 503, then answered: 4 import requests.
	if n := pc.imports.Load(); n != 4 {
		t.Errorf("%d import requests, want 4", n)
	}
	t.Log(sum.Line())
}

// The dry run goes through the bulk path recording instead of sending: it
// predicts would_create with the bulk create and writes nothing.
func TestBulkImportDryRun(t *testing.T) {
	e, pc := newPWEnv(t, emulator.Config{})
	setRetention(t, e.client)
	e.srv.ResetStats()
	input, mf, _ := writePWFile(t, t.TempDir(), 250, func(i int) bool { return i%2 == 1 })
	cfg := e.config(t, input)
	cfg.MappingFile, cfg.DryRun = mf, true
	sum, err := importer.Import(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if pc.imports.Load() != 0 || e.srv.Stats().Writes != 0 {
		t.Fatalf("the dry run wrote: %d imports, %d writes", pc.imports.Load(), e.srv.Stats().Writes)
	}
	if sum.BulkRequests != 2 || !strings.Contains(sum.Line(), "would be 2 bulk import") {
		t.Errorf("summary %q: want 2 planned bulk requests", sum.Line())
	}
	changes := reportColumn(t, cfg.Report, "import_changes")
	for i, st := range reportColumn(t, cfg.Report, "import_status") {
		if st != "would_create" || !strings.HasPrefix(changes[i], "customer.create (bulk import)") {
			t.Fatalf("row %d: %s %q", i+2, st, changes[i])
		}
	}
}

// Acceptance: 10,000 new customers with hashes take at most 50 import
// requests (plus one address request each), every customer holds its row's
// hash, and a re-run writes nothing. -short runs 1,000.
func TestBulkImportTenThousand(t *testing.T) {
	n := 10000
	if testing.Short() {
		n = 1000
	}
	e, pc := newPWEnv(t, emulator.Config{})
	setRetention(t, e.client)
	dir := t.TempDir()
	input, mf, rows := writePWFile(t, dir, n, func(i int) bool { return i%2 == 0 })
	cfg := e.config(t, input)
	cfg.MappingFile = mf
	cfg.BulkDelay = time.Minute // batches leave full (or at the end), however loaded the machine
	sum, err := importer.Import(context.Background(), cfg)
	if err != nil {
		t.Fatalf("import: %v (%s)", err, sum.Line())
	}
	if got, limit := pc.imports.Load(), int64((n+199)/200); got > limit {
		t.Errorf("%d import requests for %d customers, want at most %d", got, n, limit)
	}
	if pc.creates.Load() != 0 {
		t.Errorf("%d single creates", pc.creates.Load())
	}
	counts := map[string]int{}
	for _, st := range reportColumn(t, cfg.Report, "import_status") {
		counts[st]++
	}
	if counts["created"] != n {
		t.Errorf("statuses %v, want %d created", counts, n)
	}
	checkAccounts(t, e.srv, rows)
	checkNoDuplicates(t, e.srv.State())
	before := e.srv.Stats().Writes
	cfg.Report = filepath.Join(dir, "again.csv")
	if _, err := importer.Import(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	if d := e.srv.Stats().Writes - before; d != 0 {
		t.Errorf("re-run made %d writes", d)
	}
	t.Log(sum.Line())
}

// killAfterImport lets the first import request reach the tenant, then stops
// the run hard (as a kill would) before its answer is used.
type killAfterImport struct {
	importer.API
	once   atomic.Bool
	cancel context.CancelFunc
	force  chan struct{}
}

func (k *killAfterImport) ImportCustomers(ctx context.Context, b []emporix.CustomerImport) ([]emporix.ImportItemResult, error) {
	res, err := k.API.ImportCustomers(ctx, b)
	if err != nil || !k.once.CompareAndSwap(false, true) {
		return res, err
	}
	k.cancel()
	close(k.force)
	<-ctx.Done() // the run has cut its work short
	return nil, fmt.Errorf("lost: %w", emporix.ErrOutcomeUnknown)
}

// A batch that reached the tenant in an interrupted run: --resume finds its
// customers and reports them created by the bulk import (the batch log says
// so), activates them, and never says the password was not changed.
func TestBulkImportResumeAfterSentBatch(t *testing.T) {
	e, pc := newPWEnv(t, emulator.Config{})
	setRetention(t, e.client)
	input, mf, rows := writePWFile(t, t.TempDir(), 120, func(i int) bool { return i%2 == 0 })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := e.config(t, input)
	cfg.MappingFile, cfg.Activate = mf, true
	cfg.JournalDir = filepath.Join(t.TempDir(), "journal")
	k := &killAfterImport{API: e.client, cancel: cancel, force: make(chan struct{})}
	cfg.Client, cfg.ForceStop = k, k.force
	if _, err := importer.Import(ctx, cfg); !errors.Is(err, importer.ErrInterrupted) {
		t.Fatalf("first run: %v, want interrupted", err)
	}
	if got := len(e.srv.State().Customers); got != len(rows) {
		t.Fatalf("the interrupted batch created %d customers, want %d", got, len(rows))
	}
	cfg.Client, cfg.ForceStop, cfg.Resume = e.client, nil, true
	cfg.Report = filepath.Join(t.TempDir(), "resumed.csv")
	sum, err := importer.Import(context.Background(), cfg)
	if err != nil {
		t.Fatalf("resume: %v (%s)", err, sum.Line())
	}
	changes := reportColumn(t, cfg.Report, "import_changes")
	msgs := reportColumn(t, cfg.Report, "import_message")
	for i, st := range reportColumn(t, cfg.Report, "import_status") {
		if st != "created" || !strings.HasPrefix(changes[i], "customer.create (bulk import)") ||
			!strings.Contains(changes[i], "active: false → true") || msgs[i] != "" {
			t.Fatalf("row %d: %s %q %q", i+2, st, changes[i], msgs[i])
		}
	}
	if n := pc.imports.Load(); n != 1 {
		t.Errorf("%d import requests, want the interrupted one only", n)
	}
	checkNoDuplicates(t, e.srv.State())
	checkAccounts(t, e.srv, rows)
}
