package importer_test

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/emporix-import/emporix-import/emporix"
	"github.com/emporix-import/emporix-import/emulator"
	"github.com/emporix-import/emporix-import/importer"
)

// TestKillHelper is the child process of TestKill9ReChecksAtMostInFlightPlusOneCommit.
func TestKillHelper(t *testing.T) {
	if os.Getenv("KILL_HELPER_URL") == "" {
		t.Skip("child process of TestKill9ReChecksAtMostInFlightPlusOneCommit")
	}
	client, err := emporix.New(emporix.Config{BaseURL: os.Getenv("KILL_HELPER_URL"), Tenant: os.Getenv("KILL_HELPER_TENANT"),
		ClientID: os.Getenv("KILL_HELPER_ID"), ClientSecret: os.Getenv("KILL_HELPER_SECRET")})
	if err != nil {
		t.Fatal(err)
	}
	conc, _ := strconv.Atoi(os.Getenv("KILL_HELPER_CONCURRENCY"))
	_, err = importer.Import(context.Background(), importer.Config{
		Input: os.Getenv("KILL_HELPER_INPUT"), Report: os.Getenv("KILL_HELPER_REPORT"), Quiet: true,
		Client: client, Concurrency: conc, JournalDir: os.Getenv("KILL_HELPER_JOURNAL"),
		Activate: os.Getenv("KILL_HELPER_ACTIVATE") != "",
		// Commits by count only: the bound below is then exact, whatever the timing.
		JournalCommitInterval: time.Hour,
	})
	t.Fatalf("the import was not killed: %v", err)
}

// A kill -9 in the middle of an import loses at most the customers in flight
// plus one commit interval (256 customers here, the interval being an hour):
// every customer the tenant holds beyond those is in the journal, and
// --resume completes the import without duplicates.
func TestKill9ReChecksAtMostInFlightPlusOneCommit(t *testing.T) {
	const n, killAt, conc, commitEvery = 700, 450, 8, 256
	srv := emulator.New(emulator.Config{})
	var creates atomic.Int64
	var child atomic.Int64 // pid
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/customer/"+srv.Config().Tenant+"/customers" &&
			creates.Add(1) == killAt {
			syscall.Kill(int(child.Load()), syscall.SIGKILL)
		}
		srv.ServeHTTP(w, r)
	}))
	defer hs.Close()
	dir := t.TempDir()
	input := writeCustomers(t, dir, n)
	jdir := filepath.Join(dir, "journal")
	c := srv.Config()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKillHelper$", "-test.count=1")
	cmd.Env = append(os.Environ(), "KILL_HELPER_URL="+hs.URL, "KILL_HELPER_TENANT="+c.Tenant, "KILL_HELPER_ID="+c.ClientID,
		"KILL_HELPER_SECRET="+c.ClientSecret, "KILL_HELPER_INPUT="+input, "KILL_HELPER_JOURNAL="+jdir,
		"KILL_HELPER_REPORT="+filepath.Join(dir, "killed.csv"), "KILL_HELPER_CONCURRENCY="+strconv.Itoa(conc))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	child.Store(int64(cmd.Process.Pid))
	err := cmd.Wait()
	if st, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !st.Signaled() || st.Signal() != syscall.SIGKILL {
		t.Fatalf("child not killed by SIGKILL: %v", err)
	}

	inTenant := len(srv.State().Customers)
	journalled := countJournalLines(t, jdir) - 1 // the header
	t.Logf("killed after %d creates: %d customers in the tenant, %d journalled", killAt, inTenant, journalled)
	if lost := inTenant - journalled; lost < 0 || lost > conc+commitEvery {
		t.Fatalf("%d customers written but not journalled; the bound is %d in flight + %d per commit", lost, conc, commitEvery)
	}

	e := &env{srv: srv}
	e.client, err = emporix.New(emporix.Config{BaseURL: hs.URL, Tenant: c.Tenant, ClientID: c.ClientID, ClientSecret: c.ClientSecret})
	if err != nil {
		t.Fatal(err)
	}
	cfg := e.config(t, input)
	cfg.JournalDir, cfg.Resume = jdir, true
	if _, err := importer.Import(context.Background(), cfg); err != nil {
		t.Fatalf("resume: %v", err)
	}
	if got := len(srv.State().Customers); got != n {
		t.Errorf("%d customers after resume, want %d", got, n)
	}
	checkNoDuplicates(t, srv.State())
	statuses := reportStatuses(t, cfg.Report)
	unchanged := 0
	for _, s := range statuses {
		if s == "unchanged" {
			unchanged++ // written before the kill, not journalled: re-checked
		}
	}
	if len(statuses) != n || unchanged > conc+commitEvery {
		t.Errorf("%d report rows (want %d), %d re-checked as unchanged", len(statuses), n, unchanged)
	}
}

