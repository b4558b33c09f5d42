package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/emporix-import/emporix-import/internal/profile"
)

const recipes = "../../docs/recipes"

var flagRE = regexp.MustCompile(`(?:^|\s)(--[a-z][a-z0-9-]*)`)

// assertFlagsExist checks every --flag on a command line against the named
// emporix-import command (its own and inherited flags).
func assertFlagsExist(t *testing.T, where, sub, line string) {
	t.Helper()
	root := newRootCmd(io.Discard, io.Discard)
	cmd, _, err := root.Find([]string{sub})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range flagRE.FindAllStringSubmatch(line, -1) {
		name := strings.TrimPrefix(m[1], "--")
		if cmd.Flags().Lookup(name) == nil && root.PersistentFlags().Lookup(name) == nil {
			t.Errorf("%s: emporix-import %s has no flag --%s", where, sub, name)
		}
	}
}

// commandLines returns the non-comment lines of a recipe that run the tool
// or the wrapper, with the subcommand they run.
func commandLines(t *testing.T, file string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(recipes, file))
	if err != nil {
		t.Fatal(err)
	}
	lines := map[string]string{}
	for _, l := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "#") {
			continue
		}
		switch {
		case strings.Contains(l, "emporix-import doctor"):
			lines[l] = "doctor"
		case strings.Contains(l, "run-import.sh "), strings.Contains(l, `"$bin" import`):
			lines[l] = "import"
		}
	}
	return lines
}

func TestRecipeCommandLinesUseRealFlags(t *testing.T) {
	for _, file := range []string{"crontab", "emporix-import@.service", "run-import.sh"} {
		lines := commandLines(t, file)
		if len(lines) == 0 {
			t.Errorf("%s: no emporix-import command line found", file)
		}
		for l, sub := range lines {
			assertFlagsExist(t, file, sub, l)
		}
	}
}

func TestRecipeCronJob(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(recipes, "cronjob.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	docs := map[string]map[string]any{}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var d map[string]any
		if err := dec.Decode(&d); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("cronjob.yaml: %v", err)
		}
		docs[d["kind"].(string)] = d
	}
	for _, kind := range []string{"ConfigMap", "Secret", "PersistentVolumeClaim", "CronJob"} {
		if docs[kind] == nil {
			t.Fatalf("no %s in cronjob.yaml", kind)
		}
	}
	get := func(v any, path ...string) any {
		for _, p := range path {
			v = v.(map[string]any)[p]
		}
		return v
	}
	cj := docs["CronJob"]
	if p := get(cj, "spec", "concurrencyPolicy"); p != "Forbid" {
		t.Errorf("concurrencyPolicy %v, want Forbid", p)
	}
	pod := get(cj, "spec", "jobTemplate", "spec", "template", "spec")
	if rp := get(pod, "restartPolicy"); rp != "Never" {
		t.Errorf("restartPolicy %v", rp)
	}
	c := get(pod, "containers").([]any)[0]
	var args []string
	for _, a := range get(c, "args").([]any) {
		args = append(args, a.(string))
	}
	assertFlagsExist(t, "cronjob.yaml args", "import", strings.Join(args, " "))
	mounts := map[string]bool{}
	for _, m := range get(c, "volumeMounts").([]any) {
		mounts[get(m, "mountPath").(string)] = true
	}
	cm := get(docs["ConfigMap"], "data").(map[string]any)
	script, _ := os.ReadFile(filepath.Join(recipes, "run-import.sh"))
	if cm["run-import.sh"] != string(script) {
		t.Error("the ConfigMap's run-import.sh differs from docs/recipes/run-import.sh")
	}
	cfg, err := profile.Parse("config.yaml", []byte(cm["config.yaml"].(string)))
	if err != nil {
		t.Fatal(err)
	}
	prod := cfg.Profiles["prod"]
	if prod == nil {
		t.Fatal("no prod profile in the ConfigMap")
	}
	known := allFlags(newRootCmd(io.Discard, io.Discard))
	for _, k := range prod.Keys() {
		if !known[k] {
			t.Errorf("profile key %s is not a flag", k)
		}
	}
	secretFile, _ := prod.Get("client-secret-file")
	if !mounts[filepath.Dir(secretFile)] || !mounts["/data"] || !mounts["/etc/emporix-import"] {
		t.Errorf("mounts %v: the secret file %s, the config and /data must be mounted", mounts, secretFile)
	}
}

func TestRecipeSystemdVerify(t *testing.T) {
	sa, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze not available")
	}
	dir := t.TempDir()
	for _, ext := range []string{"service", "timer"} {
		data, err := os.ReadFile(filepath.Join(recipes, "emporix-import@."+ext))
		if err != nil {
			t.Fatal(err)
		}
		// verify insists that ExecStart binaries exist; the real ones are not installed here.
		s := strings.NewReplacer("/usr/local/bin/emporix-import", "/bin/true",
			"/usr/local/lib/emporix-import/run-import.sh", "/bin/true").Replace(string(data))
		if err := os.WriteFile(filepath.Join(dir, "emporix-import@prod."+ext), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(sa, "verify", "emporix-import@prod.service", "emporix-import@prod.timer")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
}

// TestRunImportScript drives the wrapper with a fake emporix-import that
// exits with a chosen code and records its arguments.
func TestRunImportScript(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	dir := t.TempDir()
	fake := filepath.Join(dir, "fake")
	writeFile(t, fake, "#!/bin/sh\necho \"$@\" > \"$STATE_DIR/args\"\nexit $(cat \"$STATE_DIR/rc\")\n", 0o755)
	script, _ := filepath.Abs(filepath.Join(recipes, "run-import.sh"))
	steps := []struct {
		rc         int
		wantResume bool
	}{
		{130, false}, // interrupted: the next run resumes
		{4, true},    // aborted by --max-errors: still resumable
		{0, true},    // finished
		{3, false},   // rows failed: finished, nothing to resume
		{1, false},
		{0, false},
	}
	for i, s := range steps {
		writeFile(t, filepath.Join(dir, "rc"), strconv.Itoa(s.rc)+"\n", 0o644)
		cmd := exec.Command(sh, script, "in.csv", "--quiet")
		cmd.Env = append(os.Environ(), "EMPORIX_IMPORT="+fake, "STATE_DIR="+dir)
		err := cmd.Run()
		var ee *exec.ExitError
		if got := 0; errors.As(err, &ee) {
			got = ee.ExitCode()
			if got != s.rc {
				t.Errorf("step %d: exit %d, want %d", i, got, s.rc)
			}
		} else if err != nil || s.rc != 0 {
			t.Fatalf("step %d: %v, want exit %d", i, err, s.rc)
		}
		args, _ := os.ReadFile(filepath.Join(dir, "args"))
		want := "import in.csv --quiet"
		if s.wantResume {
			want = "import in.csv --resume --quiet"
		}
		if strings.TrimSpace(string(args)) != want {
			t.Errorf("step %d: args %q, want %q", i, strings.TrimSpace(string(args)), want)
		}
	}
}
