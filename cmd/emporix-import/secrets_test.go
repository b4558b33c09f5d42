package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/emporix-import/emporix-import/emulator"
	"github.com/emporix-import/emporix-import/importer"
)

// leakSecret is distinctive enough that any occurrence is a leak.
const leakSecret = "sEcReT-4a7c91e0d2b8-xyzzy-do-not-print"

// secTenant is an emulator behind a recording front: it captures every access
// token the token endpoint issues and can interfere with requests.
type secTenant struct {
	srv *emulator.Server
	url string

	mu     sync.Mutex
	tokens []string
	api    atomic.Int64 // customer API requests seen
}

type secOptions struct {
	// grantScope, when set, replaces the scope the client asks for, as a
	// server that issues a narrower scope than requested would.
	grantScope string
	// onAPI runs before each customer API request (n counts from 1); it
	// answers itself when it returns true.
	onAPI func(n int64, srv *emulator.Server, w http.ResponseWriter, r *http.Request) bool
}

func newSecTenant(t *testing.T, cfg emulator.Config, o secOptions) *secTenant {
	t.Helper()
	st := &secTenant{srv: emulator.New(cfg)}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/oauth/token" {
			if o.grantScope != "" {
				narrowScope(r, o.grantScope)
			}
			tw := &teeWriter{ResponseWriter: w}
			st.srv.ServeHTTP(tw, r)
			var tok struct {
				AccessToken string `json:"access_token"`
			}
			if json.Unmarshal(tw.buf.Bytes(), &tok) == nil && tok.AccessToken != "" {
				st.mu.Lock()
				st.tokens = append(st.tokens, tok.AccessToken)
				st.mu.Unlock()
			}
			return
		}
		n := st.api.Add(1)
		if o.onAPI != nil && o.onAPI(n, st.srv, w, r) {
			return
		}
		st.srv.ServeHTTP(w, r)
	}))
	t.Cleanup(hs.Close)
	st.url = hs.URL
	return st
}

func (st *secTenant) issued() []string {
	st.mu.Lock()
	defer st.mu.Unlock()
	return append([]string(nil), st.tokens...)
}

func narrowScope(r *http.Request, scope string) {
	b, _ := io.ReadAll(r.Body)
	form, err := url.ParseQuery(string(b))
	if err != nil {
		return
	}
	form.Set("scope", scope)
	enc := form.Encode()
	r.Body, r.ContentLength = io.NopCloser(strings.NewReader(enc)), int64(len(enc))
}

type teeWriter struct {
	http.ResponseWriter
	buf bytes.Buffer
}

func (w *teeWriter) Write(p []byte) (int, error) {
	w.buf.Write(p)
	return w.ResponseWriter.Write(p)
}

// secInput is a small valid input; company "=1+1" is a formula cell.
const secInput = `customerNumber,contactEmail,firstName,lastName,company,address.contactName,address.street,address.zipCode,address.city,address.country,address.tags
S1,s1@example.com,Sam,One,=1+1,Sam One,Hauptstraße 1,10115,Berlin,DE,BILLING
S2,s2@example.com,Sue,Two,@SUM(A1),Sue Two,Main St 2,10001,New York,US,SHIPPING
S3,s3@example.com,Sid,Three,ACME,Sid Three,Ringstr. 3,01067,Dresden,DE,
`

// cliRun is one CLI invocation with captured streams.
type cliRun struct {
	code           int
	stdout, stderr string
}

func runCLI(t *testing.T, args ...string) cliRun {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &stdout, &stderr)
	return cliRun{code, stdout.String(), stderr.String()}
}

// assertNoLeak greps the streams and every file under dir for the secret and
// the tokens (whole, and their first 12 characters, for truncated leaks).
func assertNoLeak(t *testing.T, r cliRun, dir string, tokens []string) {
	t.Helper()
	needles := map[string]string{leakSecret: "client secret"}
	for i, tok := range tokens {
		needles[tok] = fmt.Sprintf("access token #%d", i+1)
		if len(tok) > 12 {
			needles[tok[:12]] = fmt.Sprintf("prefix of access token #%d", i+1)
		}
	}
	haystacks := map[string]string{"stdout": r.stdout, "stderr": r.stderr}
	files := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		haystacks[rel] = string(b)
		files++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for where, text := range haystacks {
		for needle, what := range needles {
			if strings.Contains(text, needle) {
				t.Errorf("%s found in %s", what, where)
			}
		}
	}
	t.Logf("checked stdout, stderr and %d files for the secret and %d tokens", files, len(tokens))
}

func writeSecInput(t *testing.T, dir string) string {
	t.Helper()
	in := filepath.Join(dir, "in.csv")
	if err := os.WriteFile(in, []byte(secInput), 0o644); err != nil {
		t.Fatal(err)
	}
	return in
}

func closedPortURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

