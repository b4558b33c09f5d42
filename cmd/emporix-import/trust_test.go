package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/emporix-import/emporix-import/emporix"
	"github.com/emporix-import/emporix-import/emulator"
	"github.com/emporix-import/emporix-import/importer"
	"github.com/emporix-import/emporix-import/internal/runlock"
)

func writeInput(t *testing.T, lines ...string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "erp.csv")
	if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const trustHeader = "customerNumber,contactEmail,firstName,lastName,company,b2b.companyRegistrationId,address.contactName,address.street,address.streetNumber,address.zipCode,address.city,address.country,address.tags"

// A new address on a customer whose profile is unchanged is a write: the row
// is updated and says address.create, in the dry run and the real run alike.
func TestNewAddressIsReportedAsUpdate(t *testing.T) {
	ten := newTenant(t, emulator.Config{})
	api := apiClient(t, ten)
	if _, err := api.CreateCustomer(context.Background(), &emporix.Customer{ID: "C1001", ContactEmail: "a@example.com", FirstName: "Anna"}, false); err != nil {
		t.Fatal(err)
	}
	in := writeInput(t, trustHeader, "C1001,a@example.com,Anna,,,,Anna S,Torstraße,1,10119,Berlin,DE,BILLING")
	dir := t.TempDir()
	for _, mode := range []string{"--dry-run", "--quiet"} {
		rep := filepath.Join(dir, strings.TrimLeft(mode, "-")+".csv")
		if code, stderr := cli(t, "import", in, mode, "--report", rep); code != 0 {
			t.Fatalf("%s: exit %d: %s", mode, code, stderr)
		}
		row := readReport(t, rep)[0]
		want := map[string]string{"--dry-run": "would_update", "--quiet": "updated"}[mode]
		if row["import_status"] != want || row["import_changes"] != `address.create: "Anna S, Torstraße 1, 10119 Berlin, DE"` {
			t.Errorf("%s: %s %q", mode, row["import_status"], row["import_changes"])
		}
	}
}

// Failures knowable before writing are invalid in the dry run and the real
// run, and in validate where the file alone proves them.
func TestKnowableFailuresAreInvalidEverywhere(t *testing.T) {
	ten := newTenant(t, emulator.Config{})
	in := writeInput(t, trustHeader+",address.isDefault",
		"C1,,Anna,Lee,,,,,,,,,,",                          // new customer without e-mail
		"C2,b@example.com,Bob,,,ATU1,,,,,,,,",             // B2B without lastName and company
		"C3,c@example.com,Cleo,,,,Cleo,,,,,,BILLING,true", // only a name, tags, isDefault: not an address
	)
	dir := t.TempDir()
	dry, real := filepath.Join(dir, "dry.csv"), filepath.Join(dir, "real.csv")
	cli(t, "import", in, "--dry-run", "--quiet", "--report", dry)
	cli(t, "import", in, "--quiet", "--report", real)
	if got, want := statuses(readReport(t, dry)), "2:invalid 3:invalid 4:would_create"; got != want {
		t.Errorf("dry run %s, want %s", got, want)
	}
	if got, want := statuses(readReport(t, real)), "2:invalid 3:invalid 4:created"; got != want {
		t.Errorf("real run %s, want %s", got, want)
	}
	for _, c := range ten.State().Customers {
		if len(c.Addresses) != 0 {
			t.Errorf("%s got an address from a block without street, city or country: %+v", c.CustomerNumber, c.Addresses)
		}
	}
	clears := writeInput(t, "customerNumber,contactEmail,lastName,b2b.companyRegistrationId", "C5,e@example.com,#clear,ATU5")
	m := filepath.Join(t.TempDir(), "m.yaml")
	if err := os.WriteFile(m, []byte("clear_token: \"#clear\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rep := filepath.Join(dir, "validate.csv")
	if code, _ := cli(t, "validate", clears, "--mapping", m, "--quiet", "--report", rep); code != importer.ExitRowsFailed {
		t.Errorf("validate exit %d, want 3", code)
	}
	if row := readReport(t, rep)[0]; row["import_status"] != "invalid" || !strings.Contains(row["import_message"], "lastName") {
		t.Errorf("validate: %v", row)
	}
}

// racingLookup hides existing customers from every lookup: a create then
// meets a customer that exists after all.
type racingLookup struct{ http.Handler }

func (h racingLookup) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/customers") && !strings.HasSuffix(r.URL.Path, "/addresses") {
		if r.URL.Query().Get("q") != "" {
			w.Header().Set("Count", "0")
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte("[]"))
			return
		}
	}
	h.Handler.ServeHTTP(w, r)
}

