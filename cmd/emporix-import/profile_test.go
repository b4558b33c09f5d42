package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emporix-import/emporix-import/emulator"
)

// isolateConfig points the default config path at an empty directory and
// clears every variable a profile competes with, so that the machine's own
// config and environment never leak into a test.
func isolateConfig(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", dir)
	for _, k := range []string{"EMPORIX_PROFILE", "EMPORIX_API_URL", "EMPORIX_TENANT", "EMPORIX_CLIENT_ID", "EMPORIX_CLIENT_SECRET"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	return filepath.Join(dir, "emporix-import", "config.yaml")
}

func writeFile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

// parsedFlags runs the root's pre-run for `import` with args and returns the
// import command's resulting flag values, without importing anything.
func parsedFlags(t *testing.T, args ...string) (map[string]string, string, error) {
	t.Helper()
	var stderr bytes.Buffer
	root := newRootCmd(io.Discard, &stderr)
	cmd, rest, err := root.Find(append([]string{"import"}, args...))
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.ParseFlags(rest); err != nil {
		t.Fatal(err)
	}
	cmd.SetContext(context.Background())
	err = root.PersistentPreRunE(cmd, nil)
	got := map[string]string{}
	for _, n := range []string{"api-url", "tenant", "client-id", "client-secret-file", "rate", "concurrency", "mapping", "quiet"} {
		got[n] = cmd.Flags().Lookup(n).Value.String()
	}
	return got, stderr.String(), err
}

func TestProfilePrecedence(t *testing.T) {
	cfgPath := isolateConfig(t)
	secret := filepath.Join(t.TempDir(), "secret")
	writeFile(t, secret, "s", 0o600)
	writeFile(t, cfgPath, `profiles:
  default:
    tenant: deftenant
  prod:
    api_url: https://prod.example.com
    tenant: prodtenant
    client_id: prodclient
    client_secret_file: `+secret+`
    rate: 7
    concurrency: 3
    mapping: erp.yaml
    quiet: true
`, 0o600)

	tests := []struct {
		name string
		env  map[string]string
		args []string
		want map[string]string
	}{
		{name: "no --profile: the profile named default, else built-in defaults", args: []string{"--profile", ""},
			want: map[string]string{"api-url": "https://api.emporix.io", "tenant": "deftenant", "rate": "20", "concurrency": "8"}},
		{name: "profile over defaults", args: []string{"--profile", "prod"},
			want: map[string]string{"api-url": "https://prod.example.com", "tenant": "prodtenant", "client-id": "prodclient",
				"client-secret-file": secret, "rate": "7", "concurrency": "3", "mapping": "erp.yaml", "quiet": "true"}},
		{name: "EMPORIX_PROFILE selects", env: map[string]string{"EMPORIX_PROFILE": "prod"},
			want: map[string]string{"tenant": "prodtenant", "rate": "7"}},
		{name: "--profile over EMPORIX_PROFILE", env: map[string]string{"EMPORIX_PROFILE": "prod"}, args: []string{"--profile", "default"},
			want: map[string]string{"tenant": "deftenant", "rate": "20"}},
		{name: "environment over profile",
			env:  map[string]string{"EMPORIX_TENANT": "envtenant", "EMPORIX_API_URL": "https://env.example.com", "EMPORIX_CLIENT_SECRET": "x"},
			args: []string{"--profile", "prod"},
			want: map[string]string{"tenant": "envtenant", "api-url": "https://env.example.com", "client-secret-file": "", "client-id": "prodclient"}},
		{name: "flags over environment and profile", env: map[string]string{"EMPORIX_TENANT": "envtenant"},
			args: []string{"--profile", "prod", "--tenant", "flagtenant", "--rate", "2", "--quiet=false"},
			want: map[string]string{"tenant": "flagtenant", "rate": "2", "concurrency": "3", "quiet": "false"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			got, _, err := parsedFlags(t, tt.args...)
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("--%s = %q, want %q", k, got[k], v)
				}
			}
		})
	}
}

