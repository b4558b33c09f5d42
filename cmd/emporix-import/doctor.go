package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/emporix-import/emporix-import/emporix"
	"github.com/emporix-import/emporix-import/mapping"
)

// Check outcomes. Only checkFail makes doctor exit 1: a warning is something
// doctor could not confirm, a skip a check that does not apply or whose
// prerequisite failed.
const (
	checkOK   = "ok"
	checkFail = "fail"
	checkWarn = "warn"
	checkSkip = "skip"
)

var checkMarks = map[string]string{checkOK: "✓", checkFail: "✗", checkWarn: "!", checkSkip: "-"}

// checkResult is one line of doctor's output (and one element of --json).
type checkResult struct {
	Name      string  `json:"name"`
	Status    string  `json:"status"`
	Detail    string  `json:"detail"`
	Fix       string  `json:"fix,omitempty"`
	LatencyMS float64 `json:"latency_ms,omitempty"`
}

// suggestion is the outcome of the read probe.
type suggestion struct {
	Rate        int     `json:"rate"`
	Concurrency int     `json:"concurrency"`
	Requests    int     `json:"probe_requests"`
	Throttled   int     `json:"throttled"`
	LatencyMS   float64 `json:"latency_ms"`
	Reason      string  `json:"reason"`
}

type doctorReport struct {
	OK        bool          `json:"ok"`
	Profile   string        `json:"profile,omitempty"`
	Checks    []checkResult `json:"checks"`
	Suggested *suggestion   `json:"suggested,omitempty"`
}

// errDoctorFailed makes doctor exit 1 once its report is printed.
var errDoctorFailed = errors.New("doctor: some checks failed")

type doctorOptions struct {
	apiURL           string
	tenant           string
	clientID         string
	clientSecretFile string
	mapping          string
	input            string
	report           string
	json             bool
	probe            bool
	timeout          time.Duration
}

func newDoctorCmd(stdout io.Writer) *cobra.Command {
	var o doctorOptions
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check a setup before the first run: connection, credentials, scopes, files; suggest --rate/--concurrency",
		Long: `Check, in order, everything an unattended import needs and print one line per check
(✓ ok, ✗ failed with the fix, ! not confirmed, - skipped):

  settings     tenant, client id and where the secret comes from (never the secret)
  url          https, or plain http to a loopback host only
  reach        DNS, TCP and TLS to the API host, with latencies
  token        the OAuth token for the client id and secret
  scope ...    each scope the tool needs, from the token's scope list; the read
               scope is confirmed with one harmless read. Doctor never writes.
  retention    the password-migration retention window, when the mapping maps passwords
  mapping      the mapping file (--mapping)
  input        the first 100 rows of --input, mapped and validated
  report dir   the report directory is writable
  journal      the journal directory (beside the report) is writable
  lock         the per-tenant run lock: free, or held by a running import
  probe        at most 50 reads to suggest --rate and --concurrency

Exit status 0 when no check failed, 1 otherwise. --json prints the same as JSON
for monitoring. Connection settings come from flags, the environment or the
profile (--profile), exactly as for import.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd.Context(), stdout, profileName(cmd))
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.apiURL, "api-url", envOr("EMPORIX_API_URL", emporix.DefaultBaseURL), "API base URL (env EMPORIX_API_URL)")
	f.StringVar(&o.tenant, "tenant", os.Getenv("EMPORIX_TENANT"), "tenant (env EMPORIX_TENANT)")
	f.StringVar(&o.clientID, "client-id", os.Getenv("EMPORIX_CLIENT_ID"), "OAuth client id (env EMPORIX_CLIENT_ID)")
	f.StringVar(&o.clientSecretFile, "client-secret-file", "", "file holding the client secret (else env EMPORIX_CLIENT_SECRET)")
	f.StringVar(&o.mapping, "mapping", "", "mapping file or preset:NAME to check (its password fields need the import scopes)")
	f.StringVar(&o.input, "input", "", "input file: map and validate its first 100 rows")
	f.StringVar(&o.report, "report", "", "report path the import will use (its directory must be writable); default reports/")
	f.BoolVar(&o.json, "json", false, "print the checks as JSON")
	f.BoolVar(&o.probe, "probe", true, "run the read probe (at most 50 GET requests) that suggests --rate/--concurrency")
	f.DurationVar(&o.timeout, "timeout", 10*time.Second, "timeout of each network step")
	return cmd
}

func (o *doctorOptions) run(ctx context.Context, stdout io.Writer, profile string) error {
	d := &doctor{opts: o, httpc: &http.Client{Timeout: o.timeout, CheckRedirect: noFollow}}
	d.runChecks(ctx)
	rep := doctorReport{OK: true, Profile: profile, Checks: d.checks, Suggested: d.suggested}
	for _, c := range d.checks {
		if c.Status == checkFail {
			rep.OK = false
		}
	}
	if err := printDoctor(stdout, rep, o.json); err != nil {
		return err
	}
	if !rep.OK {
		return errDoctorFailed
	}
	return nil
}

func noFollow(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

func printDoctor(w io.Writer, rep doctorReport, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	for _, c := range rep.Checks {
		line := fmt.Sprintf("%s %-12s %s", checkMarks[c.Status], c.Name, c.Detail)
		if c.Fix != "" {
			line += "\n    fix: " + c.Fix
		}
		if _, err := fmt.Fprintln(w, line); err != nil {
			return err
		}
	}
	if s := rep.Suggested; s != nil {
		if _, err := fmt.Fprintf(w, "suggested: --rate %d --concurrency %d  (%s)\n", s.Rate, s.Concurrency, s.Reason); err != nil {
			return err
		}
	}
	return nil
}

// doctor holds what the checks learn from each other: a failed prerequisite
// turns the checks that depend on it into skips.
type doctor struct {
	opts      *doctorOptions
	httpc     *http.Client
	checks    []checkResult
	suggested *suggestion

	secret    string
	urlOK     bool
	tokenOK   bool
	scopes    []string // from the token response; nil when it named none
	client    *emporix.Client
	mapping   *mapping.Mapping
	passwords bool // the mapping maps password fields
}

func (d *doctor) add(c checkResult) { d.checks = append(d.checks, c) }

func (d *doctor) runChecks(ctx context.Context) {
	d.checkSettings()
	d.checkURL()
	d.checkReach(ctx)
	d.checkToken(ctx)
	mres := d.loadMapping() // reported after the scopes, but needed to know which scopes
	d.checkScopes(ctx)
	d.checkRetention(ctx)
	d.add(mres)
	d.checkInput()
	reportDir := d.checkReportDir()
	d.checkJournal(reportDir)
	d.checkLock()
	d.runProbe(ctx)
}
