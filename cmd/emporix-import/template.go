package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/emporix-import/emporix-import/template"
)

func newTemplateCmd(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "template OUT.csv|OUT.xlsx",
		Short: "Write a blank input template with the canonical columns",
		Long: `Write a blank input template with the canonical columns. The XLSX template has
dropdowns for title, country, currency, language, tags and the boolean columns.`,
		Args: exactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			if err := template.Write(args[0]); err != nil {
				return err
			}
			_, err := fmt.Fprintf(stdout, "template written to %s\n", args[0])
			return err
		},
	}
}
