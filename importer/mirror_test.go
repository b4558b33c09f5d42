package importer_test

import (
	"bytes"
	"cmp"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/emporix-import/emporix-import/emporix"
	"github.com/emporix-import/emporix-import/emulator"
	"github.com/emporix-import/emporix-import/importer"
	"github.com/emporix-import/emporix-import/report"
)

// erpNumber is the i-th ERP customer (scope customerNumber:K*).
func erpNumber(i int) string { return fmt.Sprintf("K%04d", i) }

// seedERP seeds erp ERP customers K0000… (active, in sync with erpFile) and
// shop shop-only customers S0000… (active, created in the shop).
func seedERP(t *testing.T, srv *emulator.Server, erp, shop int) {
	t.Helper()
	var cs []emulator.Customer
	for i := range erp {
		cs = append(cs, emulator.Customer{CustomerNumber: erpNumber(i), ContactEmail: fmt.Sprintf("k%d@erp.example", i),
			FirstName: "Erp", Active: true})
	}
	for i := range shop {
		cs = append(cs, emulator.Customer{CustomerNumber: fmt.Sprintf("S%04d", i), ContactEmail: fmt.Sprintf("s%d@shop.example", i),
			FirstName: "Shop", Active: true})
	}
	if err := srv.Seed(cs...); err != nil {
		t.Fatal(err)
	}
}

