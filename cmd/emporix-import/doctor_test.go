package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emporix-import/emporix-import/emporix"
	"github.com/emporix-import/emporix-import/emulator"
	"github.com/emporix-import/emporix-import/internal/runlock"
)

// recordingTenant serves an emulator and records every request line, so a
// test can prove what doctor sent.
type recordingTenant struct {
	*emulator.Server
	url  string
	mu   sync.Mutex
	seen []string // "METHOD /path"
}

func newRecordingTenant(t *testing.T, cfg emulator.Config) *recordingTenant {
	t.Helper()
	rt := &recordingTenant{Server: emulator.New(cfg)}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rt.mu.Lock()
		rt.seen = append(rt.seen, r.Method+" "+r.URL.Path)
		rt.mu.Unlock()
		rt.ServeHTTP(w, r)
	}))
	t.Cleanup(hs.Close)
	rt.url = hs.URL
	return rt
}

func (rt *recordingTenant) requests() []string {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return append([]string(nil), rt.seen...)
}

type doctorRun struct {
	code   int
	out    string
	stderr string
	rep    doctorReport
}

// runDoctor runs doctor --json against rt with the emulator's default
// credentials (secret via env) plus args.
func runDoctor(t *testing.T, rt *recordingTenant, secret string, args ...string) doctorRun {
	t.Helper()
	isolateConfig(t)
	def := emulator.DefaultConfig()
	t.Setenv("EMPORIX_CLIENT_SECRET", secret)
	base := []string{"doctor", "--json", "--api-url", rt.url, "--tenant", def.Tenant, "--client-id", def.ClientID,
		"--report", filepath.Join(t.TempDir(), "reports", "r.csv")}
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), append(base, args...), &stdout, &stderr)
	r := doctorRun{code: code, out: stdout.String(), stderr: stderr.String()}
	if err := json.Unmarshal(stdout.Bytes(), &r.rep); err != nil {
		t.Fatalf("doctor --json output: %v\n%s", err, stdout.String())
	}
	return r
}

// status returns "name=status" for every check; scope checks carry their scope.
func (r doctorRun) statuses() map[string]string {
	m := map[string]string{}
	for _, c := range r.rep.Checks {
		name := c.Name
		if name == "scope" {
			name += " " + strings.SplitN(c.Detail, ":", 2)[0]
		}
		m[name] = c.Status
	}
	return m
}

func (r doctorRun) check(t *testing.T, name string) checkResult {
	t.Helper()
	for _, c := range r.rep.Checks {
		if c.Name == name || c.Name == "scope" && strings.HasPrefix(c.Detail, strings.TrimPrefix(name, "scope ")+":") {
			return c
		}
	}
	t.Fatalf("no check %q in %s", name, r.out)
	return checkResult{}
}

// assertReadOnly fails on any request other than a token request or a GET.
func assertReadOnly(t *testing.T, rt *recordingTenant) (gets int) {
	t.Helper()
	for _, req := range rt.requests() {
		switch {
		case req == "POST /oauth/token":
		case strings.HasPrefix(req, "GET "):
			gets++
		default:
			t.Errorf("doctor sent a write: %s", req)
		}
	}
	if st := rt.Stats(); st.Writes != 0 || st.Applied != 0 {
		t.Errorf("emulator counted %d writes, %d applied", st.Writes, st.Applied)
	}
	return gets
}