// TestSecretsNeverLeak runs the CLI through success, auth failure, network
// failure and debug logging, and finds neither the client secret nor any
// issued access token in stdout, stderr, the report, the errors file, the
// summary JSON or the journal.
func TestSecretsNeverLeak(t *testing.T) {
	tests := []struct {
		name     string
		cfg      emulator.Config
		opts     secOptions
		apiURL   string // "" = the emulator
		flags    []string
		wantCode int
		wantErr  string // in stderr
		tokens   bool   // tokens must have been issued
	}{
		{
			name:     "successful import",
			cfg:      emulator.Config{ClientSecret: leakSecret},
			flags:    []string{"--activate"},
			wantCode: importer.ExitOK,
			tokens:   true,
		},
		{
			name: "debug JSON log through retries, dropped answers and a token renewal",
			cfg:  emulator.Config{ClientSecret: leakSecret, FailRate: 0.3, DropAfterCommit: 0.2, Seed: 5},
			opts: secOptions{onAPI: func(n int64, srv *emulator.Server, _ http.ResponseWriter, _ *http.Request) bool {
				if n == 4 {
					srv.ExpireTokens() // the gateway's 401 and the client's renewal
				}
				return false
			}},
			flags:    []string{"--debug", "--log-format", "json", "--max-retries", "10"},
			wantCode: importer.ExitOK,
			wantErr:  `"level":"DEBUG"`,
			tokens:   true,
		},
		{
			name:     "debug text log",
			cfg:      emulator.Config{ClientSecret: leakSecret},
			flags:    []string{"--debug"},
			wantCode: importer.ExitOK,
			wantErr:  "level=DEBUG",
			tokens:   true,
		},
		{
			name:     "auth refused",
			cfg:      emulator.Config{ClientSecret: "a-different-secret"},
			flags:    []string{"--debug", "--log-format", "json"},
			wantCode: importer.ExitFatal,
			wantErr:  "token request refused: 401",
		},
		{
			name:     "network failure",
			apiURL:   "closed",
			flags:    []string{"--debug", "--max-retries", "2"}, // the retry log lines too, quickly
			wantCode: importer.ExitFatal,
			wantErr:  "connection refused",
		},
		{
			name: "token rejected even after renewal",
			cfg:  emulator.Config{ClientSecret: leakSecret},
			opts: secOptions{onAPI: func(_ int64, srv *emulator.Server, w http.ResponseWriter, r *http.Request) bool {
				srv.ExpireTokens()
				return false
			}},
			flags:    []string{"--debug"},
			wantCode: importer.ExitFatal,
			wantErr:  "401",
			tokens:   true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("EMPORIX_CLIENT_SECRET", leakSecret)
			ten := newSecTenant(t, tt.cfg, tt.opts)
			api := ten.url
			if tt.apiURL == "closed" {
				api = closedPortURL(t)
			}
			dir := t.TempDir()
			in := writeSecInput(t, dir)
			args := append([]string{"import", in, "--api-url", api, "--tenant", "demo", "--client-id", "demo-client",
				"--report", filepath.Join(dir, "out", "report.csv"), "--summary-json", filepath.Join(dir, "out", "summary.json")},
				tt.flags...)
			r := runCLI(t, args...)
			if r.code != tt.wantCode {
				t.Fatalf("exit %d, want %d; stderr:\n%s", r.code, tt.wantCode, r.stderr)
			}
			if tt.wantErr != "" && !strings.Contains(r.stderr, tt.wantErr) {
				t.Errorf("stderr lacks %q:\n%s", tt.wantErr, r.stderr)
			}
			tokens := ten.issued()
			if tt.tokens && len(tokens) == 0 {
				t.Fatal("no token was issued: the leak check would prove nothing")
			}
			assertNoLeak(t, r, dir, tokens)
		})
	}
}

// TestPlainHTTPRefused: http:// to a non-loopback host is refused before any
// request. The host is a non-loopback address of this machine with a
// listener on it, so a request would be seen.
func TestPlainHTTPRefused(t *testing.T) {
	t.Setenv("EMPORIX_CLIENT_SECRET", leakSecret)
	host := nonLoopbackIP(t)
	var hits atomic.Int64
	var target string
	if host != "" {
		ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			t.Fatal(err)
		}
		srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			hits.Add(1)
		})}}
		srv.Config.ConnState = func(net.Conn, http.ConnState) { hits.Add(1) }
		srv.Start()
		t.Cleanup(srv.Close)
		target = srv.URL
	} else {
		host = "example.com"
		target = "http://example.com"
		t.Log("no non-loopback interface: checking the refusal without a listener")
	}
	dir := t.TempDir()
	in := writeSecInput(t, dir)
	r := runCLI(t, "import", in, "--api-url", target, "--tenant", "demo", "--client-id", "demo-client",
		"--report", filepath.Join(dir, "out", "report.csv"))
	if r.code != importer.ExitFatal {
		t.Fatalf("exit %d, want 1; stderr:\n%s", r.code, r.stderr)
	}
	if want := "refusing plain http:// to non-loopback host"; !strings.Contains(r.stderr, want) || !strings.Contains(r.stderr, host) {
		t.Errorf("stderr lacks %q and the host %s:\n%s", want, host, r.stderr)
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("%d connection events at %s: a request was made", n, target)
	}
	if _, err := os.Stat(filepath.Join(dir, "out")); !os.IsNotExist(err) {
		t.Errorf("output directory created (%v): nothing may be written on a fatal config error", err)
	}
	// https to the same host, or http to loopback, passes this check (and
	// fails later for other reasons): the refusal is about the scheme.
	for _, api := range []string{"http://127.0.0.1:1", "http://localhost:1", "http://[::1]:1"} {
		r := runCLI(t, "import", in, "--api-url", api, "--tenant", "demo", "--client-id", "demo-client",
			"--report", filepath.Join(dir, "loop", "report.csv"), "--max-retries", "0")
		if strings.Contains(r.stderr, "refusing plain http://") {
			t.Errorf("%s refused: %s", api, r.stderr)
		}
	}
}

