package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/emporix-import/emporix-import/importer"
	"github.com/emporix-import/emporix-import/report"
)

func newValidateCmd(stdout, stderr io.Writer) *cobra.Command {
	var opts commonOptions
	var allowEmpty bool
	var show int
	cmd := &cobra.Command{
		Use:   "validate INPUT",
		Short: "Offline dry run: read, map and validate every row; write the report (no network)",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			logger, err := opts.logger(stderr)
			if err != nil {
				return err
			}
			if show < 0 {
				return usageError{Err: fmt.Errorf("--show must be 0 or more, not %d", show)}
			}
			if show > 0 {
				// The first customers as they would be sent, before the report.
				if err := importer.Show(cmd.Context(), importer.Config{Input: args[0], MappingFile: opts.mapping,
					AddressesFile: opts.addressesFile, AddressesMapping: opts.addressesMapping}, show, stdout); err != nil {
					return opts.fatalSummary("validate", args[0], report.Summary{}, err)
				}
			}
			sum, err := importer.Validate(cmd.Context(), importer.Config{
				Input:       args[0],
				MappingFile: opts.mapping,
				Report:      opts.report,
				SummaryJSON: opts.summaryJSON,
				Quiet:       opts.quiet,
				Stderr:      stderr,
				Logger:      logger,
				LogProblems: opts.logFormat == "json",
				AllowEmpty:  allowEmpty,

				AddressesFile:    opts.addressesFile,
				AddressesMapping: opts.addressesMapping,
			})
			return opts.fatalSummary("validate", args[0], sum, err)
		},
	}
	opts.register(cmd)
	cmd.Flags().BoolVar(&allowEmpty, "allow-empty", false, "accept an input without data rows (else exit 1)")
	cmd.Flags().IntVar(&show, "show", 0, "print the first N mapped customers as JSON, as they would be sent (secrets redacted)")
	return cmd
}