func countJournalLines(t *testing.T, dir string) int {
	t.Helper()
	all, _ := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	var files []string
	for _, f := range all {
		if !strings.HasSuffix(f, ".bulk.jsonl") { // the creates' log beside the journal
			files = append(files, f)
		}
	}
	if len(files) != 1 {
		t.Fatalf("journals: %v", files)
	}
	f, err := os.Open(files[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		n++
	}
	return n
}

// killedImport runs an --activate import of input at concurrency 1 in a
// child process through handler, which kills the child (see killChild).
func killedImport(t *testing.T, srv *emulator.Server, input, jdir string, handler func(killChild func(), w http.ResponseWriter, r *http.Request) bool) *httptest.Server {
	t.Helper()
	var child atomic.Int64 // pid
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if pid := child.Load(); pid != 0 && handler(func() { syscall.Kill(int(pid), syscall.SIGKILL) }, w, r) {
			return
		}
		srv.ServeHTTP(w, r)
	}))
	t.Cleanup(hs.Close)
	c := srv.Config()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKillHelper$", "-test.count=1")
	cmd.Env = append(os.Environ(), "KILL_HELPER_URL="+hs.URL, "KILL_HELPER_TENANT="+c.Tenant, "KILL_HELPER_ID="+c.ClientID,
		"KILL_HELPER_SECRET="+c.ClientSecret, "KILL_HELPER_INPUT="+input, "KILL_HELPER_JOURNAL="+jdir,
		"KILL_HELPER_REPORT="+filepath.Join(t.TempDir(), "killed.csv"), "KILL_HELPER_CONCURRENCY=1", "KILL_HELPER_ACTIVATE=1")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	child.Store(int64(cmd.Process.Pid))
	err := cmd.Wait()
	child.Store(0)
	if st, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !st.Signaled() || st.Signal() != syscall.SIGKILL {
		t.Fatalf("child not killed by SIGKILL: %v", err)
	}
	return hs
}

// resumeActivate resumes the killed import with --activate and returns its report.
func resumeActivate(t *testing.T, srv *emulator.Server, hs *httptest.Server, input, jdir string) string {
	t.Helper()
	c := srv.Config()
	e := &env{srv: srv}
	var err error
	if e.client, err = emporix.New(emporix.Config{BaseURL: hs.URL, Tenant: c.Tenant, ClientID: c.ClientID, ClientSecret: c.ClientSecret}); err != nil {
		t.Fatal(err)
	}
	cfg := e.config(t, input)
	cfg.JournalDir, cfg.Resume, cfg.Activate = jdir, true, true
	if _, err := importer.Import(context.Background(), cfg); err != nil {
		t.Fatalf("resume: %v", err)
	}
	return cfg.Report
}

// A kill -9 between a customer's create and its --activate PATCH: the create
// is in the batch log, so --resume reports the customer created and activates
// it, ending exactly like an uninterrupted run.
func TestKill9BetweenCreateAndActivationResumesAsCreated(t *testing.T) {
	const n = 3
	dir := t.TempDir()
	input := writeCustomers(t, dir, n)

	// The reference: one uninterrupted run.
	ref := newEnv(t, emulator.Config{})
	refCfg := ref.config(t, input)
	refCfg.Activate, refCfg.JournalDir = true, filepath.Join(dir, "ref-journal")
	if _, err := importer.Import(context.Background(), refCfg); err != nil {
		t.Fatal(err)
	}

	srv := emulator.New(emulator.Config{})
	jdir := filepath.Join(dir, "journal")
	var killed atomic.Bool
	hs := killedImport(t, srv, input, jdir, func(kill func(), w http.ResponseWriter, r *http.Request) bool {
		if r.Method != http.MethodPatch || killed.Swap(true) {
			return false
		}
		kill() // the first activation PATCH never arrives
		http.Error(w, "killed", http.StatusServiceUnavailable)
		return true
	})
	before := srv.State().Customers
	if len(before) != 1 || before[0].Active {
		t.Fatalf("after the kill the tenant holds %+v, want one inactive customer", before)
	}

	report := resumeActivate(t, srv, hs, input, jdir)
	got, want := srv.State().Customers, ref.srv.State().Customers
	if len(got) != len(want) {
		t.Fatalf("%d customers after resume, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].CustomerNumber != want[i].CustomerNumber || got[i].Active != want[i].Active || got[i].OnHold != want[i].OnHold {
			t.Errorf("customer %s active=%v onHold=%v, uninterrupted run: %s active=%v onHold=%v", got[i].CustomerNumber,
				got[i].Active, got[i].OnHold, want[i].CustomerNumber, want[i].Active, want[i].OnHold)
		}
		if !want[i].Active || want[i].OnHold {
			t.Errorf("uninterrupted run: %s active=%v onHold=%v", want[i].CustomerNumber, want[i].Active, want[i].OnHold)
		}
	}
	if st, ref := reportStatuses(t, report), reportStatuses(t, refCfg.Report); strings.Join(st, ",") != strings.Join(ref, ",") {
		t.Errorf("resumed report statuses %v, uninterrupted run %v", st, ref)
	}
	if ch := reportColumn(t, report, "import_changes"); !strings.Contains(ch[0], "customer.create") {
		t.Errorf("changes of the customer created before the kill: %q", ch[0])
	}
}

