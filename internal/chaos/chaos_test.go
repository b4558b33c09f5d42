package chaos

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// kills is how often each scenario's importer is killed with SIGKILL.
const kills = 3

func envInt(t *testing.T, key string, def int) int {
	t.Helper()
	v := os.Getenv(key)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("%s=%q: want a positive integer", key, v)
	}
	return n
}

// TestChaos imports generated customers through injected faults and three
// SIGKILLs with --resume, then checks the tenant and the report: after a kill -9 at any point,
// --resume must yield the same final tenant state as an uninterrupted run,
// with no duplicates, and a report covering every row once.
func TestChaos(t *testing.T) {
	// -short (make test) keeps every fault and all three kills but few
	// customers, so it takes seconds; the full suite runs 200.
	defaultN := 200
	if testing.Short() {
		defaultN = 40
	}
	n := envInt(t, "CHAOS_CUSTOMERS", defaultN)
	seed := uint64(envInt(t, "CHAOS_SEED", 1))
	rate := 50.0
	if n < 1000 {
		rate = 500 // keeps `go test ./...` well under a minute (the limiter recovers slowly from 429s)
	}
	if v := os.Getenv("CHAOS_RATE"); v != "" {
		var err error
		if rate, err = strconv.ParseFloat(v, 64); err != nil {
			t.Fatalf("CHAOS_RATE=%q: %v", v, err)
		}
	}
	bin := importerBinary(t, t.TempDir())
	params := emuParams{FailRate: 0.1, Rate: rate, DropAfterCommit: 0.02, TokenTTL: 2 * time.Second, Seed: seed}
	t.Logf("chaos: %d customers, seed %d, emulator %s, importer --concurrency 8 --rate 0", n, seed, strings.Join(params.args(), " "))

	for _, sc := range []struct {
		name      string
		byEmail   bool
		passwords bool
	}{
		{"customerNumber", false, false},
		{"contactEmail", true, false},
		// New customers with password hashes: created by the bulk import.
		{"passwords", false, true},
	} {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel() // separate emulators and files; halves the wall time
			chaosScenario(t, bin, n, seed, params, sc.byEmail, sc.passwords)
		})
	}
}