// A create never overwrites: with the lookup forced to miss, the POST (with
// id) meets a 409, the customer is read and updated; unmapped fields stay.
func TestCreateRacingAnExistingCustomerUpdatesIt(t *testing.T) {
	srv := emulator.New(emulator.Config{})
	api := apiClient(t, serveTenant(t, srv, racingLookup{srv}))
	if _, err := api.CreateCustomer(context.Background(), &emporix.Customer{ID: "C1", ContactEmail: "a@example.com",
		FirstName: "Jon", Company: "Keep GmbH", ContactPhone: "+49 1"}, false); err != nil {
		t.Fatal(err)
	}
	srv.ResetStats()
	in := writeInput(t, "customerNumber,contactEmail,firstName", "C1,a@example.com,John")
	rep := filepath.Join(t.TempDir(), "r.csv")
	var stderr bytes.Buffer
	code := run(context.Background(), []string{"import", in, "--debug", "--report", rep}, &bytes.Buffer{}, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if strings.Contains(stderr.String(), "PUT") || srv.Stats().ByMethod["PUT"] != 0 {
		t.Errorf("a PUT was sent:\n%s", stderr.String())
	}
	row := readReport(t, rep)[0]
	if row["import_status"] != "updated" || row["import_changes"] != `firstName: "Jon" → "John"` {
		t.Errorf("row: %s %q %s", row["import_status"], row["import_changes"], row["import_message"])
	}
	c := srv.State().Customers[0]
	if c.FirstName != "John" || c.Company != "Keep GmbH" || c.ContactPhone != "+49 1" {
		t.Errorf("customer after the race: %+v", c)
	}
}

func TestSecondRunIntoTheTenantExits1(t *testing.T) {
	ten := newTenant(t, emulator.Config{})
	started := time.Date(2026, 11, 30, 2, 0, 3, 0, time.UTC)
	lock, err := runlock.Acquire(runlock.Dir(), ten.url, ten.Config().Tenant, runlock.Holder{PID: 4711, Started: started, Input: "erp.csv"})
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Release()
	ten.ResetStats()
	for _, mode := range []string{"--quiet", "--dry-run"} {
		code, stderr := cli(t, "import", filepath.Join("testdata", "small.csv"), mode, "--report", filepath.Join(t.TempDir(), "r.csv"))
		want := fmt.Sprintf(`another import into tenant %q is running (pid 4711, started 02:00:03 UTC, input erp.csv)`, ten.Config().Tenant)
		if code != importer.ExitFatal || !strings.Contains(stderr, want) {
			t.Errorf("%s: exit %d, stderr %q", mode, code, stderr)
		}
	}
	if n := ten.Stats().Requests; n != 0 {
		t.Errorf("the second run made %d requests before giving up", n)
	}
}

func TestGuards(t *testing.T) {
	t.Run("header only exits 1 unless --allow-empty", func(t *testing.T) {
		newTenant(t, emulator.Config{})
		in := writeInput(t, trustHeader)
		for _, cmd := range []string{"import", "validate"} {
			code, stderr := cli(t, cmd, in, "--quiet", "--report", filepath.Join(t.TempDir(), "r.csv"))
			if code != importer.ExitFatal || !strings.Contains(stderr, "no data rows in "+in) {
				t.Errorf("%s: exit %d: %s", cmd, code, stderr)
			}
			if code, stderr := cli(t, cmd, in, "--quiet", "--allow-empty", "--report", filepath.Join(t.TempDir(), "r.csv")); code != 0 {
				t.Errorf("%s --allow-empty: exit %d: %s", cmd, code, stderr)
			}
		}
	})
	t.Run("blank address cells never delete; --max-deletes stops at the cap", func(t *testing.T) {
		ten := newTenant(t, emulator.Config{})
		api := apiClient(t, ten)
		ctx := context.Background()
		var rows []string
		for i := 1; i <= 4; i++ {
			n := fmt.Sprintf("C%d", i)
			if _, err := api.CreateCustomer(ctx, &emporix.Customer{ID: n, ContactEmail: n + "@example.com"}, false); err != nil {
				t.Fatal(err)
			}
			for _, street := range []string{"Old 1", "Old 2"} {
				if _, err := api.AddAddress(ctx, n, &emporix.Address{ContactName: "X", Street: street, City: "Y", Country: "DE"}); err != nil {
					t.Fatal(err)
				}
			}
			rows = append(rows, n+","+n+"@example.com,,,,,X,New,1,,Y,DE,")
		}
		blank := writeInput(t, trustHeader, "C1,c1@example.com,,,,,,,,,,,")
		if code, stderr := cli(t, "import", blank, "--quiet", "--addresses", "replace", "--report", filepath.Join(t.TempDir(), "b.csv")); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if n := ten.Stats().ByMethod["DELETE"]; n != 0 {
			t.Fatalf("blank address cells deleted %d addresses", n)
		}
		in := writeInput(t, append([]string{trustHeader}, rows...)...)
		dir := t.TempDir()
		code, stderr := cli(t, "import", in, "--dry-run", "--addresses", "replace", "--max-deletes", "3", "--report", filepath.Join(dir, "d.csv"))
		if code != 0 || !strings.Contains(stderr, "8 address deletions planned") {
			t.Errorf("dry run: exit %d: %s", code, stderr)
		}
		ten.ResetStats()
		code, stderr = cli(t, "import", in, "--quiet", "--concurrency", "1", "--addresses", "replace", "--max-deletes", "3", "--report", filepath.Join(dir, "r.csv"))
		if code != importer.ExitAborted || !strings.Contains(stderr, "--resume") {
			t.Errorf("exit %d, want 4 with the resume command: %s", code, stderr)
		}
		if n := ten.Stats().ByMethod["DELETE"]; n > 3 || n == 0 {
			t.Errorf("%d deletions with --max-deletes 3", n)
		}
	})
	t.Run("--max-errors 5% judged after 100 rows", func(t *testing.T) {
		newTenant(t, emulator.Config{})
		lines := []string{trustHeader}
		for i := range 200 {
			email := fmt.Sprintf("c%d@example.com", i)
			if i%10 == 0 {
				email = "broken"
			}
			lines = append(lines, fmt.Sprintf("C%d,%s,,,,,,,,,,,", i, email))
		}
		in := writeInput(t, lines...)
		code, stderr := cli(t, "import", in, "--quiet", "--rate", "0", "--max-errors", "5%", "--report", filepath.Join(t.TempDir(), "r.csv"))
		if code != importer.ExitAborted || !strings.Contains(stderr, "5%") {
			t.Errorf("exit %d: %s", code, stderr)
		}
		if code, _ := cli(t, "import", in, "--max-errors", "five"); code != importer.ExitUsage {
			t.Errorf("--max-errors five: exit %d, want 2", code)
		}
	})
}

func TestDefaultReportNamesNeverCollide(t *testing.T) {
	newTenant(t, emulator.Config{})
	t.Chdir(t.TempDir())
	in := writeInput(t, trustHeader, "C1,a@example.com,,,,,,,,,,,")
	for range 2 {
		if code, stderr := cli(t, "validate", in, "--quiet"); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
	}
	files, _ := filepath.Glob("reports/erp-*.csv")
	if len(files) != 2 {
		t.Errorf("reports %v, want two distinct", files)
	}
}

// hang answers the connection check, then never answers customer requests.
type hang struct {
	http.Handler
	calls atomic.Int64
}

func (h *hang) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.Contains(r.URL.Path, "/customers") && h.calls.Add(1) > 1 {
		<-r.Context().Done()
		return
	}
	h.Handler.ServeHTTP(w, r)
}