func TestDoctorAllGood(t *testing.T) {
	rt := newRecordingTenant(t, emulator.Config{})
	r := runDoctor(t, rt, emulator.DefaultConfig().ClientSecret, "--input", "testdata/by-email.csv", "--mapping", "testdata/by-email.yaml")
	if r.code != exitOK || !r.rep.OK {
		t.Fatalf("exit %d, ok=%v:\n%s%s", r.code, r.rep.OK, r.out, r.stderr)
	}
	want := []string{"settings", "url", "reach", "token", "scope customer.customer_read", "scope customer.customer_manage",
		"mapping", "input", "report dir", "journal", "lock", "probe"}
	st := r.statuses()
	if len(st) != len(want) {
		t.Errorf("checks %v, want %v", st, want)
	}
	for i, name := range want {
		if st[name] != checkOK {
			t.Errorf("%s: %s, want ok (%+v)", name, st[name], r.check(t, name))
		}
		if got := r.rep.Checks[i].Name; !strings.HasPrefix(name, got) {
			t.Errorf("check %d is %s, want %s (order)", i, got, name)
		}
	}
	s := r.rep.Suggested
	if s == nil || s.Rate < 1 || s.Concurrency < 2 || s.Concurrency > 32 || s.Throttled != 0 {
		t.Errorf("suggestion %+v", s)
	}
	if gets := assertReadOnly(t, rt); gets > 1+probeSequential+probeBurst {
		t.Errorf("%d reads, want at most %d (one scope confirmation + the probe)", gets, 1+probeSequential+probeBurst)
	}
}

func TestDoctorWrongSecret(t *testing.T) {
	rt := newRecordingTenant(t, emulator.Config{})
	const wrong = "wr0ng-s3cret-value"
	r := runDoctor(t, rt, wrong)
	if r.code != exitFatal || r.rep.OK {
		t.Fatalf("exit %d, want 1:\n%s", r.code, r.out)
	}
	tok := r.check(t, "token")
	if tok.Status != checkFail || !strings.Contains(tok.Detail, "client id or client secret refused") ||
		!strings.Contains(tok.Detail, "invalid_client") || tok.Fix == "" {
		t.Errorf("token check %+v", tok)
	}
	if st := r.check(t, "scope customer.customer_read").Status; st != checkSkip {
		t.Errorf("read scope after a refused token: %s, want skip", st)
	}
	if strings.Contains(r.out+r.stderr, wrong) {
		t.Error("the secret appears in doctor's output")
	}
	assertReadOnly(t, rt)
}

// TestDoctorMissingManageScope uses the emulator's per-client scopes
// (emulator.Config.Scopes): the client holds only the read scope.
func TestDoctorMissingManageScope(t *testing.T) {
	rt := newRecordingTenant(t, emulator.Config{Scopes: []string{emulator.ScopeCustomerRead}})
	r := runDoctor(t, rt, emulator.DefaultConfig().ClientSecret)
	if r.code != exitFatal {
		t.Fatalf("exit %d, want 1:\n%s", r.code, r.out)
	}
	st := r.statuses()
	if st["scope customer.customer_read"] != checkOK || st["scope customer.customer_manage"] != checkFail {
		t.Errorf("scopes: %v", st)
	}
	if fix := r.check(t, "scope customer.customer_manage").Fix; !strings.Contains(fix, "assign customer.customer_manage") {
		t.Errorf("fix %q", fix)
	}
	assertReadOnly(t, rt)
}

func TestDoctorMissingReadScope(t *testing.T) {
	rt := newRecordingTenant(t, emulator.Config{Scopes: []string{emulator.ScopeCustomerManage}})
	r := runDoctor(t, rt, emulator.DefaultConfig().ClientSecret)
	if st := r.statuses(); r.code != exitFatal || st["scope customer.customer_read"] != checkFail {
		t.Fatalf("exit %d, scopes %v", r.code, st)
	}
	assertReadOnly(t, rt)
}

func TestDoctorThrottledProbe(t *testing.T) {
	rt := newRecordingTenant(t, emulator.Config{Rate: 10})
	rt.SetFaults(10, 0, 0)
	r := runDoctor(t, rt, emulator.DefaultConfig().ClientSecret)
	s := r.rep.Suggested
	if s == nil || s.Throttled == 0 || s.Rate > 10 {
		t.Fatalf("throttled tenant (10 req/s): suggestion %+v\n%s", s, r.out)
	}
}

