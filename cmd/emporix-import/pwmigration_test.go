package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emporix-import/emporix-import/emporix"
	"github.com/emporix-import/emporix-import/emulator"
)

var pmScopes = []string{emulator.ScopeCustomerRead, emulator.ScopeCustomerManage, emulator.ScopeImportRead, emulator.ScopeImportManage}

func day(offset int) string { return time.Now().UTC().AddDate(0, 0, offset).Format("2006-01-02") }

func TestPasswordMigrationCommand(t *testing.T) {
	tn := newTenant(t, emulator.Config{Scopes: pmScopes})
	steps := []struct {
		name     string
		args     []string
		code     int
		stdout   []string
		stderr   []string
		retained *emulator.Retention // expected state after the step; nil = none
	}{
		{name: "show, none set", args: []string{"show"}, code: 0,
			stdout: []string{"No password-migration retention window is set for tenant demo", "password-migration set --end"}},
		{name: "set without --end", args: []string{"set"}, code: 2, stderr: []string{"--end YYYY-MM-DD is required"}},
		{name: "set, malformed date", args: []string{"set", "--end", "31.01.2027"}, code: 2, stderr: []string{`--end "31.01.2027" is not a date`}},
		{name: "set, end in the past: the API's message", args: []string{"set", "--end", day(-1)}, code: 1,
			stderr: []string{"the API refused the window: retentionEndDate must be a future date"}},
		{name: "set, reminder after the end", args: []string{"set", "--end", day(30), "--reminder", day(31)}, code: 1,
			stderr: []string{"emailReminderDate must be on or after today", "before retentionEndDate"}},
		{name: "set with defaults", args: []string{"set", "--end", day(30)}, code: 0,
			stdout:   []string{"Retention window set.", day(30), day(23), "e-mail notifications:  on"},
			retained: &emulator.Retention{RetentionEndDate: day(30), EmailReminderDate: day(23), EmailNotificationsEnabled: true}},
		{name: "set everything", args: []string{"set", "--end", day(60), "--reminder", day(5), "--emails=false"}, code: 0,
			stdout:   []string{day(60), day(5), "e-mail notifications:  off"},
			retained: &emulator.Retention{RetentionEndDate: day(60), EmailReminderDate: day(5), EmailNotificationsEnabled: false}},
		{name: "show", args: []string{"show"}, code: 0, stdout: []string{"end date:              " + day(60), "e-mail notifications:  off"},
			retained: &emulator.Retention{RetentionEndDate: day(60), EmailReminderDate: day(5), EmailNotificationsEnabled: false}},
	}
	for _, s := range steps {
		code, out, errOut := cliOut(t, append([]string{"password-migration"}, s.args...)...)
		if code != s.code {
			t.Fatalf("%s: exit %d, want %d\nstdout %s\nstderr %s", s.name, code, s.code, out, errOut)
		}
		for _, w := range s.stdout {
			if !strings.Contains(out, w) {
				t.Errorf("%s: stdout lacks %q:\n%s", s.name, w, out)
			}
		}
		for _, w := range s.stderr {
			if !strings.Contains(errOut, w) {
				t.Errorf("%s: stderr lacks %q:\n%s", s.name, w, errOut)
			}
		}
		got, ok := tn.Retention()
		if (s.retained != nil) != ok || s.retained != nil && got != *s.retained {
			t.Errorf("%s: retention = %+v (set %v), want %+v", s.name, got, ok, s.retained)
		}
	}

	// A customer imported with a legacy hash blocks the removal.
	c, err := emporix.New(emporix.Config{BaseURL: tn.url, Tenant: "demo", ClientID: "demo-client", ClientSecret: "demo-secret",
		Scopes: emporix.ImportScopes, HTTPClient: &http.Client{Timeout: 10 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	items, err := c.ImportCustomers(context.Background(), []emporix.CustomerImport{{Account: emporix.ImportAccount{
		Email: "ann@example.com", LegacyAuth: &emporix.LegacyAuth{Algorithm: emporix.LegacyHybris,
			Hash: emporix.Secret(emulator.HybrisLegacyHash("pw", "ann")), Context: map[string]string{"originalUid": "ann"}}}}})
	if err != nil || !items[0].Created() {
		t.Fatalf("import: %+v, %v", items, err)
	}
	code, _, errOut := cliOut(t, "password-migration", "delete")
	if code != 1 || !strings.Contains(errOut, "still hold legacy password hashes") || !strings.Contains(errOut, "password-migration set --end") {
		t.Fatalf("delete with a legacy hash left: exit %d, %s", code, errOut)
	}
	if _, ok := tn.Retention(); !ok {
		t.Fatal("the refused delete removed the window")
	}
	if _, err := tn.Login("ann@example.com", "pw"); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := cliOut(t, "password-migration", "delete")
	if code != 0 || !strings.Contains(out, "No password-migration retention window is set") {
		t.Fatalf("delete after migration: exit %d, %s %s", code, out, errOut)
	}
	if _, ok := tn.Retention(); ok {
		t.Fatal("window still set")
	}
}

func TestPasswordMigrationScopesAndUsage(t *testing.T) {
	t.Run("only the import scope of each subcommand is requested", func(t *testing.T) {
		// A client granted import_read only can show, not set.
		tn := newTenant(t, emulator.Config{Scopes: []string{emulator.ScopeImportRead}})
		if code, out, errOut := cliOut(t, "password-migration", "show"); code != 0 || !strings.Contains(out, "No password-migration") {
			t.Fatalf("show: exit %d, %s %s", code, out, errOut)
		}
		code, _, errOut := cliOut(t, "password-migration", "set", "--end", day(10))
		if code != 1 || !strings.Contains(errOut, "customer.import_manage") {
			t.Fatalf("set without import_manage: exit %d, %s", code, errOut)
		}
		if _, ok := tn.Retention(); ok {
			t.Fatal("window set without the scope")
		}
	})
	t.Run("usage", func(t *testing.T) {
		newTenant(t, emulator.Config{Scopes: pmScopes})
		for _, args := range [][]string{{"password-migration"}, {"password-migration", "nope"}, {"password-migration", "show", "x"},
			{"password-migration", "set", "--end", day(5), "--reminder", "soon"}, {"password-migration", "delete", "--bogus"}} {
			if code, _, errOut := cliOut(t, args...); code != 2 {
				t.Errorf("%v: exit %d, want 2 (%s)", args, code, errOut)
			}
		}
	})
	t.Run("no credentials", func(t *testing.T) {
		newTenant(t, emulator.Config{Scopes: pmScopes})
		t.Setenv("EMPORIX_CLIENT_SECRET", "")
		if code, _, errOut := cliOut(t, "password-migration", "show"); code != 1 || !strings.Contains(errOut, "client secret") {
			t.Fatalf("exit %d, %s", code, errOut)
		}
	})
}

// TestPasswordMigrationProfile: the connection comes from a profile like for
// the other commands; its import-only keys (rate) do not disturb.
func TestPasswordMigrationProfile(t *testing.T) {
	cfgPath := isolateConfig(t)
	srv := emulator.New(emulator.Config{Scopes: pmScopes})
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	secretFile := filepath.Join(t.TempDir(), "ops.secret")
	writeFile(t, secretFile, "demo-secret\n", 0o600)
	writeFile(t, cfgPath, "profiles:\n  ops:\n    api_url: "+hs.URL+"\n    tenant: demo\n    client_id: demo-client\n"+
		"    client_secret_file: "+secretFile+"\n    rate: 5\n", 0o600)
	code, out, errOut := cliOut(t, "password-migration", "set", "--end", day(9), "--profile", "ops")
	if code != 0 || !strings.Contains(out, day(9)) {
		t.Fatalf("set with a profile: exit %d, %s %s", code, out, errOut)
	}
	if got, ok := srv.Retention(); !ok || got.RetentionEndDate != day(9) {
		t.Fatalf("retention = %+v, %v", got, ok)
	}
}