// After SIGINT, work in flight gets --shutdown-timeout, then its requests
// are cancelled: exit 130, a complete report, the resume command.
func TestShutdownIsBounded(t *testing.T) {
	srv := emulator.New(emulator.Config{})
	h := &hang{Handler: srv}
	serveTenant(t, srv, h)
	ctx, cancel := context.WithCancel(context.Background())
	rep := filepath.Join(t.TempDir(), "r.csv")
	done := make(chan int)
	var stderr bytes.Buffer
	go func() {
		done <- run(ctx, []string{"import", filepath.Join("testdata", "small.csv"), "--quiet", "--shutdown-timeout", "50ms", "--report", rep}, &bytes.Buffer{}, &stderr)
	}()
	for h.calls.Load() < 2 {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	code := <-done
	if code != importer.ExitInterrupted || !strings.Contains(stderr.String(), "to continue: emporix-import import") ||
		!strings.Contains(stderr.String(), "--resume") {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	rows := readReport(t, rep)
	if len(rows) != 5 {
		t.Errorf("report has %d rows, want 5", len(rows))
	}
}

// A signal during the connection check is an interruption (130), not a failure.
func TestSignalDuringConnectionCheck(t *testing.T) {
	srv := emulator.New(emulator.Config{})
	started := make(chan struct{}, 1)
	serveTenant(t, srv, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "/customers") {
			started <- struct{}{}
			<-r.Context().Done()
			return
		}
		srv.ServeHTTP(w, r)
	}))
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-started; cancel() }()
	rep := filepath.Join(t.TempDir(), "r.csv")
	if code := run(ctx, []string{"import", filepath.Join("testdata", "small.csv"), "--quiet", "--report", rep}, &bytes.Buffer{}, &bytes.Buffer{}); code != importer.ExitInterrupted {
		t.Errorf("exit %d, want 130", code)
	}
	if _, err := os.Stat(rep); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a report was left behind: %v", err)
	}
}