func nonLoopbackIP(t *testing.T) string {
	t.Helper()
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return ""
	}
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok && !ipn.IP.IsLoopback() && ipn.IP.To4() != nil && !ipn.IP.IsLinkLocalUnicast() {
			return ipn.IP.String()
		}
	}
	return ""
}

// TestReportNeutralisesFormulas: a formula cell in the input comes back in
// the report prefixed with ' (the tenant keeps the value as typed).
func TestReportNeutralisesFormulas(t *testing.T) {
	ten := newTenant(t, emulator.Config{})
	dir := t.TempDir()
	in := writeSecInput(t, dir)
	rep := filepath.Join(dir, "report.csv")
	if code, stderr := cli(t, "import", in, "--quiet", "--report", rep, "--api-url", ten.url); code != importer.ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	rows := readReport(t, rep)
	for i, want := range []string{"'=1+1", "'@SUM(A1)", "ACME"} {
		if got := rows[i]["company"]; got != want {
			t.Errorf("row %d company = %q, want %q", i+2, got, want)
		}
	}
	for _, c := range ten.State().Customers {
		if c.CustomerNumber == "S1" && c.Company != "=1+1" {
			t.Errorf("tenant company = %q, want the value as typed", c.Company)
		}
	}
}

// TestAuthorisationRefusals goes through the CLI for a wrong tenant, a token
// without the manage scope and a refused scope request: exit 1, a message that
// names the problem, and nothing written to the tenant. (The emulator's own
// answers for these cases are covered by emulator.TestAuthErrors.)
func TestAuthorisationRefusals(t *testing.T) {
	tests := []struct {
		name    string
		cfg     emulator.Config
		opts    secOptions
		tenant  string
		wantErr []string
		report  bool // the run got as far as writing a report
	}{
		{
			name:    "wrong tenant",
			tenant:  "othertenant",
			wantErr: []string{"connection check", "403", "User not authorized"},
		},
		{
			// A client assigned the read scope only (and asking for it): reads
			// work, the first write is refused and the run stops.
			name:    "token with the read scope only",
			cfg:     emulator.Config{Scopes: []string{emulator.ScopeCustomerRead}},
			opts:    secOptions{grantScope: emulator.ScopeCustomerRead},
			wantErr: []string{"403", "User not authorized"},
			report:  true,
		},
		{
			name:    "client not granted the manage scope",
			cfg:     emulator.Config{Scopes: []string{emulator.ScopeCustomerRead}},
			wantErr: []string{"token request refused: 400", "invalid_scope"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.ClientSecret = leakSecret
			t.Setenv("EMPORIX_CLIENT_SECRET", leakSecret)
			ten := newSecTenant(t, tt.cfg, tt.opts)
			tenant := tt.tenant
			if tenant == "" {
				tenant = "demo"
			}
			dir := t.TempDir()
			in := writeSecInput(t, dir)
			rep := filepath.Join(dir, "out", "report.csv")
			r := runCLI(t, "import", in, "--api-url", ten.url, "--tenant", tenant, "--client-id", "demo-client",
				"--report", rep, "--quiet")
			if r.code != importer.ExitFatal {
				t.Fatalf("exit %d, want 1; stderr:\n%s", r.code, r.stderr)
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
				}
			}
			if st := ten.srv.Stats(); st.Applied != 0 || len(ten.srv.State().Customers) != 0 {
				t.Errorf("tenant changed: %d writes applied, %d customers", st.Applied, len(ten.srv.State().Customers))
			}
			if _, err := os.Stat(rep); (err == nil) != tt.report {
				t.Errorf("report exists = %v, want %v", err == nil, tt.report)
			}
			if tt.report {
				for _, row := range readReport(t, rep) {
					if s := row["import_status"]; s != "failed" && s != "skipped" {
						t.Errorf("row %s: status %s after a refused write", row["import_row"], s)
					}
				}
			}
			assertNoLeak(t, r, dir, ten.issued())
		})
	}
}
