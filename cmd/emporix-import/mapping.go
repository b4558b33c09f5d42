package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/emporix-import/emporix-import/scaffold"
)

func newMappingCmd(stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "mapping",
		Short: "Work with mapping files (mapping init writes a starter mapping for a file)",
		Args:  exactArgs(0),
	}
	cmd.AddCommand(newMappingInitCmd(stdout))
	return cmd
}

func newMappingInitCmd(stdout io.Writer) *cobra.Command {
	var preset string
	cmd := &cobra.Command{
		Use:   "init INPUT [--preset NAME]",
		Short: "Print a starter mapping for INPUT: columns matched by name, synonym and content",
		Long: `Print a starter mapping for INPUT on stdout. Every column is matched to an Emporix
field by its name (German and English synonyms: E-Mail, Email Address, PLZ, Postleitzahl,
Zip, Vorname, First Name, Straße, Land, …) or by its cells (e-mail addresses, country
codes, zip codes); each line's comment says how. Columns nothing matched are listed as
comments at the end. The mapping is checked to fit INPUT before it is printed.

With --preset NAME the built-in mapping NAME is printed instead, followed by the
columns of INPUT it does not read (and, exit 1, the columns it needs that INPUT lacks).

  emporix-import mapping init export.csv > mapping.yaml
  emporix-import validate export.csv --mapping mapping.yaml --show 3`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			res, err := scaffold.Generate(cmd.Context(), args[0], preset)
			if res != nil {
				if _, werr := io.WriteString(stdout, res.YAML); werr != nil {
					return werr
				}
			}
			if err != nil {
				return fmt.Errorf("mapping init: %w", err)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&preset, "preset", "", "start from this built-in mapping (see emporix-import presets)")
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{Err: err} })
	return cmd
}
