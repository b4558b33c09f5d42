package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/emporix-import/emporix-import/importer"
	"github.com/emporix-import/emporix-import/report"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// Exit codes, as importer.ExitCode assigns them (one mapping for the process
// status and the summary's exit_code).
const (
	exitOK          = importer.ExitOK
	exitFatal       = importer.ExitFatal
	exitUsage       = importer.ExitUsage
	exitRowsFailed  = importer.ExitRowsFailed
	exitAborted     = importer.ExitAborted
	exitInterrupted = importer.ExitInterrupted
)

const exitStatusHelp = `
EXIT STATUS
  0    every row ok (created, updated, unchanged; for validate: valid)
  1    fatal: config, auth refused, unreadable input, missing mapped columns,
       report not writable — nothing written
  2    usage error
  3    finished, but some rows invalid or failed (see the report and its .errors file)
  4    aborted by --max-errors / --stop-on-error / --max-deletes (resumable with
       --resume), or the mirror phase stopped by --max-missing before touching anyone
  130  interrupted by SIGINT/SIGTERM (resumable with --resume)
`

// usageError marks command-line mistakes (exit 2) where they are found.
type usageError = importer.UsageError

// commonOptions are the flags every data command shares.
type commonOptions struct {
	mapping     string
	report      string
	summaryJSON string
	quiet       bool
	debug       bool
	logFormat   string

	addressesFile    string
	addressesMapping string
}

func (o *commonOptions) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&o.mapping, "mapping", "", "mapping file (YAML) or preset:NAME (see presets); default: the canonical columns")
	f.StringVar(&o.report, "report", "", "report path (.csv or .xlsx); default reports/<input-stem>-<UTC time>.<input format>")
	f.StringVar(&o.summaryJSON, "summary-json", "", "also write the run summary as JSON to this path")
	f.BoolVar(&o.quiet, "quiet", false, "no progress output; only errors and the summary line")
	f.BoolVar(&o.debug, "debug", false, "log every API request (method, path, status, attempt, duration) on stderr; never secrets or tokens")
	f.StringVar(&o.logFormat, "log-format", "text", "log format on stderr: text | json")
	f.StringVar(&o.addressesFile, "addresses-file", "", "a second input holding the customers' addresses, joined to INPUT by the match key")
	f.StringVar(&o.addressesMapping, "addresses-mapping", "", "mapping of --addresses-file (YAML or preset:NAME); default: the -addresses companion of a --mapping preset, else the canonical columns")
}

// fatalSummary writes --summary-json for a run that stopped before the
// importer could write one (config, auth, unreadable input), so that a cron
// job always finds the file and its exit code.
func (o *commonOptions) fatalSummary(command, input string, sum report.Summary, err error) error {
	if err == nil || o.summaryJSON == "" || sum.Command != "" {
		return err
	}
	code := importer.ExitCode(err)
	if code == importer.ExitUsage {
		return err
	}
	if werr := report.WriteJSON(o.summaryJSON, report.Summary{
		Command: command, Input: input, ExitCode: code, Error: err.Error(),
	}); werr != nil {
		return errors.Join(err, werr)
	}
	return err
}

func (o *commonOptions) logger(stderr io.Writer) (*slog.Logger, error) {
	level := slog.LevelInfo
	switch {
	case o.debug:
		level = slog.LevelDebug
	case o.quiet:
		level = slog.LevelWarn
	}
	hopts := &slog.HandlerOptions{Level: level}
	switch o.logFormat {
	case "text":
		return slog.New(slog.NewTextHandler(stderr, hopts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(stderr, hopts)), nil
	}
	return nil, usageError{Err: fmt.Errorf("--log-format must be text or json, not %q", o.logFormat)}
}

// run is main without the process: tests call it with their own args and
// writers. The exit status is importer.ExitCode of the command's error, the
// same function that fills the summary's exit_code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRootCmd(stdout, stderr)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(withArgv(ctx, args))
	code := importer.ExitCode(err)
	if err != nil && code != importer.ExitRowsFailed {
		fmt.Fprintf(stderr, "emporix-import: %v\n", err)
	}
	return code
}

type ctxKey int

const (
	argvKey ctxKey = iota
	forceStopKey
)

// withArgv keeps the command line, for the command that resumes a run.
func withArgv(ctx context.Context, args []string) context.Context {
	return context.WithValue(ctx, argvKey, args)
}

func argvOf(ctx context.Context) []string {
	args, _ := ctx.Value(argvKey).([]string)
	return args
}

// withForceStop carries the channel main closes at a second signal.
func withForceStop(ctx context.Context, ch <-chan struct{}) context.Context {
	return context.WithValue(ctx, forceStopKey, ch)
}

func forceStop(ctx context.Context) <-chan struct{} {
	ch, _ := ctx.Value(forceStopKey).(<-chan struct{})
	return ch
}

func newRootCmd(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "emporix-import",
		Short: "Import and sync customers, addresses and address tags from CSV/XLSX into Emporix",
		Long: `emporix-import reads customers and their addresses from CSV or XLSX files, validates
them, and syncs them into the Emporix Customer Service: create what is missing, update
only what changed, never duplicate. Every input row gets a line in the report.` + "\n" + exitStatusHelp,
		SilenceUsage:  true,
		SilenceErrors: true,
		// Positional arguments are validated (so an unknown command is a
		// typed usage error) only when the root is runnable.
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageError{Err: fmt.Errorf("unknown command %q for \"emporix-import\"", args[0])}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	root.AddCommand(
		newValidateCmd(stdout, stderr),
		newImportCmd(stdout, stderr),
		newEmulatorCmd(stdout, stderr),
		newTemplateCmd(stdout),
		newMappingCmd(stdout),
		newPresetsCmd(stdout),
		newPasswordMigrationCmd(stdout, stderr),
		newVersionCmd(stdout),
		newDoctorCmd(stdout),
		newManCmd(stdout),
	)
	typeUsageErrors(root)
	for _, c := range root.Commands() {
		if c.Long == "" {
			c.Long = c.Short
		}
		c.Long += "\n" + exitStatusHelp
	}
	installProfiles(root, stderr)
	return root
}

// typeUsageErrors makes every flag and argument error of c and its
// subcommands a usageError, so that exit 2 never depends on error text.
func typeUsageErrors(c *cobra.Command) {
	c.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{Err: err} })
	if args := c.Args; args != nil {
		c.Args = func(cmd *cobra.Command, a []string) error {
			if err := args(cmd, a); err != nil && !errors.As(err, new(usageError)) {
				return usageError{Err: err}
			} else if err != nil {
				return err
			}
			return nil
		}
	}
	for _, sub := range c.Commands() {
		typeUsageErrors(sub)
	}
}

// exactArgs is cobra.ExactArgs; typeUsageErrors makes its error a usage error.
func exactArgs(n int) cobra.PositionalArgs { return cobra.ExactArgs(n) }
