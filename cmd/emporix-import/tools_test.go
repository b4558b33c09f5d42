package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/emporix-import/emporix-import/presets"
)

func TestReadVersion(t *testing.T) {
	bi := &debug.BuildInfo{GoVersion: "go1.99", Main: debug.Module{Version: "v1.2.3"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.time", Value: "2026-11-30T10:00:00Z"},
		{Key: "vcs.modified", Value: "true"},
	}}
	got := readVersion(bi, true)
	if got.Version != "v1.2.3" || got.Revision != "0123456789abcdef0123" || !got.Dirty || got.GoVersion != "go1.99" ||
		got.RevisionTime != "2026-11-30T10:00:00Z" {
		t.Errorf("stamped: %+v", got)
	}
	if s := got.String(); !strings.Contains(s, "0123456789ab (dirty") || strings.Contains(s, "0123456789abc") {
		t.Errorf("text: %q", s)
	}
	devel := readVersion(&debug.BuildInfo{GoVersion: "go1.99", Main: debug.Module{Version: "(devel)"}}, true)
	if devel.Version != "dev" || devel.Revision != "" || devel.Dirty {
		t.Errorf("unstamped: %+v", devel)
	}
	old := version
	version = "v9.9.9" // -ldflags -X main.version wins over the module version
	t.Cleanup(func() { version = old })
	if v := readVersion(bi, true); v.Version != "v9.9.9" {
		t.Errorf("ldflags version: %+v", v)
	}
}

func TestVersionCommand(t *testing.T) {
	var out bytes.Buffer
	if code := run(context.Background(), []string{"version", "--json"}, &out, &bytes.Buffer{}); code != 0 {
		t.Fatalf("exit %d", code)
	}
	var v versionInfo
	if err := json.Unmarshal(out.Bytes(), &v); err != nil || v.Version == "" || !strings.HasPrefix(v.GoVersion, "go") || v.Platform == "" {
		t.Fatalf("%v: %s", err, out.String())
	}
	out.Reset()
	run(context.Background(), []string{"version"}, &out, &bytes.Buffer{})
	if !strings.HasPrefix(out.String(), "emporix-import "+v.Version+"\n") || !strings.Contains(out.String(), "go:") {
		t.Errorf("text: %q", out.String())
	}
}

func TestCompletionBashSources(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		var out bytes.Buffer
		if code := run(context.Background(), []string{"completion", shell}, &out, &bytes.Buffer{}); code != 0 || out.Len() == 0 {
			t.Fatalf("completion %s: exit %d, %d bytes", shell, code, out.Len())
		}
		if shell != "bash" {
			continue
		}
		script := filepath.Join(t.TempDir(), "c.bash")
		if err := os.WriteFile(script, out.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(bash, "-c", `set -e; source "$1"; complete -p emporix-import`, "bash", script)
		if b, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(b), "emporix-import") {
			t.Fatalf("sourcing the bash completion: %v\n%s", err, b)
		}
	}
}

// complete runs cobra's hidden __complete command, which the shell scripts call.
func complete(t *testing.T, args ...string) []string {
	t.Helper()
	var out bytes.Buffer
	run(context.Background(), append([]string{cobra.ShellCompRequestCmd}, args...), &out, &bytes.Buffer{})
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	return lines[:len(lines)-1] // the last line is the directive
}

func TestCompletionProfiles(t *testing.T) {
	cfgPath := isolateConfig(t)
	writeFile(t, cfgPath, "profiles:\n  prod: {tenant: a}\n  staging: {tenant: b}\n  shop2: {tenant: c}\n", 0o600)
	if got := complete(t, "import", "--profile", ""); !slices.Equal(got, []string{"prod", "shop2", "staging"}) {
		t.Errorf("--profile: %q", got)
	}
	if got := complete(t, "doctor", "--profile", "s"); !slices.Equal(got, []string{"shop2", "staging"}) {
		t.Errorf("--profile s: %q", got)
	}
	other := filepath.Join(t.TempDir(), "o.yaml")
	writeFile(t, other, "profiles:\n  only: {tenant: a}\n", 0o600)
	if got := complete(t, "import", "--config", other, "--profile", ""); !slices.Equal(got, []string{"only"}) {
		t.Errorf("--config o.yaml --profile: %q", got)
	}
}

func TestCompletionMapping(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	for _, f := range []string{"erp.yaml", "old.YML", "input.csv", "maps/x.yaml", "pre[1].yaml"} {
		writeFile(t, filepath.Join(dir, f), "", 0o600)
	}
	var all []string
	for _, n := range presets.Names() {
		all = append(all, "preset:"+n)
	}
	if len(all) == 0 {
		t.Fatal("no presets")
	}
	tests := []struct {
		typed string
		want  []string
	}{
		{"", append(slices.Clone(all), "erp.yaml", "maps/", "old.YML", "pre[1].yaml")},
		{"pre", append(slices.Clone(all), "pre[1].yaml")},
		{"preset:", all},
		{"preset:sh", []string{"preset:shopify"}},
		{"pre[", []string{"pre[1].yaml"}},
		{"maps/", []string{"maps/x.yaml"}},
		{"in", nil},
	}
	for _, tt := range tests {
		for _, sub := range []string{"import", "validate", "doctor"} {
			got := complete(t, sub, "--mapping", tt.typed)
			slices.Sort(got)
			want := slices.Clone(tt.want)
			slices.Sort(want)
			if !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
				t.Errorf("%s --mapping %q: %q, want %q", sub, tt.typed, got, want)
			}
		}
	}
}

func TestManPages(t *testing.T) {
	dir := t.TempDir()
	if code, stderr := cli(t, "man", "--dir", dir); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var want []string
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if !c.IsAvailableCommand() && c.HasParent() {
			return
		}
		want = append(want, strings.ReplaceAll(c.CommandPath(), " ", "-")+".1")
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	root := newRootCmd(&bytes.Buffer{}, &bytes.Buffer{})
	root.InitDefaultCompletionCmd()
	walk(root)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("pages %v, want one per command %v", got, want)
	}
	page, err := os.ReadFile(filepath.Join(dir, "emporix-import-doctor.1"))
	if err != nil || !bytes.Contains(page, []byte(".TH \"EMPORIX-IMPORT\" \"1\"")) || !bytes.Contains(page, []byte("EXIT STATUS")) {
		t.Errorf("doctor page: %v\n%.300s", err, page)
	}
}
