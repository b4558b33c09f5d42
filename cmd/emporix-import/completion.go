package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/emporix-import/emporix-import/internal/profile"
	"github.com/emporix-import/emporix-import/presets"
)

// registerCompletions completes --profile with the config file's profile
// names and --mapping with preset:NAME and mapping files. Cobra adds the `completion bash|zsh|
// fish|powershell` command itself.
func registerCompletions(root *cobra.Command) {
	_ = root.RegisterFlagCompletionFunc("profile", completeProfiles)
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Flags().Lookup("mapping") != nil {
			_ = c.RegisterFlagCompletionFunc("mapping", completeMapping)
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

func completeProfiles(cmd *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	path, _ := cmd.Flags().GetString("config")
	if path == "" {
		path = profile.DefaultPath()
	}
	cfg, err := profile.Load(path)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveError
	}
	var out []string
	for _, n := range cfg.Names() {
		if strings.HasPrefix(n, toComplete) {
			out = append(out, n)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// completeMapping offers the built-in presets as preset:NAME together with
// directories and YAML files, so both kinds of --mapping complete in one list.
func completeMapping(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	var out []string
	for _, n := range presets.Names() {
		if c := presets.Prefix + n; strings.HasPrefix(c, toComplete) {
			out = append(out, c)
		}
	}
	dirs := false
	if !strings.HasPrefix(toComplete, presets.Prefix) {
		matches, _ := filepath.Glob(globEscaper.Replace(toComplete) + "*")
		for _, m := range matches {
			st, err := os.Stat(m)
			switch {
			case err != nil:
			case st.IsDir():
				out, dirs = append(out, m+string(filepath.Separator)), true
			case slices.Contains([]string{".yaml", ".yml"}, strings.ToLower(filepath.Ext(m))):
				out = append(out, m)
			}
		}
	}
	dir := cobra.ShellCompDirectiveNoFileComp
	if dirs {
		dir |= cobra.ShellCompDirectiveNoSpace // a directory is completed further
	}
	return out, dir
}

// globEscaper keeps what the user typed literal in the glob pattern.
var globEscaper = strings.NewReplacer(`\`, `\\`, `*`, `\*`, `?`, `\?`, `[`, `\[`)