func chaosScenario(t *testing.T, bin string, n int, seed uint64, params emuParams, byEmail, passwords bool) {
	started := time.Now()
	ctx, cancel := context.WithCancel(context.Background())
	if dl, ok := t.Deadline(); ok {
		ctx, cancel = context.WithDeadline(context.Background(), dl.Add(-30*time.Second))
	}
	defer cancel()

	dir := t.TempDir()
	ds := generate(n, seed, byEmail)
	input := filepath.Join(dir, "customers.csv")
	writeCSV(t, input, ds, byEmail, passwords)
	base := []string{"import", input, "--tenant", "demo", "--client-id", "demo-client",
		"--concurrency", "8", "--rate", "0", "--quiet"}
	if byEmail {
		m := filepath.Join(dir, "by-email.yaml")
		if err := os.WriteFile(m, []byte(emailMapping), 0o644); err != nil {
			t.Fatal(err)
		}
		base = append(base, "--mapping", m)
	}
	env := []string{"EMPORIX_CLIENT_SECRET=demo-secret"}

	emu := startEmulator(t, bin, dir, params)
	if passwords {
		setRetention(ctx, t, bin, emu.url, env)
	}
	fc := newFaultCounter(t, emu.url)
	base = append(base, "--api-url", fc.url)
	report := filepath.Join(dir, "out", "report.csv")
	journal := journalPath(t, input, report)

	// Kill points: numbers of completed customers (journal entries), one
	// at a random point in each third of 5–90 % of the run.
	h := fnv.New64a()
	fmt.Fprint(h, t.Name())
	r := rand.New(rand.NewPCG(seed, h.Sum64()))
	targets := make([]int, kills)
	const lo, span = 0.05, 0.85 / kills
	for i := range targets {
		targets[i] = max(1, int(float64(n)*(lo+span*(float64(i)+r.Float64()))))
	}

	var (
		killed, resumes int
		sums            []runSummary
		runLog          []string
	)
	for i := 0; i <= kills; i++ {
		args := slices.Clone(base)
		args = append(args, "--report", report, "--summary-json", filepath.Join(dir, fmt.Sprintf("summary-%d.json", i)))
		if i > 0 {
			args = append(args, "--resume")
			resumes++
		}
		killAt := 0
		if i < kills {
			// Past what the earlier runs completed (the journal is replayed,
			// not rewritten), so the kill lands while this run does real work.
			killAt = max(targets[i], journalEntries(journal)+1+n/50)
		}
		res := runImporter(ctx, t, bin, args, env, journal, killAt, time.Duration(r.IntN(20))*time.Millisecond)
		if s, ok := readSummary(filepath.Join(dir, fmt.Sprintf("summary-%d.json", i))); ok {
			sums = append(sums, s)
		}
		desc := fmt.Sprintf("run %d: kill at %d customers → ", i+1, killAt)
		switch {
		case res.Killed:
			killed++
			desc += fmt.Sprintf("SIGKILL after %s with %d journal entries", res.Elapsed.Round(time.Millisecond), res.Entries)
		default:
			desc += fmt.Sprintf("exit %d after %s, %d journal entries", res.ExitCode, res.Elapsed.Round(time.Millisecond), res.Entries)
		}
		runLog = append(runLog, desc)
		t.Log(desc)
		if !res.Killed && res.ExitCode != 0 {
			t.Fatalf("run %d exit %d; stderr:\n%s", i+1, res.ExitCode, lastLines(res.Stderr, 30))
		}
	}
	// The journal is committed in batches (every 200 ms or 256 customers) and
	// bulk creates complete 200 customers at once, so in the small -short run
	// a late kill point can be passed before the importer is seen there. One
	// kill inside a run still proves resume; the full-size run needs all.
	need := kills
	if testing.Short() {
		need = 1
	}
	if killed < need {
		t.Errorf("only %d of %d kills landed inside a run (%v); need %d", killed, kills, targets, need)
	}

	// The same file again, without --resume: everything unchanged, no writes.
	writesBefore := fc.writes.Load()
	again := filepath.Join(dir, "out", "again.csv")
	res := runImporter(ctx, t, bin, append(slices.Clone(base), "--report", again), env, journal, 0, 0)
	if res.ExitCode != 0 {
		t.Errorf("re-import exit %d; stderr:\n%s", res.ExitCode, lastLines(res.Stderr, 30))
	}
	rewrites := fc.writes.Load() - writesBefore
	if rewrites != 0 {
		t.Errorf("re-import made %d writes, want 0", rewrites)
	}
	if counts := statusCounts(t, again); counts["unchanged"] != len(ds.Rows) {
		t.Errorf("re-import statuses %v, want %d unchanged", counts, len(ds.Rows))
	}

	var v verdict
	if passwords {
		verifyLogins(t, emu.url, ds, &v)
	}
	fc.closeIdle()
	emu.stop(t)
	st := readState(t, emu.stateOut)
	found := verifyState(ds, st, byEmail, &v)
	verifyReport(t, report, ds, found, &v)

	var tot runSummary
	for _, s := range sums {
		tot.Requests += s.Requests
		tot.Retries += s.Retries
		tot.RateLimited += s.RateLimited
		tot.Bulk += s.Bulk
	}
	match := "customerNumber"
	if byEmail {
		match = "contactEmail"
	}
	if passwords {
		match = "customerNumber+passwords"
	}
	line := fmt.Sprintf("chaos match=%s: customers=%d rows=%d scattered=%d kills=%d resumes=%d faults[%s upstream_errors=%d] "+
		"importer[requests=%d bulk_import=%d retries=%d rate_limited=%d over %d completed runs] duplicates=%d duplicate_addresses=%d "+
		"missing=%d extra=%d mismatched=%d wrong_hash=%d report_ok=%d/%d rewrites=%d wall=%s",
		match, n, len(ds.Rows), ds.Scattered, killed, resumes, fc, fc.otherUpstreamErr.Load(),
		tot.Requests, tot.Bulk, tot.Retries, tot.RateLimited, len(sums), v.Duplicates, v.DupAddresses,
		v.Missing, v.Extra, v.Mismatched, v.WrongHash, v.ReportOK, len(ds.Rows), rewrites, time.Since(started).Round(time.Second))
	t.Log(line)
	if path := os.Getenv("CHAOS_SUMMARY"); path != "" {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err == nil {
			_, err = fmt.Fprintln(f, line)
			err = errors.Join(err, f.Close())
		}
		if err != nil {
			t.Errorf("CHAOS_SUMMARY: %v", err)
		}
	}
	if !v.clean(len(ds.Rows)) || v.WrongHash > 0 {
		t.Errorf("tenant or report wrong:\n%s\nruns:\n%s", strings.Join(v.problems, "\n"), strings.Join(runLog, "\n"))
	}
}