func TestProfileRefusals(t *testing.T) {
	tests := []struct {
		name, config, profile, wantErr string
	}{
		{name: "inline secret", config: "profiles:\n  p:\n    tenant: x\n    client_secret: hunter2\n", profile: "p",
			wantErr: `line 4: profile "p" stores client_secret inline: refused`},
		{name: "unknown key", config: "profiles:\n  p:\n    tennant: x\n", profile: "p",
			wantErr: `line 3: profile "p": unknown key tennant`},
		{name: "bad value", config: "profiles:\n  p:\n    rate: fast\n", profile: "p",
			wantErr: `line 3: profile "p": rate: `},
		{name: "no such profile", config: "profiles:\n  p: {tenant: x}\n", profile: "q",
			wantErr: `profile "q"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfgPath := isolateConfig(t)
			writeFile(t, cfgPath, tt.config, 0o600)
			_, _, err := parsedFlags(t, "--profile", tt.profile)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want containing %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Fatalf("the secret leaked: %v", err)
			}
			if code, _ := cli(t, "import", "x.csv", "--profile", tt.profile); code != exitFatal {
				t.Errorf("exit %d, want %d", code, exitFatal)
			}
		})
	}
}

func TestProfileConfigFileSelection(t *testing.T) {
	isolateConfig(t)
	other := filepath.Join(t.TempDir(), "other.yaml")
	writeFile(t, other, "profiles:\n  x: {tenant: othertenant}\n", 0o600)
	got, _, err := parsedFlags(t, "--config", other, "--profile", "x")
	if err != nil || got["tenant"] != "othertenant" {
		t.Fatalf("--config: tenant %q, err %v", got["tenant"], err)
	}
	// No config file at the default path: fine unless a profile is asked for.
	if _, _, err := parsedFlags(t); err != nil {
		t.Fatalf("no config, no profile: %v", err)
	}
	if _, _, err := parsedFlags(t, "--profile", "x"); err == nil {
		t.Fatal("--profile without a config file: no error")
	}
	if _, _, err := parsedFlags(t, "--config", filepath.Join(t.TempDir(), "missing.yaml")); err == nil {
		t.Fatal("missing --config file: no error")
	}
}

func TestProfileWarnsLooseSecret(t *testing.T) {
	for _, tt := range []struct {
		mode os.FileMode
		warn bool
	}{{0o600, false}, {0o644, true}, {0o640, true}} {
		cfgPath := isolateConfig(t)
		secret := filepath.Join(t.TempDir(), "secret")
		writeFile(t, secret, "s", tt.mode)
		writeFile(t, cfgPath, "profiles:\n  p: {client_secret_file: "+secret+"}\n", 0o600)
		_, stderr, err := parsedFlags(t, "--profile", "p")
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(stderr, "readable by group/others") && strings.Contains(stderr, "chmod 600 "+secret); got != tt.warn {
			t.Errorf("mode %04o: warned = %v (%q), want %v", tt.mode, got, stderr, tt.warn)
		}
	}
}

// TestProfileNotForEmulator: the emulator's --tenant configures the emulator,
// never a profile's tenant.
func TestProfileNotForEmulator(t *testing.T) {
	cfgPath := isolateConfig(t)
	writeFile(t, cfgPath, "profiles:\n  default: {tenant: proftenant}\n", 0o600)
	root := newRootCmd(io.Discard, io.Discard)
	cmd, _, err := root.Find([]string{"emulator"})
	if err != nil {
		t.Fatal(err)
	}
	cmd.SetContext(context.Background())
	if err := root.PersistentPreRunE(cmd, nil); err != nil {
		t.Fatal(err)
	}
	if got := cmd.Flags().Lookup("tenant").Value.String(); got != emulator.DefaultConfig().Tenant {
		t.Errorf("emulator --tenant = %q", got)
	}
}

// TestImportWithProfileOnly is the acceptance path: no connection flags, no
// environment, the secret in a 0600 file named by the profile.
func TestImportWithProfileOnly(t *testing.T) {
	ten := newTenant(t, emulator.Config{})
	cfgPath := isolateConfig(t)
	dir := t.TempDir()
	secret := filepath.Join(dir, "secret")
	writeFile(t, secret, emulator.DefaultConfig().ClientSecret+"\n", 0o600)
	writeFile(t, cfgPath, `profiles:
  emu:
    api_url: `+ten.url+`
    tenant: `+emulator.DefaultConfig().Tenant+`
    client_id: `+emulator.DefaultConfig().ClientID+`
    client_secret_file: `+secret+`
    rate: 0
    quiet: true
`, 0o600)
	report := filepath.Join(dir, "r.csv")
	code, stderr := cli(t, "import", "testdata/small.csv", "--profile", "emu", "--report", report)
	if code != exitRowsFailed { // testdata/small.csv has one invalid row
		t.Fatalf("exit %d, want %d; stderr: %s", code, exitRowsFailed, stderr)
	}
	if n := len(ten.State().Customers); n != 3 {
		t.Fatalf("%d customers imported, want 3", n)
	}
	// A flag overrides the profile: a wrong tenant on the command line is used (and refused).
	code, stderr = cli(t, "import", "testdata/small.csv", "--profile", "emu", "--report", report, "--tenant", "othertenant")
	if code != exitFatal {
		t.Fatalf("--tenant over the profile: exit %d, want %d; stderr: %s", code, exitFatal, stderr)
	}
}