func TestDoctorLocalFailures(t *testing.T) {
	rt := newRecordingTenant(t, emulator.Config{})
	dir := t.TempDir()
	badMap := filepath.Join(dir, "m.yaml")
	writeFile(t, badMap, "customer:\n  nosuchfield: X\n", 0o600)
	input := filepath.Join(dir, "in.csv")
	writeFile(t, input, "customerNumber,contactEmail\nC1,not-an-email\n", 0o600)
	r := runDoctor(t, rt, emulator.DefaultConfig().ClientSecret, "--mapping", badMap, "--probe=false")
	if st := r.statuses(); st["mapping"] != checkFail || st["input"] != "" {
		t.Errorf("bad mapping: %v", st)
	}
	// The report "directory" is a file: neither it nor the journal beside it can be written.
	r = runDoctor(t, rt, emulator.DefaultConfig().ClientSecret, "--input", input, "--probe=false",
		"--report", filepath.Join(input, "r.csv"))
	st := r.statuses()
	if st["input"] != checkFail || !strings.Contains(r.check(t, "input").Detail, "row 2") {
		t.Errorf("invalid input row: %v %+v", st, r.check(t, "input"))
	}
	if st["report dir"] != checkFail || st["journal"] != checkFail {
		t.Errorf("report dir is a file: %v", st)
	}
	if r.code != exitFatal {
		t.Errorf("exit %d, want 1", r.code)
	}
}

func TestDoctorRefusesPlainHTTP(t *testing.T) {
	isolateConfig(t)
	t.Setenv("EMPORIX_CLIENT_SECRET", "x")
	var stdout bytes.Buffer
	code := run(context.Background(), []string{"doctor", "--api-url", "http://api.example.com", "--tenant", "demo",
		"--client-id", "c", "--probe=false"}, &stdout, &bytes.Buffer{})
	out := stdout.String()
	if code != exitFatal || !strings.Contains(out, "✗ url") || !strings.Contains(out, "- reach") || !strings.Contains(out, "- token") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

// TestDoctorWithProfileOnly: connection settings from the profile alone.
func TestDoctorWithProfileOnly(t *testing.T) {
	rt := newRecordingTenant(t, emulator.Config{})
	cfgPath := isolateConfig(t)
	secret := filepath.Join(t.TempDir(), "secret")
	def := emulator.DefaultConfig()
	writeFile(t, secret, def.ClientSecret, 0o600)
	writeFile(t, cfgPath, "profiles:\n  emu:\n    api_url: "+rt.url+"\n    tenant: "+def.Tenant+
		"\n    client_id: "+def.ClientID+"\n    client_secret_file: "+secret+"\n    report: "+
		filepath.Join(t.TempDir(), "r.csv")+"\n", 0o600)
	t.Setenv("EMPORIX_PROFILE", "emu")
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"doctor", "--probe=false"}, &stdout, &stderr)
	if code != exitOK || !strings.Contains(stdout.String(), "secret from file "+secret) {
		t.Fatalf("exit %d:\n%s%s", code, stdout.String(), stderr.String())
	}
}

func TestDoctorTenantMismatch(t *testing.T) {
	rt := newRecordingTenant(t, emulator.Config{Tenant: "othershop"})
	r := runDoctor(t, rt, emulator.DefaultConfig().ClientSecret, "--probe=false")
	tok := r.check(t, "token")
	if r.code != exitFatal || tok.Status != checkFail || !strings.Contains(tok.Detail, `tenant "othershop", not "demo"`) {
		t.Fatalf("exit %d, token %+v", r.code, tok)
	}
}

// TestDoctorTLSFailure: a certificate the system does not trust fails the
// reach check at the TLS step, and nothing is sent to that host.
func TestDoctorTLSFailure(t *testing.T) {
	isolateConfig(t)
	var hits atomic.Int64
	hs := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	hs.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is the point
	hs.StartTLS()
	t.Cleanup(hs.Close)
	t.Setenv("EMPORIX_CLIENT_SECRET", "x")
	var stdout bytes.Buffer
	code := run(context.Background(), []string{"doctor", "--json", "--api-url", hs.URL, "--tenant", "demo", "--client-id", "c"},
		&stdout, &bytes.Buffer{})
	var rep doctorReport
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	r := doctorRun{code: code, rep: rep, out: stdout.String()}
	reach := r.check(t, "reach")
	if code != exitFatal || reach.Status != checkFail || !strings.Contains(reach.Detail, "TLS:") || !strings.Contains(reach.Fix, "CA") {
		t.Fatalf("exit %d, reach %+v", code, reach)
	}
	if st := r.check(t, "token").Status; st != checkSkip || hits.Load() != 0 {
		t.Errorf("token %s, %d HTTP requests after a TLS failure", st, hits.Load())
	}
}