// erpFile writes an export with the ERP customers whose index keep accepts.
func erpFile(t *testing.T, n int, keep func(i int) bool) string {
	t.Helper()
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write([]string{"customerNumber", "contactEmail", "firstName", "active"})
	for i := range n {
		if keep(i) {
			_ = w.Write([]string{erpNumber(i), fmt.Sprintf("k%d@erp.example", i), "Erp", "true"})
		}
	}
	w.Flush()
	path := filepath.Join(t.TempDir(), "erp.csv")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func mirrorConfig(t *testing.T, e *env, input string, action importer.MissingAction, scope string) importer.Config {
	t.Helper()
	cfg := e.config(t, input)
	cfg.JournalDir = filepath.Join(t.TempDir(), "journal")
	cfg.Missing, cfg.MaxMissing = action, importer.DefaultMaxMissing
	sc, err := emporix.ParseScope(scope)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Scope = sc
	return cfg
}

// mirrorRows returns the report's mirror rows (import_row empty) as "number status".
func mirrorRows(t *testing.T, path string) []string {
	t.Helper()
	rows, sts, nums := reportColumn(t, path, "import_row"), reportStatuses(t, path), reportColumn(t, path, "import_customer_number")
	var out []string
	for i := range rows {
		if rows[i] == "" {
			out = append(out, nums[i]+" "+sts[i])
		}
	}
	return out
}

func inactive(st emulator.State) []string {
	var out []string
	for _, c := range st.Customers {
		if !c.Active {
			out = append(out, c.CustomerNumber)
		}
	}
	return out
}

func dropEvery(k int) func(int) bool { return func(i int) bool { return i%k != 0 } }

// The acceptance scenario: 1,000 ERP customers (prefix K) and 200 shop-only
// ones; the export lacks 30: exactly those are deactivated, the shop's are
// never touched, and the re-run writes nothing.
func TestMirrorDeactivatesExactlyTheMissing(t *testing.T) {
	e := newEnv(t, emulator.Config{MaxPageSize: 250})
	seedERP(t, e.srv, 1000, 200)
	missing := func(i int) bool { return i%33 == 5 && i < 33*30 } // 30 customers
	in := erpFile(t, 1000, func(i int) bool { return !missing(i) })
	var want []string
	for i := range 1000 {
		if missing(i) {
			want = append(want, erpNumber(i)+" deactivated")
		}
	}
	cfg := mirrorConfig(t, e, in, importer.MissingDeactivate, "customerNumber:K*")
	cfg.SummaryJSON = filepath.Join(t.TempDir(), "summary.json")
	sum, err := importer.Import(context.Background(), cfg)
	if err != nil {
		t.Fatalf("import: %v (%+v)", err, sum.Counts)
	}
	if got := mirrorRows(t, cfg.Report); !slices.Equal(got, want) {
		t.Errorf("mirror rows = %v\nwant %v", got, want)
	}
	st := e.srv.State()
	var wantInactive []string
	for _, w := range want {
		wantInactive = append(wantInactive, strings.Fields(w)[0])
	}
	if got := inactive(st); !slices.Equal(got, wantInactive) {
		t.Errorf("inactive after the run = %v, want %v (no shop customer)", got, wantInactive)
	}
	if pm := e.srv.Stats().ByMethod["PATCH"]; pm != 30 || e.srv.Stats().Writes != 30 {
		t.Errorf("%d PATCHes, %d writes; want 30 deactivations and nothing else", pm, e.srv.Stats().Writes)
	}
	m := sum.Mirror
	if m == nil || m.InScope != 1000 || m.Missing != 30 || m.Rows != 30 || sum.Rows != 970 || sum.Counts[report.Deactivated] != 30 {
		t.Errorf("summary = rows %d, counts %v, mirror %+v", sum.Rows, sum.Counts, m)
	}
	js, _ := os.ReadFile(cfg.SummaryJSON)
	if !bytes.Contains(js, []byte(`"deactivated": 30`)) || !bytes.Contains(js, []byte(`"in_scope": 1000`)) {
		t.Errorf("summary JSON lacks the mirror counts:\n%s", js)
	}

	e.srv.ResetStats()
	cfg.Report = filepath.Join(t.TempDir(), "again.csv")
	again, err := importer.Import(context.Background(), cfg)
	if err != nil || e.srv.Stats().Writes != 0 || len(mirrorRows(t, cfg.Report)) != 0 || again.Mirror.Missing != 0 {
		t.Errorf("re-run: err %v, %d writes, mirror rows %v, mirror %+v; want nothing to do",
			err, e.srv.Stats().Writes, mirrorRows(t, cfg.Report), again.Mirror)
	}
}

// 60 of 1,000 missing is over 5%: exit 4 after the upsert phase, nobody
// deactivated, every missing customer named in the report; the dry run
// prints them all.
func TestMirrorMaxMissingStopsBeforeAnyDeactivation(t *testing.T) {
	for _, dry := range []bool{false, true} {
		t.Run(fmt.Sprintf("dry run %v", dry), func(t *testing.T) {
			e := newEnv(t, emulator.Config{})
			seedERP(t, e.srv, 1000, 200)
			in := erpFile(t, 1000, func(i int) bool { return i >= 60 })
			cfg := mirrorConfig(t, e, in, importer.MissingDeactivate, "customerNumber:K*")
			cfg.DryRun = dry
			var stderr bytes.Buffer
			cfg.Stderr = &stderr
			sum, err := importer.Import(context.Background(), cfg)
			if importer.ExitCode(err) != importer.ExitAborted || sum.ExitCode != importer.ExitAborted {
				t.Fatalf("err = %v (exit %d), want exit 4", err, importer.ExitCode(err))
			}
			if e.srv.Stats().Writes != 0 || len(inactive(e.srv.State())) != 0 {
				t.Errorf("%d writes, inactive %v; want none", e.srv.Stats().Writes, inactive(e.srv.State()))
			}
			rows := mirrorRows(t, cfg.Report)
			if len(rows) != 60 || rows[0] != "K0000 skipped" || sum.Mirror.Missing != 60 || !strings.Contains(sum.Mirror.Stopped, "--max-missing 5%") {
				t.Errorf("mirror rows %d (%v…), mirror %+v", len(rows), rows[:min(1, len(rows))], sum.Mirror)
			}
			out := stderr.String()
			if !strings.Contains(out, "60 of 1000 customers in scope are missing") || !strings.Contains(out, "K0000, K0001") {
				t.Errorf("stderr lacks the count and the first keys:\n%s", out)
			}
			if got := strings.Contains(out, "K0059"); got != dry {
				t.Errorf("stderr names the 60th key: %v, want %v (only the dry run lists all):\n%s", got, dry, out)
			}
		})
	}
}

// The dry run predicts the real run row for row; deletion frees nothing: the
// numbers stay reserved, and the re-run writes nothing.
func TestMirrorDeleteAndDryRunPredicts(t *testing.T) {
	e := newEnv(t, emulator.Config{})
	seedERP(t, e.srv, 40, 5)
	in := erpFile(t, 40, dropEvery(20)) // K0000, K0020 missing: 2 of 40 = 5%
	cfg := mirrorConfig(t, e, in, importer.MissingDelete, "customerNumber:K*")
	cfg.DryRun = true
	if _, err := importer.Import(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	if got := mirrorRows(t, cfg.Report); !slices.Equal(got, []string{"K0000 would_delete", "K0020 would_delete"}) || e.srv.Stats().Writes != 0 {
		t.Fatalf("dry run: %v, %d writes", got, e.srv.Stats().Writes)
	}

	cfg.DryRun, cfg.Report = false, filepath.Join(t.TempDir(), "real.csv")
	if _, err := importer.Import(context.Background(), cfg); importer.ExitCode(err) != importer.ExitAborted {
		t.Fatalf("delete without --yes-delete or a confirmation: %v, want exit 4", err)
	}
	asked := 0
	cfg.ConfirmDelete = func(n int, scope string, first []string) bool {
		asked++
		return n == 2 && scope == "customerNumber:K*" && slices.Equal(first, []string{"K0000", "K0020"})
	}
	cfg.Report = filepath.Join(t.TempDir(), "confirmed.csv")
	if _, err := importer.Import(context.Background(), cfg); err != nil || asked != 1 {
		t.Fatalf("confirmed delete: %v (asked %d times)", err, asked)
	}
	if got := mirrorRows(t, cfg.Report); !slices.Equal(got, []string{"K0000 deleted", "K0020 deleted"}) {
		t.Errorf("real run: %v", got)
	}
	st := e.srv.State()
	if len(st.Customers) != 43 || !slices.Equal(st.Deleted, []string{"K0000", "K0020"}) || e.srv.Stats().ByMethod["DELETE"] != 2 {
		t.Errorf("%d customers left, deleted %v", len(st.Customers), st.Deleted)
	}
	e.srv.ResetStats()
	cfg.Report = filepath.Join(t.TempDir(), "again.csv")
	if _, err := importer.Import(context.Background(), cfg); err != nil || e.srv.Stats().Writes != 0 || asked != 1 {
		t.Errorf("re-run: %v, %d writes, asked %d times", err, e.srv.Stats().Writes, asked)
	}
}

// Matching by e-mail, the file's e-mails are the keys; the scope is a mixin.
func TestMirrorByEmailWithMixinScope(t *testing.T) {
	e := newEnv(t, emulator.Config{})
	var cs []emulator.Customer
	for i := range 25 {
		cs = append(cs, emulator.Customer{CustomerNumber: fmt.Sprintf("N%d", i), ContactEmail: fmt.Sprintf("user%d@erp.example", i),
			Active: true, Mixins: map[string]any{"erp": map[string]any{"source": "SAP"}}})
	}
	cs = append(cs, emulator.Customer{CustomerNumber: "SHOP", ContactEmail: "shop@x.example", Active: true})
	if err := e.srv.Seed(cs...); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("contactEmail\n")
	for i := 1; i < 25; i++ {
		fmt.Fprintf(&b, "user%d@erp.example\n", i)
	}
	in := filepath.Join(t.TempDir(), "emails.csv")
	mp := filepath.Join(t.TempDir(), "m.yaml")
	if err := os.WriteFile(in, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(mp, []byte("match: contactEmail\ncustomer:\n  contactEmail: contactEmail\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := mirrorConfig(t, e, in, importer.MissingDeactivate, "mixins.erp.source:SAP")
	cfg.MappingFile = mp
	if _, err := importer.Import(context.Background(), cfg); err != nil {
		t.Fatal(err, reportColumn(t, cfg.Report, "import_message"))
	}
	if got := mirrorRows(t, cfg.Report); !slices.Equal(got, []string{"N0 deactivated"}) || !slices.Equal(inactive(e.srv.State()), []string{"N0"}) {
		t.Errorf("mirror rows %v, inactive %v; want N0 only", got, inactive(e.srv.State()))
	}
}

// A row without a customer number could be any customer: the mirror phase
// touches nobody.
func TestMirrorRefusesRowsWithoutKey(t *testing.T) {
	e := newEnv(t, emulator.Config{})
	seedERP(t, e.srv, 3, 0)
	in := filepath.Join(t.TempDir(), "in.csv")
	data := "customerNumber,contactEmail,firstName,active\nK0000,k0@erp.example,Erp,true\n,k1@erp.example,Erp,true\nK0002,k2@erp.example,Erp,true\n"
	if err := os.WriteFile(in, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := mirrorConfig(t, e, in, importer.MissingDeactivate, "all")
	cfg.MaxMissing = importer.Limit{IsPercent: true, Percent: 100}
	sum, err := importer.Import(context.Background(), cfg)
	if importer.ExitCode(err) != importer.ExitAborted || len(inactive(e.srv.State())) != 0 || !strings.Contains(sum.Mirror.Stopped, "1 input rows have no customerNumber") {
		t.Errorf("err %v, inactive %v, mirror %+v", err, inactive(e.srv.State()), sum.Mirror)
	}
}

// cancelAtPatch cancels ctx when the n-th deactivation starts: a SIGINT in
// the mirror phase.
type cancelAtPatch struct {
	importer.API
	n      int64
	calls  atomic.Int64
	cancel context.CancelFunc
}

func (c *cancelAtPatch) PatchCustomer(ctx context.Context, number string, patch map[string]any) error {
	if c.calls.Add(1) == c.n {
		c.cancel()
	}
	return c.API.PatchCustomer(ctx, number, patch)
}

// Interrupted in the mirror phase, --resume deactivates the rest and reports
// every missing customer once, those done before as the journal has them.
func TestMirrorInterruptThenResume(t *testing.T) {
	e := newEnv(t, emulator.Config{})
	seedERP(t, e.srv, 100, 10)
	in := erpFile(t, 100, dropEvery(25)) // 4 missing
	cfg := mirrorConfig(t, e, in, importer.MissingDeactivate, "customerNumber:K*")
	cfg.Concurrency = 1
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg.Client = &cancelAtPatch{API: e.client, n: 2, cancel: cancel}
	if _, err := importer.Import(ctx, cfg); !errors.Is(err, importer.ErrInterrupted) {
		t.Fatalf("err = %v, want interrupted", err)
	}
	first := mirrorRows(t, cfg.Report)
	if !slices.Equal(first, []string{"K0000 deactivated", "K0025 deactivated", "K0050 skipped", "K0075 skipped"}) {
		t.Fatalf("interrupted mirror rows = %v", first)
	}
	cfg.Client, cfg.Resume = e.client, true
	cfg.Report = filepath.Join(t.TempDir(), "resumed.csv")
	e.srv.ResetStats()
	if _, err := importer.Import(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	want := []string{"K0000 deactivated", "K0025 deactivated", "K0050 deactivated", "K0075 deactivated"}
	if got := mirrorRows(t, cfg.Report); !slices.Equal(got, want) || e.srv.Stats().Writes != 2 {
		t.Errorf("resumed mirror rows = %v after %d writes; want %v after 2", got, e.srv.Stats().Writes, want)
	}
	if got := inactive(e.srv.State()); !slices.Equal(got, []string{"K0000", "K0025", "K0050", "K0075"}) {
		t.Errorf("inactive = %v", got)
	}
}

func TestMinRows(t *testing.T) {
	e := newEnv(t, emulator.Config{})
	in := erpFile(t, 5, func(int) bool { return true })
	cfg := e.config(t, in)
	cfg.MinRows = 6
	if _, err := importer.Import(context.Background(), cfg); !errors.Is(err, importer.ErrTooFewRows) || importer.ExitCode(err) != importer.ExitFatal {
		t.Errorf("err = %v, want ErrTooFewRows (exit 1)", err)
	}
	if e.srv.Stats().Writes != 0 {
		t.Errorf("%d writes before the check", e.srv.Stats().Writes)
	}
	cfg.MinRows = 5
	if _, err := importer.Import(context.Background(), cfg); err != nil {
		t.Errorf("5 rows with --min-rows 5: %v", err)
	}
}

// --mode update-only on a file with 10 unknown customers: 10 skipped, no
// create; create-only leaves existing customers alone. The dry run predicts both.
func TestModes(t *testing.T) {
	for _, tc := range []struct {
		mode        importer.Mode
		wantSkipped int
		msg         string
		creates     int64
	}{
		{importer.ModeUpdateOnly, 10, "not found; mode update-only", 0},
		{importer.ModeCreateOnly, 20, "exists; mode create-only", 10},
		{importer.ModeUpsert, 0, "", 10},
	} {
		t.Run(string(tc.mode), func(t *testing.T) {
			e := newEnv(t, emulator.Config{})
			seedERP(t, e.srv, 20, 0)
			var b strings.Builder
			b.WriteString("customerNumber,contactEmail,firstName,active\n")
			for i := range 30 { // K0000–K0019 exist (K0000 with a new first name), K0020–K0029 do not
				name := "Erp"
				if i == 0 {
					name = "Changed"
				}
				fmt.Fprintf(&b, "%s,k%d@erp.example,%s,true\n", erpNumber(i), i, name)
			}
			in := filepath.Join(t.TempDir(), "in.csv")
			if err := os.WriteFile(in, []byte(b.String()), 0o644); err != nil {
				t.Fatal(err)
			}
			var predicted []string
			for _, dry := range []bool{true, false} {
				cfg := e.config(t, in)
				cfg.Mode, cfg.DryRun = tc.mode, dry
				if _, err := importer.Import(context.Background(), cfg); err != nil {
					t.Fatal(err)
				}
				sts, msgs := reportStatuses(t, cfg.Report), reportColumn(t, cfg.Report, "import_message")
				skipped := 0
				for i, s := range sts {
					if s == "skipped" {
						skipped++
						if msgs[i] != tc.msg {
							t.Errorf("row %d: message %q, want %q", i+2, msgs[i], tc.msg)
						}
					}
				}
				if skipped != tc.wantSkipped {
					t.Errorf("dry run %v: %d skipped, want %d (%v)", dry, skipped, tc.wantSkipped, sts)
				}
				if dry {
					predicted = sts
					continue
				}
				real := map[string]string{"would_create": "created", "would_update": "updated"}
				for i := range sts {
					if want := cmp.Or(real[predicted[i]], predicted[i]); sts[i] != want {
						t.Errorf("row %d: dry run %s, real run %s", i+2, predicted[i], sts[i])
					}
				}
			}
			if got := len(e.srv.State().Customers) - 20; got != int(tc.creates) {
				t.Errorf("%d customers created, want %d", got, tc.creates)
			}
		})
	}
}

// hideFromBatch makes the batch lookup miss every customer, so a create-only
// run POSTs an existing one and meets the 409.
type hideFromBatch struct{ importer.API }

func (h hideFromBatch) FindByNumbers(context.Context, []string, ...string) (emporix.Found, error) {
	return emporix.Found{Complete: true}, nil
}

// A 409 on a create-only create means the customer exists: skipped, untouched.
func TestCreateOnlyConflictSkips(t *testing.T) {
	e := newEnv(t, emulator.Config{})
	seedERP(t, e.srv, 1, 0)
	in := filepath.Join(t.TempDir(), "in.csv")
	if err := os.WriteFile(in, []byte("customerNumber,contactEmail,firstName\nK0000,k0@erp.example,Other\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := e.config(t, in)
	cfg.Mode, cfg.Client = importer.ModeCreateOnly, hideFromBatch{e.client}
	if _, err := importer.Import(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	st, msg := reportStatuses(t, cfg.Report), reportColumn(t, cfg.Report, "import_message")
	if !slices.Equal(st, []string{"skipped"}) || msg[0] != "exists; mode create-only" || e.srv.Stats().ByMethod["PATCH"] != 0 {
		t.Errorf("report %v %v, %d PATCHes", st, msg, e.srv.Stats().ByMethod["PATCH"])
	}
	if e.srv.State().Customers[0].FirstName != "Erp" {
		t.Error("the existing customer was changed")
	}
}

// failPatch refuses the deactivation of one customer.
type failPatch struct {
	importer.API
	number string
}

func (f failPatch) PatchCustomer(ctx context.Context, number string, patch map[string]any) error {
	if number == f.number {
		return errors.New("refused by the test")
	}
	return f.API.PatchCustomer(ctx, number, patch)
}

// A deactivation that fails is a failed mirror row (exit 3), named on
// stderr with its customer; the others are deactivated.
func TestMirrorFailedDeactivation(t *testing.T) {
	e := newEnv(t, emulator.Config{})
	seedERP(t, e.srv, 40, 0)
	in := erpFile(t, 40, dropEvery(20)) // K0000, K0020 missing
	cfg := mirrorConfig(t, e, in, importer.MissingDeactivate, "customerNumber:K*")
	cfg.Client = failPatch{API: e.client, number: "K0020"}
	var stderr bytes.Buffer
	cfg.Stderr = &stderr
	sum, err := importer.Import(context.Background(), cfg)
	if importer.ExitCode(err) != importer.ExitRowsFailed || sum.Counts[report.Failed] != 1 || sum.Counts[report.Deactivated] != 1 {
		t.Fatalf("err %v, counts %v", err, sum.Counts)
	}
	if got := mirrorRows(t, cfg.Report); !slices.Equal(got, []string{"K0000 deactivated", "K0020 failed"}) {
		t.Errorf("mirror rows %v", got)
	}
	if !strings.Contains(stderr.String(), "failed: customer K0020 (not in erp.csv): deactivate: refused by the test") {
		t.Errorf("stderr:\n%s", stderr.String())
	}
	if _, err := os.Stat(strings.TrimSuffix(cfg.Report, ".csv") + ".errors.csv"); !os.IsNotExist(err) {
		t.Errorf("a mirror row went to the errors file (%v)", err)
	}
}

// With an address file, the mirror rows follow the rows of both files, and
// an address row without a key does not stop the mirror.
func TestMirrorWithAddressFile(t *testing.T) {
	e := newEnv(t, emulator.Config{})
	seedERP(t, e.srv, 30, 2)
	in := erpFile(t, 30, func(i int) bool { return i != 3 })
	addr := filepath.Join(t.TempDir(), "addresses.csv")
	data := "customerNumber,address.contactName,address.street,address.zipCode,address.city,address.country\n" +
		"K0001,Erp One,Weg 1,10115,Berlin,DE\n,Nobody,Weg 2,10115,Berlin,DE\n"
	if err := os.WriteFile(addr, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := mirrorConfig(t, e, in, importer.MissingDeactivate, "customerNumber:K*")
	cfg.AddressesFile = addr
	cfg.MaxMissing = importer.Limit{N: 1}
	sum, err := importer.Import(context.Background(), cfg)
	if importer.ExitCode(err) != importer.ExitRowsFailed { // the address row without a key is invalid
		t.Fatalf("err = %v, counts %v", err, sum.Counts)
	}
	sts := reportStatuses(t, cfg.Report)
	if len(sts) != 29+2+1 || sts[len(sts)-1] != "deactivated" || !slices.Equal(mirrorRows(t, cfg.Report), []string{"K0003 deactivated"}) {
		t.Errorf("report statuses %v, mirror rows %v", sts, mirrorRows(t, cfg.Report))
	}
	if got := inactive(e.srv.State()); !slices.Equal(got, []string{"K0003"}) {
		t.Errorf("inactive = %v", got)
	}
}
