package chaos

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// importerBinary returns $EMPORIX_IMPORT_BIN or builds cmd/emporix-import into dir.
func importerBinary(t *testing.T, dir string) string {
	t.Helper()
	if bin := os.Getenv("EMPORIX_IMPORT_BIN"); bin != "" {
		abs, err := filepath.Abs(bin)
		if err != nil {
			t.Fatal(err)
		}
		return abs
	}
	root := moduleRoot(t)
	bin := filepath.Join(dir, "emporix-import")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/emporix-import")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
}

// emuParams are the emulator's fault-injection flags.
type emuParams struct {
	FailRate, Rate, DropAfterCommit float64
	TokenTTL                        time.Duration
	Seed                            uint64
}

func (p emuParams) args() []string {
	return []string{
		"--fail-rate", fmt.Sprint(p.FailRate),
		"--rate", fmt.Sprint(p.Rate),
		"--drop-after-commit", fmt.Sprint(p.DropAfterCommit),
		"--token-ttl", p.TokenTTL.String(),
		"--seed", fmt.Sprint(p.Seed),
	}
}

// emulatorProc is the emulator running as a separate process.
type emulatorProc struct {
	cmd      *exec.Cmd
	url      string
	stateOut string
	log      *syncBuffer
	done     chan error
}

// startEmulator runs `emporix-import emulator` on a free loopback port.
func startEmulator(t *testing.T, bin, dir string, p emuParams) *emulatorProc {
	t.Helper()
	var lastErr error
	for range 3 { // the free port may be taken between probe and listen
		e, err := tryStartEmulator(bin, dir, p)
		if err == nil {
			t.Cleanup(func() { e.kill() })
			return e
		}
		lastErr = err
	}
	t.Fatalf("emulator did not start: %v", lastErr)
	return nil
}

func tryStartEmulator(bin, dir string, p emuParams) (*emulatorProc, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	e := &emulatorProc{url: "http://" + addr, stateOut: filepath.Join(dir, "state.json"), log: &syncBuffer{}, done: make(chan error, 1)}
	args := append([]string{"emulator", "--addr", addr, "--state-out", e.stateOut}, p.args()...)
	e.cmd = exec.Command(bin, args...)
	e.cmd.Stdout, e.cmd.Stderr = e.log, e.log
	if err := e.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { e.done <- e.cmd.Wait() }()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-e.done:
			return nil, fmt.Errorf("emulator exited: %v: %s", err, e.log.String())
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return e, nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	e.kill()
	return nil, fmt.Errorf("emulator not listening on %s after 15s: %s", addr, e.log.String())
}

