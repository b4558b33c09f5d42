package main

import (
	"io"

	"github.com/spf13/cobra"

	"github.com/emporix-import/emporix-import/importer"
)

func newValidateCmd(_, stderr io.Writer) *cobra.Command {
	var opts commonOptions
	var allowEmpty bool
	cmd := &cobra.Command{
		Use:   "validate INPUT",
		Short: "Offline dry run: read, map and validate every row; write the report (no network)",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			logger, err := opts.logger(stderr)
			if err != nil {
				return err
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
			})
			return opts.fatalSummary("validate", args[0], sum, err)
		},
	}
	opts.register(cmd)
	cmd.Flags().BoolVar(&allowEmpty, "allow-empty", false, "accept an input without data rows (else exit 1)")
	return cmd
}
