// Package profile loads named connection profiles from the emporix-import
// config file ($XDG_CONFIG_HOME/emporix-import/config.yaml):
//
//	profiles:
//	  production:
//	    api_url: https://api.emporix.io
//	    tenant: myshop
//	    client_id: abc123
//	    client_secret_file: ~/.config/emporix-import/production.secret
//	    rate: 10
//	    concurrency: 4
//	    mapping: /etc/emporix-import/erp.yaml
//
// Every key other than the four connection keys is the default of the command
// flag of the same name (underscores for dashes). A client secret is never
// stored in the file: a profile carrying `client_secret` is refused.
package profile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// EnvProfile selects a profile when --profile is not given.
const EnvProfile = "EMPORIX_PROFILE"

// DefaultName is the profile used when none is selected, if the file has it.
const DefaultName = "default"

// Profile is one named profile: flag name (with dashes) → value as text.
type Profile struct {
	Name   string
	File   string            // config file it came from
	Values map[string]string // "api-url", "tenant", "rate", ...
	Lines  map[string]int    // flag name → line in File, for error messages
}

// Get returns the value for a flag name and whether the profile sets it.
func (p *Profile) Get(flag string) (string, bool) {
	if p == nil {
		return "", false
	}
	v, ok := p.Values[flag]
	return v, ok
}

// Keys returns the profile's flag names, sorted.
func (p *Profile) Keys() []string { return slices.Sorted(maps.Keys(p.Values)) }

// Config is the parsed config file.
type Config struct {
	File     string
	Profiles map[string]*Profile
}

// Names returns the profile names, sorted.
func (c *Config) Names() []string { return slices.Sorted(maps.Keys(c.Profiles)) }

// Error is a problem with the config file; Line is 0 when unknown.
type Error struct {
	File string
	Line int
	Msg  string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("config %s, line %d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("config %s: %s", e.File, e.Msg)
}

// ErrNoProfile means the selected profile is not in the file.
var ErrNoProfile = errors.New("no such profile")

// DefaultPath is $XDG_CONFIG_HOME/emporix-import/config.yaml, falling back to
// ~/.config when XDG_CONFIG_HOME is unset or not absolute (XDG base dir rules).
func DefaultPath() string {
	dir := os.Getenv("XDG_CONFIG_HOME")
	if dir == "" || !filepath.IsAbs(dir) {
		home, err := os.UserHomeDir()
		if err != nil {
			return ""
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "emporix-import", "config.yaml")
}

// Load reads and checks the config file. A missing file yields os.ErrNotExist
// (wrapped), so callers can treat an absent default file as "no profiles".
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(path, data)
}

// Parse checks data as the config file named path.
func Parse(path string, data []byte) (*Config, error) {
	var doc struct {
		Profiles yaml.Node `yaml:"profiles"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) { // io.EOF: empty file
		return nil, &Error{File: path, Msg: strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	cfg := &Config{File: path, Profiles: map[string]*Profile{}}
	n := &doc.Profiles
	if n.Kind == 0 {
		return cfg, nil
	}
	if n.Kind != yaml.MappingNode {
		return nil, &Error{File: path, Line: n.Line, Msg: "profiles must be a mapping of profile names"}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		name, body := n.Content[i], n.Content[i+1]
		p, err := parseProfile(path, name.Value, body)
		if err != nil {
			return nil, err
		}
		cfg.Profiles[name.Value] = p
	}
	return cfg, nil
}

func parseProfile(path, name string, body *yaml.Node) (*Profile, error) {
	if body.Kind != yaml.MappingNode {
		return nil, &Error{File: path, Line: body.Line, Msg: fmt.Sprintf("profile %q must be a mapping of keys", name)}
	}
	p := &Profile{Name: name, File: path, Values: map[string]string{}, Lines: map[string]int{}}
	for i := 0; i+1 < len(body.Content); i += 2 {
		k, v := body.Content[i], body.Content[i+1]
		flag := strings.ReplaceAll(k.Value, "_", "-")
		if flag == "client-secret" {
			return nil, &Error{File: path, Line: k.Line, Msg: fmt.Sprintf(
				"profile %q stores client_secret inline: refused; put the secret in a file readable only by you (chmod 600) and name it with client_secret_file", name)}
		}
		if v.Kind != yaml.ScalarNode {
			return nil, &Error{File: path, Line: v.Line, Msg: fmt.Sprintf("profile %q: %s must be a single value", name, k.Value)}
		}
		if _, dup := p.Values[flag]; dup {
			return nil, &Error{File: path, Line: k.Line, Msg: fmt.Sprintf("profile %q: %s given twice", name, k.Value)}
		}
		p.Values[flag] = expandHome(v.Value)
		p.Lines[flag] = k.Line
	}
	return p, nil
}

// expandHome expands a leading "~/" so that secret and mapping paths can be
// written the way operators write them in a shell.
func expandHome(v string) string {
	rest, ok := strings.CutPrefix(v, "~/")
	if !ok {
		return v
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return v
	}
	return filepath.Join(home, rest)
}

// Select picks the profile to use: name (from --profile) if set, else
// $EMPORIX_PROFILE, else the profile named "default" when the file has one.
// It returns nil, nil when nothing is selected. An explicitly selected
// profile that does not exist is an error.
func (c *Config) Select(name string) (*Profile, error) {
	if name == "" {
		name = os.Getenv(EnvProfile)
	}
	if name == "" {
		return c.Profiles[DefaultName], nil
	}
	p, ok := c.Profiles[name]
	if !ok {
		return nil, fmt.Errorf("profile %q (config %s; has: %s): %w", name, c.File, strings.Join(c.Names(), ", "), ErrNoProfile)
	}
	return p, nil
}

// LooseSecret reports whether the secret file at path can be read by group or
// others: such a file still works, but the caller should warn.
func LooseSecret(path string) (fs.FileMode, bool, error) {
	st, err := os.Stat(path)
	if err != nil {
		return 0, false, fmt.Errorf("client secret file: %w", err)
	}
	mode := st.Mode().Perm()
	return mode, mode&0o044 != 0, nil
}
