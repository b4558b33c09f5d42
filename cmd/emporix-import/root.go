package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/spf13/cobra"

	"github.com/emporix-import/emporix-import/importer"
	"github.com/emporix-import/emporix-import/report"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// Exit codes: SPEC §2.
const (
	exitOK          = 0
	exitFatal       = 1
	exitUsage       = 2
	exitRowsFailed  = 3
	exitAborted     = 4
	exitInterrupted = 130
)

const exitStatusHelp = `
EXIT STATUS
  0    every row ok (created, updated, unchanged; for validate: valid)
  1    fatal: config, auth refused, unreadable input, missing mapped columns,
       report not writable — nothing written
  2    usage error
  3    finished, but some rows invalid or failed (see the report and its .errors file)
  4    aborted by --max-errors / --stop-on-error (resumable with --resume)
  130  interrupted by SIGINT/SIGTERM (resumable with --resume)
`

// usageError marks command-line mistakes (exit 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// commonOptions are the flags every data command shares.
type commonOptions struct {
	mapping     string
	report      string
	summaryJSON string
	quiet       bool
	debug       bool
	logFormat   string
}

func (o *commonOptions) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&o.mapping, "mapping", "", "mapping file (YAML); default: the canonical columns")
	f.StringVar(&o.report, "report", "", "report path (.csv or .xlsx); default reports/<input-stem>-<UTC time>.<input format>")
	f.StringVar(&o.summaryJSON, "summary-json", "", "also write the run summary as JSON to this path")
	f.BoolVar(&o.quiet, "quiet", false, "no progress output; only errors and the summary line")
	f.BoolVar(&o.debug, "debug", false, "log every API request (method, path, status, attempt, duration) on stderr; never secrets or tokens")
	f.StringVar(&o.logFormat, "log-format", "text", "log format on stderr: text | json")
}

// fatalSummary writes --summary-json for a run that stopped before the
// importer could write one (config, auth, unreadable input), so that a cron
// job always finds the file and its exit code.
func (o *commonOptions) fatalSummary(command, input string, sum report.Summary, err error) error {
	if err == nil || o.summaryJSON == "" || sum.Command != "" {
		return err
	}
	code := exitCode(err)
	if code == exitUsage {
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
	return nil, usageError{fmt.Errorf("--log-format must be text or json, not %q", o.logFormat)}
}

// run is main without the process: tests call it with their own args and writers.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRootCmd(stdout, stderr)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	code := exitCode(err)
	if err != nil && code != exitRowsFailed {
		fmt.Fprintf(stderr, "emporix-import: %v\n", err)
	}
	return code
}

func exitCode(err error) int {
	var ue usageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue):
		return exitUsage
	case errors.Is(err, importer.ErrRowsFailed):
		return exitRowsFailed
	case errors.Is(err, importer.ErrAborted):
		return exitAborted
	case errors.Is(err, importer.ErrInterrupted):
		return exitInterrupted
	case isCobraUsage(err):
		return exitUsage
	}
	return exitFatal
}

// isCobraUsage recognises cobra's own argument errors, which it does not type.
func isCobraUsage(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "accepts ", "requires at least", "invalid argument", "flag needs an argument"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
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
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(
		newValidateCmd(stdout, stderr),
		newImportCmd(stdout, stderr),
		newEmulatorCmd(stdout, stderr),
		newTemplateCmd(stdout),
		newVersionCmd(stdout),
		newDoctorCmd(stdout),
		newManCmd(stdout),
	)
	for _, c := range root.Commands() {
		c.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
		if c.Long == "" {
			c.Long = c.Short
		}
		c.Long += "\n" + exitStatusHelp
	}
	installProfiles(root, stderr)
	return root
}

// exactArgs wraps cobra.ExactArgs so argument mistakes exit 2.
func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := cobra.ExactArgs(n)(cmd, args); err != nil {
			return usageError{err}
		}
		return nil
	}
}
