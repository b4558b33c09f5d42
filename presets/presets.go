// Package presets holds the built-in mappings, embedded in the binary and
// selected with `--mapping preset:NAME`. It only stores them: the mapping
// package parses them like any mapping file.
package presets

import (
	"bytes"
	"embed"
	"path"
	"slices"
	"strings"
)

// Prefix selects a preset where a mapping file name is expected.
const Prefix = "preset:"

//go:embed *.yaml
var files embed.FS

// Preset is one built-in mapping.
type Preset struct {
	Name        string // as in preset:NAME
	Description string // the first comment line of the file
	Source      []byte // the mapping YAML
}

// List returns every preset, sorted by name.
func List() []Preset {
	entries, err := files.ReadDir(".")
	if err != nil {
		panic("presets: " + err.Error()) // embedded: cannot fail
	}
	out := make([]Preset, 0, len(entries))
	for _, e := range entries {
		p, _ := Get(strings.TrimSuffix(e.Name(), path.Ext(e.Name())))
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b Preset) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Names returns the preset names, sorted.
func Names() []string {
	var names []string
	for _, p := range List() {
		names = append(names, p.Name)
	}
	return names
}

// Get returns the preset called name.
func Get(name string) (Preset, bool) {
	if name == "" || strings.ContainsAny(name, "/\\.") {
		return Preset{}, false
	}
	src, err := files.ReadFile(name + ".yaml")
	if err != nil {
		return Preset{}, false
	}
	return Preset{Name: name, Description: description(src), Source: src}, true
}

// description is the text of the file's first comment line.
func description(src []byte) string {
	first, _, _ := bytes.Cut(src, []byte("\n"))
	return strings.TrimSpace(strings.TrimPrefix(string(first), "#"))
}
