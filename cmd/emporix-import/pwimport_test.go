package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emporix-import/emporix-import/emulator"
)

const pwImportMapping = `customer:
  customerNumber: uid
  contactEmail: email
  lastName: name
account:
  passwordHash: native
  legacyAuth.algorithm: { column: passwordEncoding, values: { sha512: hybris-sha512-uid-salt } }
  legacyAuth.hash: encodedPassword
  legacyAuth.context.originalUid: email
`

// pwImportFile writes customers with made-up hashes: valid ones (legacy and
// native), an invalid row and a customer whose two rows disagree on the hash.
func pwImportFile(t *testing.T, dir string) (input, mappingFile string, hashes []string, errHashes []string) {
	t.Helper()
	h := func(i int) string { return fmt.Sprintf("Zq%02dhashVALUE%08x", i, 0xC0FFEE+i) }
	lines := []string{"uid,email,name,native,passwordEncoding,encodedPassword"}
	add := func(uid, email, native, legacy string) {
		enc := ""
		if legacy != "" {
			enc = "sha512"
		}
		lines = append(lines, strings.Join([]string{uid, email, "N", native, enc, legacy}, ","))
	}
	add("U1", "u1@example.com", "", h(1))
	add("U2", "u2@example.com", "", h(2))
	add("U3", "u3@example.com", h(3), "")
	add("U4", "not-an-email", "", h(4))     // invalid: bad e-mail
	add("U5", "u5@example.com", h(5), h(6)) // invalid: both kinds
	add("U6", "u6@example.com", "", h(7))   // two rows, two hashes: conflict
	add("U6", "u6@example.com", "", h(8))
	hashes = []string{h(1), h(2), h(3), h(4), h(5), h(6), h(7), h(8)}
	errHashes = hashes[3:]
	input = filepath.Join(dir, "hybris.csv")
	mappingFile = filepath.Join(dir, "hybris.yaml")
	if err := os.WriteFile(input, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(mappingFile, []byte(pwImportMapping), 0o644); err != nil {
		t.Fatal(err)
	}
	return input, mappingFile, hashes, errHashes
}

// Password hashes appear in no output (stderr with --debug, report, journal,
// summary JSON) but the errors file, which is 0600 like the report.
func TestPasswordHashesNeverLeak(t *testing.T) {
	ten := newTenant(t, emulator.Config{})
	src, out := t.TempDir(), t.TempDir()
	input, mf, hashes, errHashes := pwImportFile(t, src)
	end := time.Now().UTC().AddDate(0, 1, 0).Format("2006-01-02")
	if code, stderr := cli(t, "password-migration", "set", "--end", end); code != 0 {
		t.Fatalf("password-migration set: %d %s", code, stderr)
	}
	rep := filepath.Join(out, "report.csv")
	for _, format := range []string{"text", "json"} {
		r := runCLI(t, "import", input, "--mapping", mf, "--report", rep, "--summary-json", filepath.Join(out, "summary.json"),
			"--debug", "--log-format", format, "--rate", "0")
		if r.code != 3 {
			t.Fatalf("import: exit %d, want 3 (invalid rows)\n%s", r.code, r.stderr)
		}
		haystacks := map[string]string{"stdout": r.stdout, "stderr": r.stderr}
		errorsFile := ""
		err := filepath.WalkDir(out, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(path)
			if strings.HasSuffix(path, ".errors.csv") {
				errorsFile = string(b)
				return err
			}
			haystacks[path] = string(b)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(haystacks) < 5 { // stdout, stderr, report, summary, journal (+ batch log)
			t.Fatalf("only %d outputs to check", len(haystacks))
		}
		for where, text := range haystacks {
			for _, h := range hashes {
				if strings.Contains(text, h) {
					t.Errorf("--log-format %s: hash %s… found in %s", format, h[:6], where)
				}
			}
		}
		for _, h := range errHashes {
			if !strings.Contains(errorsFile, h) {
				t.Errorf("the errors file lacks the hash of an invalid row (%s…): it is meant for re-import", h[:6])
			}
		}
		for _, p := range []string{rep, strings.TrimSuffix(rep, ".csv") + ".errors.csv"} {
			if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o600 {
				t.Errorf("%s: mode %v (%v), want 0600", p, fi.Mode().Perm(), err)
			}
		}
		if !strings.Contains(haystacks[rep], "[redacted]") {
			t.Error("the report does not show the hash columns as [redacted]")
		}
	}
	for _, n := range []string{"U1", "U2", "U3"} {
		if _, ok := ten.Account(n); !ok {
			t.Errorf("customer %s was not imported with its password\n%s", n, func() string { b, _ := os.ReadFile(rep); return string(b) }())
		}
	}
}

// A file with legacy hashes against a tenant without a retention window
// stops before any write, naming the command that fixes it.
func TestLegacyHashesNeedRetention(t *testing.T) {
	ten := newTenant(t, emulator.Config{})
	src, out := t.TempDir(), t.TempDir()
	input, mf, _, _ := pwImportFile(t, src)
	for _, dry := range []bool{false, true} {
		args := []string{"import", input, "--mapping", mf, "--report", filepath.Join(out, "r.csv")}
		if dry {
			args = append(args, "--dry-run")
		}
		code, stderr := cli(t, args...)
		if code != 1 || !strings.Contains(stderr, "emporix-import password-migration set --end") {
			t.Errorf("dry run %v: exit %d, want 1 naming the fix; stderr:\n%s", dry, code, stderr)
		}
	}
	if st := ten.Stats(); st.Writes != 0 {
		t.Errorf("%d writes reached the tenant", st.Writes)
	}
	if len(ten.State().Customers) != 0 {
		t.Error("customers were created")
	}
}

// The hybris preset on its sample: customers with a password keep logging in
// with it (the legacy hash is rehashed on the first login), the one without
// has no account, the invalid row is reported.
func TestHybrisPresetMigratesPasswords(t *testing.T) {
	ten := newTenant(t, emulator.Config{})
	end := time.Now().UTC().AddDate(0, 1, 0).Format("2006-01-02")
	if code, stderr := cli(t, "password-migration", "set", "--end", end); code != 0 {
		t.Fatalf("password-migration set: %d %s", code, stderr)
	}
	rep := filepath.Join(t.TempDir(), "r.csv")
	code, stderr := cli(t, "import", "../../samples/hybris-customers.csv", "--mapping", "preset:hybris", "--report", rep, "--rate", "0")
	if code != 3 {
		t.Fatalf("exit %d, want 3 (row 7 is invalid)\n%s", code, stderr)
	}
	for email, pw := range map[string]string{
		"klaus.bauer@example.de": "demo-klau", "gabriele.schmitt@example.de": "demo-gabr",
		"maria.delacruz@example.es": "demo-mari", "smith.jane@example.co.uk": "demo-Smit",
	} {
		res, err := ten.Login(email, pw)
		if err != nil || !res.Rehashed {
			t.Errorf("login %s: %+v %v, want a rehashing success", email, res, err)
		}
	}
	if _, err := ten.Login("ludwig.vanbeek@example.nl", "demo-ludw"); err == nil {
		t.Error("a customer without a password in the file can log in")
	}
	if !strings.Contains(stderr, "5 created, 1 invalid") || !strings.Contains(stderr, "(1 bulk import)") {
		t.Errorf("summary: want 5 created through one bulk import, 1 invalid:\n%s", stderr)
	}
}
