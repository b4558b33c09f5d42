package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/emporix-import/emporix-import/mapping"
	"github.com/emporix-import/emporix-import/presets"
)

func newPresetsCmd(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "presets [NAME]",
		Short: "List the built-in mappings (--mapping preset:NAME) and the headers they expect",
		Long: `List the built-in mappings, usable as --mapping preset:NAME, with the columns each
expects in the input's header. With NAME, print that mapping's YAML (a starting point
for a mapping file of your own).`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usageError{Err: fmt.Errorf("accepts at most 1 arg, received %d", len(args))}
			}
			return nil
		},
		RunE: func(_ *cobra.Command, args []string) error {
			if len(args) == 1 {
				src, err := mapping.ReadSource(presets.Prefix + args[0])
				if err != nil {
					return err
				}
				_, err = stdout.Write(src)
				return err
			}
			return listPresets(stdout)
		},
	}
}

func listPresets(w io.Writer) error {
	for i, p := range presets.List() {
		m, err := mapping.Load(presets.Prefix + p.Name)
		if err != nil {
			return fmt.Errorf("preset %s: %w", p.Name, err) // a broken build: tests load every preset
		}
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "%s\n  %s\n  use:     --mapping preset:%s\n", p.Name, p.Description, p.Name)
		if in := m.Input; in.Delimiter != 0 || in.Encoding != "" {
			fmt.Fprintf(w, "  input:   delimiter %q, encoding %s\n", string(in.Delimiter), orDefault(in.Encoding, "sniffed"))
		}
		fmt.Fprintf(w, "  match:   %s\n  columns: %s\n", m.Match, strings.Join(m.Columns(), ", "))
	}
	return nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