// Exit 2 only for typed usage errors: an error that merely reads like one
// (EINVAL's "invalid argument") is fatal, and --summary-json agrees.
func TestExitCodeNeverFromErrorText(t *testing.T) {
	newTenant(t, emulator.Config{})
	dir := t.TempDir()
	bad := filepath.Join(dir, "report\x00.csv")
	sum := filepath.Join(dir, "s.json")
	code, _ := cli(t, "validate", filepath.Join("testdata", "small.csv"), "--quiet", "--report", bad, "--summary-json", sum)
	if code != importer.ExitFatal {
		t.Errorf("exit %d, want 1", code)
	}
	var s struct {
		ExitCode int `json:"exit_code"`
	}
	if b, err := os.ReadFile(sum); err != nil || json.Unmarshal(b, &s) != nil || s.ExitCode != code {
		t.Errorf("summary %+v (%v) disagrees with exit %d", s, err, code)
	}
	for _, args := range [][]string{{"imprt"}, {"import"}, {"import", "a", "b"}, {"import", "x", "--concurrency", "x"}, {"import", "x", "--nope"}} {
		if code, _ := cli(t, args...); code != importer.ExitUsage {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
	_ = syscall.EINVAL
}

func TestHelpShowsTheNewFlags(t *testing.T) {
	var out bytes.Buffer
	run(context.Background(), []string{"import", "--help"}, &out, &out)
	for _, f := range []string{"--max-deletes", "--allow-empty", "--shutdown-timeout", "--max-errors", "EXIT STATUS"} {
		if !strings.Contains(out.String(), f) {
			t.Errorf("import --help lacks %s", f)
		}
	}
}
