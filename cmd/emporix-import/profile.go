package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/emporix-import/emporix-import/internal/profile"
)

const profileHelp = `
PROFILES
  --profile NAME (or EMPORIX_PROFILE) takes connection settings and flag
  defaults from the config file ($XDG_CONFIG_HOME/emporix-import/config.yaml,
  else ~/.config/emporix-import/config.yaml; --config to override). Without
  either, a profile named "default" is used when the file has one.
  Precedence: command-line flag > environment variable > profile > built-in default.
`

// flagEnv names the environment variable that outranks a profile for a flag.
// EMPORIX_CLIENT_SECRET outranks a profile's client_secret_file.
var flagEnv = map[string]string{
	"api-url":            "EMPORIX_API_URL",
	"tenant":             "EMPORIX_TENANT",
	"client-id":          "EMPORIX_CLIENT_ID",
	"client-secret-file": "EMPORIX_CLIENT_SECRET",
}

// noProfile lists the commands profiles never apply to: the emulator's
// --tenant and --client-id configure the emulator itself, the others take no
// connection settings.
var noProfile = map[string]bool{"emulator": true, "completion": true, "version": true, "man": true, "help": true, "template": true}

type profileKey struct{}

// profileName returns the profile that applied to cmd's run, or "".
func profileName(cmd *cobra.Command) string {
	if cmd.Context() == nil {
		return ""
	}
	name, _ := cmd.Context().Value(profileKey{}).(string)
	return name
}

// installProfiles adds --config and --profile to root and applies the
// selected profile before any command runs. Call it after every command has
// been added: it registers completions on their flags.
func installProfiles(root *cobra.Command, stderr io.Writer) {
	var configFile, name string
	pf := root.PersistentFlags()
	pf.StringVar(&configFile, "config", "", "config file with profiles (default $XDG_CONFIG_HOME/emporix-import/config.yaml)")
	pf.StringVar(&name, "profile", "", "profile from the config file (env "+profile.EnvProfile+")")
	root.Long += profileHelp
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		if noProfile[topLevel(cmd).Name()] {
			return nil
		}
		p, err := selectProfile(configFile, name)
		if err != nil || p == nil {
			return err
		}
		if err := applyProfile(root, cmd, p, stderr); err != nil {
			return err
		}
		cmd.SetContext(context.WithValue(cmd.Context(), profileKey{}, p.Name))
		return nil
	}
	registerCompletions(root)
}

func topLevel(cmd *cobra.Command) *cobra.Command {
	for cmd.HasParent() && cmd.Parent().HasParent() {
		cmd = cmd.Parent()
	}
	return cmd
}

// selectProfile loads the config file; a missing default file means no
// profiles, unless one was asked for by name.
func selectProfile(configFile, name string) (*profile.Profile, error) {
	path := configFile
	if path == "" {
		path = profile.DefaultPath()
	}
	cfg, err := profile.Load(path)
	asked := name != "" || os.Getenv(profile.EnvProfile) != ""
	if errors.Is(err, fs.ErrNotExist) && configFile == "" && !asked {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return cfg.Select(name)
}

// applyProfile sets each flag of cmd that the profile names, unless the flag
// was given on the command line or its environment variable is set.
func applyProfile(root, cmd *cobra.Command, p *profile.Profile, stderr io.Writer) error {
	known := allFlags(root)
	for _, key := range p.Keys() {
		line := p.Lines[key]
		if !known[key] || key == "config" || key == "profile" {
			return &profile.Error{File: p.File, Line: line, Msg: fmt.Sprintf(
				"profile %q: unknown key %s (keys are flag names with _ for -)", p.Name, strings.ReplaceAll(key, "-", "_"))}
		}
		f := cmd.Flags().Lookup(key)
		if f == nil || f.Changed {
			continue // not a flag of this command, or given on the command line
		}
		if env := flagEnv[key]; env != "" && os.Getenv(env) != "" {
			continue
		}
		v := p.Values[key]
		if err := f.Value.Set(v); err != nil {
			return &profile.Error{File: p.File, Line: line, Msg: fmt.Sprintf("profile %q: %s: %v", p.Name, key, err)}
		}
		if key == "client-secret-file" {
			warnLooseSecret(stderr, v)
		}
	}
	return nil
}

// warnLooseSecret warns (and carries on) when the secret file is readable by
// group or others; a missing file is reported when the secret is read.
func warnLooseSecret(stderr io.Writer, path string) {
	mode, loose, err := profile.LooseSecret(path)
	if err == nil && loose {
		fmt.Fprintf(stderr, "emporix-import: warning: client secret file %s is readable by group/others (mode %04o); run: chmod 600 %s\n",
			path, mode, path)
	}
}

func allFlags(root *cobra.Command) map[string]bool {
	known := map[string]bool{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		c.Flags().VisitAll(func(f *pflag.Flag) { known[f.Name] = true })
		c.PersistentFlags().VisitAll(func(f *pflag.Flag) { known[f.Name] = true })
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	return known
}