// stop sends SIGTERM and waits for the state dump.
func (e *emulatorProc) stop(t *testing.T) {
	t.Helper()
	if err := e.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM emulator: %v", err)
	}
	select {
	case err := <-e.done:
		if err != nil {
			t.Fatalf("emulator exit: %v\n%s", err, e.log.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("emulator did not exit within 30s of SIGTERM\n%s", e.log.String())
	}
}

func (e *emulatorProc) kill() {
	if e.cmd.ProcessState == nil {
		_ = e.cmd.Process.Kill()
	}
}

// faultCounter is a reverse proxy in front of the emulator process that counts
// what the emulator injected, since the emulator's own counters stay in its
// process: 503s, 429s, and writes whose answer it dropped (the proxy passes
// the drop on by closing the importer's connection too).
type faultCounter struct {
	url                                  string
	requests, failed, tooMany, dropped   atomic.Int64
	tokens, clientGone, otherUpstreamErr atomic.Int64
	writes                               atomic.Int64 // customer API requests other than GET and search
	transport                            *http.Transport
}

// closeIdle closes the proxy's idle upstream connections. The emulator's
// graceful shutdown waits up to 5 s for connections that never carried a
// request (net/http's transport dials spares) and then exits 1.
func (fc *faultCounter) closeIdle() { fc.transport.CloseIdleConnections() }

func newFaultCounter(t *testing.T, upstream string) *faultCounter {
	t.Helper()
	u, err := url.Parse(upstream)
	if err != nil {
		t.Fatal(err)
	}
	fc := &faultCounter{}
	rp := httputil.NewSingleHostReverseProxy(u)
	// Never replays non-idempotent requests (net/http's rule), so a dropped
	// POST/PUT/PATCH/DELETE reaches the importer as a dropped connection.
	fc.transport = &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true, IdleConnTimeout: 30 * time.Second}
	rp.Transport = fc.transport
	rp.ModifyResponse = func(resp *http.Response) error {
		switch {
		case resp.StatusCode == http.StatusServiceUnavailable:
			fc.failed.Add(1)
		case resp.StatusCode == http.StatusTooManyRequests:
			fc.tooMany.Add(1)
		case resp.StatusCode == http.StatusOK && resp.Request.URL.Path == "/oauth/token":
			fc.tokens.Add(1)
		}
		return nil
	}
	rp.ErrorHandler = func(_ http.ResponseWriter, r *http.Request, err error) {
		switch {
		case r.Context().Err() != nil: // the importer was killed
			fc.clientGone.Add(1)
		case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || strings.Contains(err.Error(), "server closed") ||
			strings.Contains(err.Error(), "connection reset"):
			fc.dropped.Add(1)
		default:
			fc.otherUpstreamErr.Add(1)
		}
		panic(http.ErrAbortHandler) // close the importer's connection unanswered
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fc.requests.Add(1)
		if r.Method != http.MethodGet && r.URL.Path != "/oauth/token" && !strings.HasSuffix(r.URL.Path, "/customers/search") {
			fc.writes.Add(1)
		}
		rp.ServeHTTP(w, r)
	}))
	srv.Config.ErrorLog = nil
	t.Cleanup(srv.Close)
	fc.url = srv.URL
	return fc
}

func (fc *faultCounter) String() string {
	return fmt.Sprintf("503=%d 429=%d dropped_after_commit=%d tokens=%d proxied=%d",
		fc.failed.Load(), fc.tooMany.Load(), fc.dropped.Load(), fc.tokens.Load(), fc.requests.Load())
}

// journalPath mirrors importer/journal.go: <dir of report>/.journal/<sha256 of input>.jsonl.
func journalPath(t *testing.T, input, report string) string {
	t.Helper()
	b, err := os.ReadFile(input)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return filepath.Join(filepath.Dir(report), ".journal", hex.EncodeToString(sum[:])+".jsonl")
}

// journalEntries counts completed-customer lines (the first line is the header).
func journalEntries(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	return max(0, bytes.Count(b, []byte("\n"))-1)
}

// runResult is one importer process run.
type runResult struct {
	Killed   bool
	ExitCode int
	Stderr   string
	Entries  int // journal entries when it ended
	Elapsed  time.Duration
}

// runImporter runs the importer; when killAt > 0 it sends SIGKILL once the
// journal holds killAt entries, plus a random delay of up to killJitter so the
// kill lands mid-request rather than right after an fsync.
func runImporter(ctx context.Context, t *testing.T, bin string, args, env []string, journal string, killAt int, killJitter time.Duration) runResult {
	t.Helper()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), env...)
	var stderr syncBuffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	res := runResult{}
	var err error
	if killAt > 0 {
		tick := time.NewTicker(2 * time.Millisecond)
	poll:
		for {
			select {
			case err = <-done:
				break poll
			case <-tick.C:
				if journalEntries(journal) >= killAt {
					time.Sleep(killJitter)
					_ = cmd.Process.Kill() // SIGKILL
					err = <-done
					res.Killed = cmd.ProcessState != nil && !cmd.ProcessState.Exited()
					break poll
				}
			}
		}
		tick.Stop()
	} else {
		err = <-done
	}
	res.Elapsed = time.Since(start)
	res.Stderr = stderr.String()
	res.Entries = journalEntries(journal)
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		res.ExitCode = ee.ExitCode() // -1 when killed by a signal
	default:
		t.Fatalf("importer: %v", err)
	}
	return res
}

// syncBuffer is a bytes.Buffer safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// lastLines returns the last n lines of s, for failure messages.
func lastLines(s string, n int) string {
	var lines []string
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
