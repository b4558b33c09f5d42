package main

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/emporix-import/emporix-import/internal/profile"
)

// registerCompletions completes --profile with the config file's profile
// names and --mapping with mapping files. Cobra adds the `completion bash|zsh|
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

// completeMapping offers YAML files; this build has no built-in presets to
// offer as preset:NAME.
func completeMapping(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return []string{"yaml", "yml"}, cobra.ShellCompDirectiveFilterFileExt
}
