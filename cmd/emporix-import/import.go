package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/emporix-import/emporix-import/emporix"
	"github.com/emporix-import/emporix-import/emulator"
	"github.com/emporix-import/emporix-import/importer"
	"github.com/emporix-import/emporix-import/internal/runlock"
	"github.com/emporix-import/emporix-import/report"
)

type importOptions struct {
	commonOptions
	concurrency       int
	rate              float64
	maxRetries        int
	maxErrors         string
	maxDeletes        int
	allowEmpty        bool
	shutdownTimeout   time.Duration
	stopOnError       bool
	addresses         string
	tags              string
	activate          bool
	sendPasswordReset bool
	resume            bool
	repairJournal     bool
	dryRun            bool
	embedded          bool
	mirror            mirrorOptions

	apiURL           string
	tenant           string
	clientID         string
	clientSecretFile string
}

func newImportCmd(_, stderr io.Writer) *cobra.Command {
	var o importOptions
	cmd := &cobra.Command{
		Use:   "import INPUT",
		Short: "Sync the file into the tenant (or, with --dry-run, report what would change)",
		Long: `Sync the file into the tenant: create missing customers, update only mapped fields
that changed, add missing addresses and tags, never duplicate. With --dry-run the
tenant is only read and the report says per row what would change.

Connection: --api-url / EMPORIX_API_URL, --tenant / EMPORIX_TENANT,
--client-id / EMPORIX_CLIENT_ID; the client secret only from EMPORIX_CLIENT_SECRET
or --client-secret-file. Plain http:// is refused unless the host is loopback.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			sum, err := o.run(cmd.Context(), args[0], stderr)
			code := importer.ExitCode(err)
			switch {
			case code == importer.ExitAborted && strings.HasPrefix(sum.Aborted, importer.MirrorAbortPrefix):
				// The file is synced; only the mirror phase stopped, and resuming
				// alone would stop it again.
				fmt.Fprintln(stderr, "the file is synced; the mirror phase touched nobody: check the export (or --scope, --max-missing), then run again")
			case !o.dryRun && (code == importer.ExitAborted || code == importer.ExitInterrupted):
				fmt.Fprintf(stderr, "to continue: %s\n", resumeCommand(argvOf(cmd.Context())))
			}
			return o.fatalSummary("import", args[0], sum, err)
		},
	}
	o.register(cmd)
	f := cmd.Flags()
	f.IntVar(&o.concurrency, "concurrency", 8, "customers processed in parallel")
	f.Float64Var(&o.rate, "rate", 20, "requests per second across all workers (0 = unlimited; backs off on 429)")
	f.IntVar(&o.maxRetries, "max-retries", emporix.DefaultMaxRetries, "retries per request on 429/502/503/504/network errors")
	f.StringVar(&o.maxErrors, "max-errors", "0", "abort after N failed/invalid rows, or P% of the rows done (judged after 100 rows); 0 = unlimited")
	f.IntVar(&o.maxDeletes, "max-deletes", 50, "--addresses replace: stop (exit 4, resumable) before the deletion that would exceed N; 0 = no limit")
	f.BoolVar(&o.allowEmpty, "allow-empty", false, "accept an input without data rows (else exit 1)")
	f.DurationVar(&o.shutdownTimeout, "shutdown-timeout", 30*time.Second, "on SIGINT/SIGTERM, give customers in flight this long, then cancel their requests")
	f.BoolVar(&o.stopOnError, "stop-on-error", false, "abort at the first failed/invalid row")
	f.StringVar(&o.addresses, "addresses", "merge", "merge: add and update addresses | replace: also delete addresses not in the file")
	f.StringVar(&o.tags, "tags", "merge", "merge: add missing tags | replace: also remove tags not in the file")
	f.BoolVar(&o.activate, "activate", false, "set active=true, onHold=false on customers this run creates")
	f.BoolVar(&o.sendPasswordReset, "send-password-reset", false, "let Emporix e-mail a password reset link to created customers")
	f.BoolVar(&o.resume, "resume", false, "continue an interrupted or aborted run of the same input from its journal")
	f.BoolVar(&o.repairJournal, "repair-journal", false, "with --resume: truncate a journal at its first damaged line (the customers recorded after it are re-checked)")
	f.BoolVar(&o.dryRun, "dry-run", false, "read the tenant and report what would change; never write")
	f.BoolVar(&o.embedded, "embedded", false, "start the embedded Emporix emulator in-process (empty tenant) and import into it")
	o.mirror.register(f)
	f.StringVar(&o.apiURL, "api-url", envOr("EMPORIX_API_URL", "https://api.emporix.io"), "API base URL (env EMPORIX_API_URL)")
	f.StringVar(&o.tenant, "tenant", os.Getenv("EMPORIX_TENANT"), "tenant (env EMPORIX_TENANT)")
	f.StringVar(&o.clientID, "client-id", os.Getenv("EMPORIX_CLIENT_ID"), "OAuth client id (env EMPORIX_CLIENT_ID)")
	f.StringVar(&o.clientSecretFile, "client-secret-file", "", "file holding the client secret (else env EMPORIX_CLIENT_SECRET)")
	return cmd
}

// check validates the flag values (usage errors, exit 2).
func (o *importOptions) check() error {
	switch {
	case o.addresses != "merge" && o.addresses != "replace":
		return usageError{Err: fmt.Errorf("--addresses must be merge or replace, not %q", o.addresses)}
	case o.tags != "merge" && o.tags != "replace":
		return usageError{Err: fmt.Errorf("--tags must be merge or replace, not %q", o.tags)}
	case o.concurrency < 1:
		return usageError{Err: errors.New("--concurrency must be at least 1")}
	case o.repairJournal && !o.resume:
		return usageError{Err: errors.New("--repair-journal works only with --resume")}
	case o.rate < 0 || o.maxRetries < 0 || o.maxDeletes < 0 || o.shutdownTimeout < 0:
		return usageError{Err: errors.New("--rate, --max-retries, --max-deletes and --shutdown-timeout must not be negative")}
	}
	return nil
}

// connect builds the API client (starting the embedded emulator if asked);
// stop releases what it started. passwords: the mapping maps password
// hashes, so the token also asks for the import scopes (only then: a client
// without them still imports).
func (o *importOptions) connect(logger *slog.Logger, stderr io.Writer, passwords bool) (client *emporix.Client, conn emporix.Config, stop func(), err error) {
	conn = emporix.Config{
		BaseURL:    o.apiURL,
		Tenant:     o.tenant,
		ClientID:   o.clientID,
		MaxRetries: o.maxRetries,
		Limiter:    emporix.NewAdaptiveLimiter(o.rate),
		HTTPClient: &http.Client{Timeout: 60 * time.Second},
		Logger:     logger,
	}
	if passwords {
		conn.Scopes = append(emporix.DefaultScopes(), emporix.ImportScopes...)
	}
	stop = func() {}
	if o.embedded {
		if stop, err = startEmbedded(&conn); err != nil {
			return nil, conn, nil, err
		}
	} else {
		if conn.ClientSecret, err = clientSecret(o.clientSecretFile, stderr); err != nil {
			return nil, conn, nil, err
		}
		if conn.Tenant == "" || conn.ClientID == "" || conn.ClientSecret == "" {
			return nil, conn, nil, errors.New("connection: --tenant, --client-id and a client secret (EMPORIX_CLIENT_SECRET or --client-secret-file) are required")
		}
	}
	if client, err = emporix.New(conn); err != nil {
		stop()
		return nil, conn, nil, err
	}
	return client, conn, stop, nil
}

func (o *importOptions) run(ctx context.Context, input string, stderr io.Writer) (report.Summary, error) {
	if err := o.check(); err != nil {
		return report.Summary{}, err
	}
	mirror, err := o.mirror.parse(o.dryRun, stdinTerminal())
	if err != nil {
		return report.Summary{}, err
	}
	maxErrors, maxErrorsPct, err := parseMaxErrors(o.maxErrors)
	if err != nil {
		return report.Summary{}, err
	}
	logger, err := o.logger(stderr)
	if err != nil {
		return report.Summary{}, err
	}
	client, conn, stop, err := o.connect(logger, stderr, importer.MapsPasswords(input, o.mapping))
	if err != nil {
		return report.Summary{}, err
	}
	defer stop()
	// One run per tenant: taken before the tenant is read, held to the end.
	lock, err := runlock.Acquire(runlock.Dir(), conn.BaseURL, conn.Tenant,
		runlock.Holder{PID: os.Getpid(), Started: time.Now(), Input: input})
	if err != nil {
		return report.Summary{}, err
	}
	defer lock.Release()
	cfg := importer.Config{
		Input:             input,
		MappingFile:       o.mapping,
		Report:            o.report,
		SummaryJSON:       o.summaryJSON,
		Quiet:             o.quiet,
		Stderr:            stderr,
		Logger:            logger,
		LogProblems:       o.logFormat == "json",
		Client:            client,
		Stats:             client.Stats,
		DryRun:            o.dryRun,
		Concurrency:       o.concurrency,
		MaxRetries:        o.maxRetries,
		MaxErrors:         maxErrors,
		MaxErrorsPercent:  maxErrorsPct,
		MaxDeletes:        o.maxDeletes,
		AllowEmpty:        o.allowEmpty,
		ShutdownTimeout:   o.shutdownTimeout,
		ForceStop:         forceStop(ctx),
		StopOnError:       o.stopOnError,
		ReplaceAddresses:  o.addresses == "replace",
		ReplaceTags:       o.tags == "replace",
		Activate:          o.activate,
		SendPasswordReset: o.sendPasswordReset,
		Resume:            o.resume,
		RepairJournal:     o.repairJournal,
		AddressesFile:     o.addressesFile,
		AddressesMapping:  o.addressesMapping,
	}
	mirror.apply(&cfg, stderr, conn.Tenant)
	return importer.Import(ctx, cfg)
}

// parseMaxErrors reads --max-errors: a count ("5") or a percentage ("5%").
func parseMaxErrors(v string) (count int, pct float64, err error) {
	v = strings.TrimSpace(v)
	if p, ok := strings.CutSuffix(v, "%"); ok {
		pct, err = strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || pct < 0 || pct > 100 {
			return 0, 0, usageError{Err: fmt.Errorf("--max-errors %q: want a count or a percentage between 0%% and 100%%", v)}
		}
		return 0, pct, nil
	}
	count, err = strconv.Atoi(v)
	if err != nil || count < 0 {
		return 0, 0, usageError{Err: fmt.Errorf("--max-errors %q: want a count or a percentage like 5%%", v)}
	}
	return count, 0, nil
}

// resumeCommand is the command line that continues this run.
func resumeCommand(args []string) string {
	parts := []string{"emporix-import"}
	for _, a := range args {
		parts = append(parts, shellQuote(a))
	}
	if !slices.Contains(args, "--resume") {
		parts = append(parts, "--resume")
	}
	return strings.Join(parts, " ")
}

// shellQuote quotes an argument for a POSIX shell when it needs it.
func shellQuote(a string) string {
	if a != "" && strings.IndexFunc(a, func(r rune) bool {
		return !(r == '-' || r == '_' || r == '.' || r == '/' || r == ':' || r == '=' || r == '@' || r == '%' || r == ',' ||
			(r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9'))
	}) < 0 {
		return a
	}
	return "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
}

// startEmbedded serves an empty emulator on a loopback port and points conn at it.
func startEmbedded(conn *emporix.Config) (stop func(), err error) {
	cfg := emulator.Config{}
	srv := emulator.New(cfg)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("embedded emulator: %w", err)
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	defaults := srv.Config()
	conn.BaseURL = "http://" + ln.Addr().String()
	conn.Tenant, conn.ClientID, conn.ClientSecret = defaults.Tenant, defaults.ClientID, defaults.ClientSecret
	return func() { _ = hs.Close() }, nil
}

// clientSecret reads the secret from a file or EMPORIX_CLIENT_SECRET; never
// from a flag value. A file other users can read is used, with a warning.
func clientSecret(file string, stderr io.Writer) (string, error) {
	if file == "" {
		return os.Getenv("EMPORIX_CLIENT_SECRET"), nil
	}
	if st, err := os.Stat(file); err == nil && st.Mode().Perm()&0o077 != 0 {
		fmt.Fprintf(stderr, "warning: client secret file %s is readable by group or others (mode %04o); restrict it with chmod 600\n",
			file, st.Mode().Perm())
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("client secret file: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