// A kill -9 after the creates were logged ahead but before any was sent,
// and a customer with one of their numbers created elsewhere (with other
// data) before the --resume: the resume does not take it for its own. It is
// updated like any existing customer, not reported created, not activated.
func TestResumeDoesNotAdoptACustomerCreatedElsewhere(t *testing.T) {
	dir := t.TempDir()
	input := writeCustomers(t, dir, 3)
	srv := emulator.New(emulator.Config{})
	jdir := filepath.Join(dir, "journal")
	hs := killedImport(t, srv, input, jdir, func(kill func(), w http.ResponseWriter, r *http.Request) bool {
		if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/customers") {
			return false
		}
		kill() // the first create never arrives
		http.Error(w, "killed", http.StatusServiceUnavailable)
		return true
	})
	if n := len(srv.State().Customers); n != 0 {
		t.Fatalf("%d customers after the kill, want none", n)
	}
	if err := srv.Seed(emulator.Customer{CustomerNumber: "C00000", ContactEmail: "c00000@example.com",
		FirstName: "Someone", LastName: "Else"}); err != nil {
		t.Fatal(err)
	}

	report := resumeActivate(t, srv, hs, input, jdir)
	st := srv.State().Customers
	if st[0].CustomerNumber != "C00000" || st[0].Active || st[0].FirstName != "First 0" {
		t.Errorf("the customer created elsewhere is %+v: want it updated from the file and not activated", st[0])
	}
	if got := reportStatuses(t, report); got[0] != "updated" || got[1] != "created" || got[2] != "created" {
		t.Errorf("resumed report statuses %v, want updated, created, created", got)
	}
}

// A create answered 409 (the customer existed, though the lookup before it
// missed it) is recorded as such: --resume after a kill neither reports that
// customer created nor activates it.
func TestKill9AfterCreateConflictResumesAsExisting(t *testing.T) {
	dir := t.TempDir()
	input := writeCustomers(t, dir, 3)
	srv := emulator.New(emulator.Config{})
	if err := srv.Seed(emulator.Customer{CustomerNumber: "C00000", ContactEmail: "c00000@example.com",
		FirstName: "First 0", LastName: "Last 0"}); err != nil {
		t.Fatal(err)
	}
	jdir := filepath.Join(dir, "journal")
	var killed atomic.Bool
	hs := killedImport(t, srv, input, jdir, func(kill func(), w http.ResponseWriter, r *http.Request) bool {
		switch {
		case r.Method == http.MethodGet && strings.Contains(r.URL.String(), "C00000"):
			http.NotFound(w, r) // the lookups miss it: the create gets the 409
			return true
		case r.Method == http.MethodPatch && !killed.Swap(true):
			kill() // at C00001's activation: C00000 is not journalled
			http.Error(w, "killed", http.StatusServiceUnavailable)
			return true
		}
		return false
	})
	if !killed.Load() {
		t.Fatal("the child never reached an activation")
	}

	report := resumeActivate(t, srv, hs, input, jdir)
	st := srv.State().Customers
	if st[0].CustomerNumber != "C00000" || st[0].Active {
		t.Errorf("the customer that existed is %s active=%v; --activate must leave it alone", st[0].CustomerNumber, st[0].Active)
	}
	if got := reportStatuses(t, report); got[0] == "created" || got[1] != "created" {
		t.Errorf("resumed report statuses %v: the existing customer is not created, the next one is", got)
	}
}
