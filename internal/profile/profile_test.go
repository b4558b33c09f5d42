package profile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string
		want    map[string]map[string]string
		wantErr string // substring; "" = no error
	}{
		{name: "empty file", yaml: "", want: map[string]map[string]string{}},
		{name: "profiles", yaml: `
profiles:
  staging:
    api_url: https://api.emporix.io
    tenant: shopstage
    client_id: abc
    client_secret_file: /etc/secret
    rate: 5
    concurrency: 2
    dry_run: true
  prod:
    tenant: shop
`, want: map[string]map[string]string{
			"staging": {"api-url": "https://api.emporix.io", "tenant": "shopstage", "client-id": "abc",
				"client-secret-file": "/etc/secret", "rate": "5", "concurrency": "2", "dry-run": "true"},
			"prod": {"tenant": "shop"},
		}},
		{name: "inline secret refused", yaml: "profiles:\n  p:\n    tenant: x\n    client_secret: hunter2\n",
			wantErr: "line 4: profile \"p\" stores client_secret inline: refused"},
		{name: "inline secret, dashed", yaml: "profiles:\n  p:\n    client-secret: hunter2\n", wantErr: "line 3: profile \"p\" stores client_secret inline"},
		{name: "nested value", yaml: "profiles:\n  p:\n    rate: [1, 2]\n", wantErr: "line 3: profile \"p\": rate must be a single value"},
		{name: "profile not a mapping", yaml: "profiles:\n  p: 3\n", wantErr: "line 2: profile \"p\" must be a mapping"},
		{name: "profiles not a mapping", yaml: "profiles: [a]\n", wantErr: "profiles must be a mapping"},
		{name: "unknown top-level key", yaml: "profile:\n  p: {}\n", wantErr: "field profile not found"},
		{name: "duplicate after normalising", yaml: "profiles:\n  p:\n    dry_run: true\n    dry-run: false\n", wantErr: "dry-run given twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse("c.yaml", []byte(tt.yaml))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want containing %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "hunter2") {
					t.Fatalf("error leaks the secret: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]map[string]string{}
			for n, p := range cfg.Profiles {
				got[n] = p.Values
			}
			if len(got) != len(tt.want) {
				t.Fatalf("profiles = %v, want %v", got, tt.want)
			}
			for n, w := range tt.want {
				for k, v := range w {
					if got[n][k] != v {
						t.Errorf("%s.%s = %q, want %q", n, k, got[n][k], v)
					}
				}
				if len(got[n]) != len(w) {
					t.Errorf("%s = %v, want %v", n, got[n], w)
				}
			}
		})
	}
}

func TestExpandHome(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	cfg, err := Parse("c.yaml", []byte("profiles:\n  p:\n    client_secret_file: ~/s/secret\n    mapping: a~/b\n"))
	if err != nil {
		t.Fatal(err)
	}
	p := cfg.Profiles["p"]
	if got := p.Values["client-secret-file"]; got != filepath.Join(home, "s/secret") {
		t.Errorf("secret file = %q", got)
	}
	if got := p.Values["mapping"]; got != "a~/b" {
		t.Errorf("mapping = %q", got)
	}
}

func TestSelect(t *testing.T) {
	cfg, err := Parse("c.yaml", []byte("profiles:\n  default: {tenant: d}\n  prod: {tenant: p}\n  stage: {tenant: s}\n"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ flag, env, want, wantErr string }{
		{want: "default"},
		{env: "stage", want: "stage"},
		{flag: "prod", env: "stage", want: "prod"},
		{flag: "nope", wantErr: `profile "nope" (config c.yaml; has: default, prod, stage): no such profile`},
	}
	for _, tt := range tests {
		t.Setenv(EnvProfile, tt.env)
		p, err := cfg.Select(tt.flag)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr || !errors.Is(err, ErrNoProfile) {
				t.Errorf("Select(%q) err = %v, want %q", tt.flag, err, tt.wantErr)
			}
			continue
		}
		if err != nil || p.Name != tt.want {
			t.Errorf("Select(%q) with env %q = %v, %v; want %s", tt.flag, tt.env, p, err, tt.want)
		}
	}
	none, _ := Parse("c.yaml", []byte("profiles:\n  prod: {tenant: p}\n"))
	t.Setenv(EnvProfile, "")
	if p, err := none.Select(""); p != nil || err != nil {
		t.Errorf("no default profile: got %v, %v; want nil, nil", p, err)
	}
}

func TestDefaultPath(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", "/xdg")
	if got := DefaultPath(); got != "/xdg/emporix-import/config.yaml" {
		t.Errorf("with XDG_CONFIG_HOME: %q", got)
	}
	t.Setenv("XDG_CONFIG_HOME", "relative") // not absolute: ignored by the XDG rules
	t.Setenv("HOME", "/home/u")
	if got := DefaultPath(); got != "/home/u/.config/emporix-import/config.yaml" {
		t.Errorf("fallback: %q", got)
	}
}

func TestLoadMissing(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "none.yaml"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("err = %v, want ErrNotExist", err)
	}
}

func TestLooseSecret(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		mode  os.FileMode
		loose bool
	}{{0o600, false}, {0o400, false}, {0o640, true}, {0o604, true}, {0o620, false}} {
		path := filepath.Join(dir, "s")
		if err := os.WriteFile(path, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, tt.mode); err != nil {
			t.Fatal(err)
		}
		_, loose, err := LooseSecret(path)
		if err != nil || loose != tt.loose {
			t.Errorf("mode %04o: loose = %v, %v; want %v", tt.mode, loose, err, tt.loose)
		}
		_ = os.Remove(path)
	}
	if _, _, err := LooseSecret(filepath.Join(dir, "missing")); err == nil {
		t.Error("missing file: no error")
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("profiles:\n  p:\n    tenant: x\n"))
	f.Add([]byte("profiles:\n  p:\n    client_secret: y\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse("f.yaml", data)
		if err != nil {
			return
		}
		for _, p := range cfg.Profiles {
			if _, ok := p.Values["client-secret"]; ok {
				t.Fatal("a profile with client_secret was accepted")
			}
		}
	})
}
