package importer_test

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emporix-import/emporix-import/emporix"
	"github.com/emporix-import/emporix-import/emulator"
	"github.com/emporix-import/emporix-import/importer"
	"github.com/emporix-import/emporix-import/internal/apispec"
)

type env struct {
	srv    *emulator.Server
	client *emporix.Client
}

func newEnv(t *testing.T, cfg emulator.Config) *env {
	t.Helper()
	srv := emulator.New(cfg)
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	c := srv.Config()
	client, err := emporix.New(emporix.Config{
		BaseURL: hs.URL, Tenant: c.Tenant, ClientID: c.ClientID, ClientSecret: c.ClientSecret,
		MaxRetries: 20, RetryInitial: time.Millisecond, RetryMax: 5 * time.Millisecond, RetryAfterMax: time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	return &env{srv: srv, client: client}
}

func (e *env) config(t *testing.T, input string) importer.Config {
	return importer.Config{
		Input: input, Report: filepath.Join(t.TempDir(), "report.csv"), Quiet: true,
		Client: e.client, Stats: e.client.Stats, Concurrency: 8, MaxRetries: 20, RetryInitial: time.Millisecond,
	}
}

// reportStatuses reads import_status per report row, in order.
func reportStatuses(t *testing.T, path string) []string {
	t.Helper()
	return reportColumn(t, path, "import_status")
}

// reportColumn reads one column of the report, in row order.
func reportColumn(t *testing.T, path, name string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := slices.Index(recs[0], name)
	var out []string
	for _, r := range recs[1:] {
		out = append(out, r[col])
	}
	return out
}

// checkNoDuplicates fails on two customers with one e-mail or two addresses
// with the same content under one customer.
func checkNoDuplicates(t *testing.T, st emulator.State) {
	t.Helper()
	emails := map[string]string{}
	for _, c := range st.Customers {
		e := strings.ToLower(c.ContactEmail)
		if prev, dup := emails[e]; dup {
			t.Errorf("duplicate customer for %s: %s and %s", e, prev, c.CustomerNumber)
		}
		emails[e] = c.CustomerNumber
		seen := map[string]bool{}
		for _, a := range c.Addresses {
			k := importer.AddressKey(&emporix.Address{ContactName: a.ContactName, Street: a.Street,
				StreetNumber: a.StreetNumber, ZipCode: a.ZipCode, City: a.City, Country: a.Country})
			if seen[k] {
				t.Errorf("customer %s: duplicate address %q", c.CustomerNumber, k)
			}
			seen[k] = true
		}
	}
}

// summaryOf renders customers and addresses without generated ids.
func summaryOf(st emulator.State) string {
	var lines []string
	for _, c := range st.Customers {
		num := c.CustomerNumber
		if len(num) == 8 && strings.Trim(num, "0123456789") == "" {
			num = "(generated)"
		}
		lines = append(lines, fmt.Sprintf("%s %s %s %s %s active=%v", num, strings.ToLower(c.ContactEmail), c.FirstName, c.LastName, c.PreferredCurrency, c.Active))
		for _, a := range c.Addresses {
			lines = append(lines, fmt.Sprintf("  %s|%s %s|%s %s|%s default=%v tags=%v", strings.ToLower(c.ContactEmail), a.Street, a.StreetNumber, a.ZipCode, a.City, a.Country, a.IsDefault, a.Tags))
		}
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

func TestImportUnderFaults(t *testing.T) {
	// The acceptance profile (5% 503, 5% 429, 2% drop-after-commit) may by
	// chance drop no write in a run this small, so a heavy profile also runs
	// and must see every kind of fault.
	profiles := []struct {
		name    string
		faults  emulator.Config
		mustHit bool
	}{
		{"5pc503-5pc429-2pcDrop", emulator.Config{FailRate: 0.05, ThrottleRate: 0.05, DropAfterCommit: 0.02, Seed: 7}, false},
		{"heavy", emulator.Config{FailRate: 0.1, ThrottleRate: 0.1, DropAfterCommit: 0.1, Seed: 11}, true},
	}
	inputs := []struct {
		name, input, mapping string
	}{
		{"customerNumber", "../samples/customers.csv", ""},
		{"contactEmail", "../samples/shopify-export.csv", "../samples/mappings/shopify.yaml"},
	}
	for _, prof := range profiles {
		for _, tc := range inputs {
			t.Run(prof.name+"/"+tc.name, func(t *testing.T) {
				// The reference: a fault-free import.
				clean := newEnv(t, emulator.Config{})
				cfg := clean.config(t, tc.input)
				cfg.MappingFile, cfg.Activate = tc.mapping, true
				if _, err := importer.Import(context.Background(), cfg); err != nil && !errors.Is(err, importer.ErrRowsFailed) {
					t.Fatal(err)
				}
				want := reportStatuses(t, cfg.Report)

				faulty := newEnv(t, prof.faults)
				cfg = faulty.config(t, tc.input)
				cfg.MappingFile, cfg.Activate = tc.mapping, true
				if _, err := importer.Import(context.Background(), cfg); err != nil && !errors.Is(err, importer.ErrRowsFailed) {
					t.Fatal(err)
				}
				if got := reportStatuses(t, cfg.Report); !slices.Equal(got, want) {
					t.Errorf("statuses under faults:\n%v\nwant:\n%v\nmessages: %q", got, want, reportColumn(t, cfg.Report, "import_message"))
				}
				st := faulty.srv.Stats()
				if prof.mustHit && (st.Failed == 0 || st.TooMany == 0 || st.Dropped == 0) {
					t.Errorf("faults not exercised: %+v", st)
				}
				checkNoDuplicates(t, faulty.srv.State())
				if got, exp := summaryOf(faulty.srv.State()), summaryOf(clean.srv.State()); got != exp {
					t.Errorf("state under faults differs:\n%s\nwant:\n%s", got, exp)
				}
			})
		}
	}
}

// cancelAfter cancels ctx when the n-th customer create starts: a SIGINT mid-run.
type cancelAfter struct {
	importer.API
	n      int64
	calls  atomic.Int64
	cancel context.CancelFunc
}

func (c *cancelAfter) CreateCustomer(ctx context.Context, cust *emporix.Customer, reset bool) (string, error) {
	if c.calls.Add(1) == c.n {
		c.cancel()
	}
	return c.API.CreateCustomer(ctx, cust, reset)
}

func TestInterruptThenResume(t *testing.T) {
	e := newEnv(t, emulator.Config{Latency: 2 * time.Millisecond})
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := e.config(t, "../samples/customers.csv")
	cfg.Concurrency = 2
	cfg.JournalDir = filepath.Join(dir, "journal")
	cfg.Client = &cancelAfter{API: e.client, n: 10, cancel: cancel}
	_, err := importer.Import(ctx, cfg)
	if !errors.Is(err, importer.ErrInterrupted) {
		t.Fatalf("err = %v, want ErrInterrupted", err)
	}
	first := reportStatuses(t, cfg.Report)
	firstNums := reportColumn(t, cfg.Report, "import_customer_number")
	if len(first) != 58 {
		t.Fatalf("interrupted report has %d rows, want all 58", len(first))
	}
	skipped := 0
	for _, s := range first {
		if s == "skipped" {
			skipped++
		}
	}
	if skipped == 0 || skipped > 50 {
		t.Errorf("%d rows skipped after the interrupt; want some but not all", skipped)
	}
	writesBefore := e.srv.Stats().Writes

	cfg.Client, cfg.Resume = e.client, true
	cfg.Report = filepath.Join(dir, "resumed.csv")
	e.srv.ResetStats()
	if _, err := importer.Import(context.Background(), cfg); !errors.Is(err, importer.ErrRowsFailed) {
		t.Fatalf("resume: %v", err)
	}
	resumed := reportStatuses(t, cfg.Report)
	for i, s := range resumed {
		if s == "skipped" || s == "failed" {
			t.Errorf("row %d: %s after resume", i+2, s)
		}
	}
	// Customers done before the interrupt are not created again: exactly the
	// rest are (45 valid customers, each one POST /customers carrying its number).
	done := map[string]bool{}
	for i, st := range first {
		if st == "created" {
			done[firstNums[i]] = true
		}
	}
	// Their rows are replayed from the journal, not re-checked (which would say "unchanged").
	for i, st := range first {
		if st == "created" && resumed[i] != "created" {
			t.Errorf("row %d: created before the interrupt, %s after resume", i+2, resumed[i])
		}
	}
	if got := e.srv.Stats().ByMethod["PUT"]; got != 0 {
		t.Errorf("resume made %d PUTs; a create is a POST", got)
	}
	if got := len(e.srv.State().Customers); got != 45 {
		t.Errorf("%d customers after resume, want 45", got)
	}
	checkNoDuplicates(t, e.srv.State())
	if writesBefore == 0 {
		t.Error("nothing was written before the interrupt")
	}

	t.Run("a changed input is refused", func(t *testing.T) {
		changed := filepath.Join(dir, "customers.csv")
		data, _ := os.ReadFile("../samples/customers.csv")
		if err := os.WriteFile(changed, append(data, "\n"...), 0o644); err != nil {
			t.Fatal(err)
		}
		c := cfg
		c.Input = changed
		_, err := importer.Import(context.Background(), c)
		if !errors.Is(err, importer.ErrResume) {
			t.Errorf("err = %v, want ErrResume", err)
		}
	})
}

func TestMaxErrorsAborts(t *testing.T) {
	e := newEnv(t, emulator.Config{})
	cfg := e.config(t, "../samples/customers.csv")
	cfg.Concurrency = 1
	cfg.MaxErrors = 2
	_, err := importer.Import(context.Background(), cfg)
	if !errors.Is(err, importer.ErrAborted) {
		t.Fatalf("err = %v, want ErrAborted", err)
	}
	got := reportStatuses(t, cfg.Report)
	if len(got) != 58 {
		t.Fatalf("report has %d rows, want 58", len(got))
	}
	// Invalid rows are 14 and 25 (Seq 12 and 23): everything after the second is skipped.
	for i, s := range got {
		switch {
		case i == 12 || i == 23:
			if s != "invalid" {
				t.Errorf("row %d = %s, want invalid", i+2, s)
			}
		case i > 23 && s != "skipped" && s != "invalid":
			t.Errorf("row %d = %s after the abort, want skipped", i+2, s)
		}
	}
}

// TestImportRequestsConformToSpec runs whole imports (create, update, replace,
// activation, match by e-mail, dry run) with every request and response
// validated against the official OpenAPI spec.
func TestImportRequestsConformToSpec(t *testing.T) {
	v := apispec.Load(t)
	srv := emulator.New(emulator.Config{})
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	c := srv.Config()
	client, err := emporix.New(emporix.Config{
		BaseURL: hs.URL, Tenant: c.Tenant, ClientID: c.ClientID, ClientSecret: c.ClientSecret,
		HTTPClient: &http.Client{Transport: v.Transport(t, nil), Timeout: 10 * time.Second},
	})
	if err != nil {
		t.Fatal(err)
	}
	run := func(input, mappingFile string, tweak func(*importer.Config)) {
		t.Helper()
		cfg := importer.Config{Input: input, MappingFile: mappingFile, Report: filepath.Join(t.TempDir(), "r.csv"),
			Quiet: true, Client: client, Concurrency: 4, JournalDir: t.TempDir()}
		if tweak != nil {
			tweak(&cfg)
		}
		if _, err := importer.Import(context.Background(), cfg); err != nil && !errors.Is(err, importer.ErrRowsFailed) {
			t.Fatal(err)
		}
	}
	run("../samples/customers.csv", "", func(c *importer.Config) { c.Activate = true })
	run("../samples/shopify-export.csv", "../samples/mappings/shopify.yaml", nil)
	run("../samples/erp-export.csv", "../samples/mappings/erp.yaml", nil)

	// Change the tenant behind the tool's back, then sync with replace modes.
	ctx := context.Background()
	cust, err := client.GetCustomer(ctx, "C1001", "addresses")
	if err != nil || len(cust.Addresses) == 0 {
		t.Fatalf("C1001: %+v %v", cust, err)
	}
	if err := client.PatchCustomer(ctx, "C1001", map[string]any{"firstName": "Changed", "company": ""}); err != nil {
		t.Fatal(err)
	}
	if err := client.AddTags(ctx, "C1001", cust.Addresses[0].ID, []string{"EXTRA"}); err != nil {
		t.Fatal(err)
	}
	if err := client.PatchAddress(ctx, "C1001", cust.Addresses[0].ID, map[string]any{"contactPhone": "+1 555"}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.AddAddress(ctx, "C1001", &emporix.Address{ContactName: "X", City: "Y", Country: "DE"}); err != nil {
		t.Fatal(err)
	}
	run("../samples/customers.csv", "", func(c *importer.Config) { c.DryRun = true })
	run("../samples/customers.csv", "", func(c *importer.Config) { c.ReplaceAddresses, c.ReplaceTags = true, true })
	if srv.Stats().Writes == 0 {
		t.Fatal("no writes were validated")
	}
}