// TestDoctorLockHeld: a running import (its lock held) is reported, and is
// no setup failure.
func TestDoctorLockHeld(t *testing.T) {
	rt := newRecordingTenant(t, emulator.Config{})
	lock, err := runlock.Acquire(runlock.Dir(), rt.url, emulator.DefaultConfig().Tenant,
		runlock.Holder{PID: 4711, Started: time.Now(), Input: "erp.csv"})
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Release()
	r := runDoctor(t, rt, emulator.DefaultConfig().ClientSecret, "--probe=false")
	c := r.check(t, "lock")
	if c.Status != checkWarn || !strings.Contains(c.Detail, "pid 4711") || r.code != exitOK {
		t.Fatalf("exit %d, lock %+v", r.code, c)
	}
	lock.Release()
	if c := runDoctor(t, rt, emulator.DefaultConfig().ClientSecret, "--probe=false").check(t, "lock"); c.Status != checkOK {
		t.Fatalf("released lock: %+v", c)
	}
}

func TestDoctorPresetMapping(t *testing.T) {
	rt := newRecordingTenant(t, emulator.Config{})
	if r := runDoctor(t, rt, emulator.DefaultConfig().ClientSecret, "--mapping", "preset:shopify", "--probe=false"); r.code != exitOK ||
		!strings.Contains(r.check(t, "mapping").Detail, "preset:shopify") {
		t.Errorf("preset:shopify: exit %d, %+v", r.code, r.check(t, "mapping"))
	}
	r := runDoctor(t, rt, emulator.DefaultConfig().ClientSecret, "--mapping", "preset:nope", "--probe=false")
	if c := r.check(t, "mapping"); r.code != exitFatal || c.Status != checkFail || !strings.Contains(c.Detail, "unknown preset") {
		t.Errorf("preset:nope: exit %d, %+v", r.code, c)
	}
}

// TestDoctorRetention drives the retention check directly: no mapping field
// carries password hashes yet, so it cannot be reached through --mapping.
func TestDoctorRetention(t *testing.T) {
	rt := newRecordingTenant(t, emulator.Config{})
	def := emulator.DefaultConfig()
	cl, err := emporix.New(emporix.Config{BaseURL: rt.url, Tenant: def.Tenant, ClientID: def.ClientID, ClientSecret: def.ClientSecret})
	if err != nil {
		t.Fatal(err)
	}
	check := func() checkResult {
		d := &doctor{opts: &doctorOptions{}, client: cl, passwords: true}
		d.checkRetention(context.Background())
		if len(d.checks) != 1 {
			t.Fatalf("checks %+v", d.checks)
		}
		return d.checks[0]
	}
	if c := check(); c.Status != checkFail || !strings.Contains(c.Fix, "password-migration set --end") {
		t.Errorf("no window: %+v", c)
	}
	end := time.Now().AddDate(0, 1, 0).Format(emporix.DateLayout)
	if _, err := cl.SetRetention(context.Background(), emporix.Retention{RetentionEndDate: end}); err != nil {
		t.Fatal(err)
	}
	if c := check(); c.Status != checkOK || !strings.Contains(c.Detail, end) {
		t.Errorf("open window: %+v", c)
	}
	none := &doctor{opts: &doctorOptions{}, client: cl}
	none.checkRetention(context.Background())
	if len(none.checks) != 0 {
		t.Errorf("no passwords mapped, yet: %+v", none.checks)
	}
}
