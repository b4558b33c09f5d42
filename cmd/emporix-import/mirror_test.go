package main

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emporix-import/emporix-import/emulator"
	"github.com/emporix-import/emporix-import/importer"
)

func TestMirrorFlagsUsage(t *testing.T) {
	newTenant(t, emulator.Config{})
	in := writeInput(t, "customerNumber,contactEmail", "K1,k1@example.com")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--mode", "insert"}, "--mode"},
		{[]string{"--missing", "purge"}, "--missing"},
		{[]string{"--missing", "deactivate"}, "needs --scope"},
		{[]string{"--missing", "deactivate", "--scope", "firstName:Jo"}, "--scope"},
		{[]string{"--missing", "deactivate", "--scope", "customerNumber:*"}, "--scope all"},
		{[]string{"--scope", "all"}, "--scope applies"},
		{[]string{"--missing", "deactivate", "--scope", "all", "--max-missing", "5x"}, "--max-missing"},
		{[]string{"--missing", "deactivate", "--scope", "all", "--max-missing", "101%"}, "--max-missing"},
		{[]string{"--missing", "deactivate", "--scope", "all", "--yes-delete"}, "--yes-delete applies"},
		{[]string{"--missing", "delete", "--scope", "all"}, "needs --yes-delete"}, // tests have no terminal
		{[]string{"--min-rows", "-1"}, "--min-rows"},
	} {
		code, stderr := cli(t, append([]string{"import", in, "--quiet"}, tc.args...)...)
		if code != importer.ExitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 naming %s", tc.args, code, stderr, tc.want)
		}
	}
}

// The nightly mirror through the command line: deactivate what left the
// export, exit 4 past --max-missing, --min-rows against a truncated file.
func TestMirrorCLI(t *testing.T) {
	ten := newTenant(t, emulator.Config{})
	var cs []emulator.Customer
	lines := []string{"customerNumber,contactEmail,active"}
	for i := range 40 {
		n := fmt.Sprintf("K%02d", i)
		cs = append(cs, emulator.Customer{CustomerNumber: n, ContactEmail: n + "@erp.example", Active: true})
		if i != 7 {
			lines = append(lines, n+","+n+"@erp.example,true")
		}
	}
	cs = append(cs, emulator.Customer{CustomerNumber: "SHOP1", ContactEmail: "shop@x.example", Active: true})
	if err := ten.Seed(cs...); err != nil {
		t.Fatal(err)
	}
	in := writeInput(t, lines...)
	dir := t.TempDir()
	rep := filepath.Join(dir, "r.csv")
	args := []string{"import", in, "--quiet", "--report", rep, "--missing", "deactivate", "--scope", "customerNumber:K*"}

	code, stderr := cli(t, append(args, "--min-rows", "40")...)
	if code != importer.ExitFatal || !strings.Contains(stderr, "--min-rows") || ten.Stats().Writes != 0 {
		t.Fatalf("--min-rows 40 on 39 rows: exit %d, %d writes, stderr %q", code, ten.Stats().Writes, stderr)
	}
	code, stderr = cli(t, append(args, "--max-missing", "0")...)
	if code != importer.ExitAborted || !strings.Contains(stderr, "mirror stopped") || !strings.Contains(stderr, "K07") || ten.Stats().Writes != 0 ||
		!strings.Contains(stderr, "the mirror phase touched nobody") || strings.Contains(stderr, "to continue") {
		t.Fatalf("--max-missing 0: exit %d, %d writes, stderr %q", code, ten.Stats().Writes, stderr)
	}
	code, stderr = cli(t, args...)
	if code != importer.ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	rows := readReport(t, rep)
	last := rows[len(rows)-1]
	if len(rows) != 40 || last["import_row"] != "" || last["import_status"] != "deactivated" || last["import_customer_number"] != "K07" {
		t.Errorf("report: %d rows, last %v", len(rows), last)
	}
	for _, c := range ten.State().Customers {
		if c.Active != (c.CustomerNumber != "K07") {
			t.Errorf("%s active=%v", c.CustomerNumber, c.Active)
		}
	}
}

func TestHelpShowsMirrorFlags(t *testing.T) {
	var out bytes.Buffer
	run(context.Background(), []string{"import", "--help"}, &out, &out)
	for _, f := range []string{"--mode", "--missing", "--scope", "--max-missing", "--min-rows", "--yes-delete"} {
		if !strings.Contains(out.String(), f) {
			t.Errorf("import --help lacks %s", f)
		}
	}
}

func TestConfirmDeleteNeedsTheExactAnswer(t *testing.T) {
	for answer, want := range map[string]bool{"delete 3\n": true, "y\n": false, "delete 30\n": false, "": false, "  delete 3  \n": true} {
		var out bytes.Buffer
		got := confirmDelete(strings.NewReader(answer), &out, "acme")(3, "customerNumber:K*", []string{"K1", "K2"})
		if got != want || !strings.Contains(out.String(), `Delete 3 customers of tenant "acme" in scope customerNumber:K* (K1, K2, …)`) {
			t.Errorf("answer %q: %v, prompt %q", answer, got, out.String())
		}
	}
}
