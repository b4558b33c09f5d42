package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emporix-import/emporix-import/emulator"
)

// cliOut runs the command line and returns the exit code, stdout and stderr.
func cliOut(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestPresetsCommand(t *testing.T) {
	code, out, stderr := cliOut(t, "presets")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"shopify\n", "--mapping preset:magento-addresses\n", "hybris\n", "erp-de\n",
		"columns: Kundennummer, Anrede, Vorname", "columns: _email, firstname, lastname",
		`input:   delimiter ";", encoding windows-1252`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("presets output lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = cliOut(t, "presets", "shopify")
	if code != exitOK || !strings.Contains(out, "contactEmail: { column: Email, transform: [trim, lower] }") {
		t.Errorf("presets shopify: exit %d\n%s", code, out)
	}
	if code, _, stderr = cliOut(t, "presets", "nope"); code != exitFatal || !strings.Contains(stderr, `unknown preset "nope"`) {
		t.Errorf("presets nope: exit %d, %s", code, stderr)
	}
	if code, _, _ = cliOut(t, "presets", "a", "b"); code != exitUsage {
		t.Errorf("presets a b: exit %d, want %d", code, exitUsage)
	}
}

func TestMappingInitThenValidate(t *testing.T) {
	input := filepath.Join("..", "..", "samples", "erp-export.csv")
	code, out, stderr := cliOut(t, "mapping", "init", input)
	if code != exitOK {
		t.Fatalf("mapping init: exit %d: %s", code, stderr)
	}
	m := filepath.Join(t.TempDir(), "m.yaml")
	if err := os.WriteFile(m, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	rep := filepath.Join(t.TempDir(), "r.csv")
	code, _, stderr = cliOut(t, "validate", input, "--mapping", m, "--report", rep, "--quiet")
	if code != exitRowsFailed || !strings.Contains(stderr, "28 valid, 2 invalid") {
		t.Errorf("validate with the generated mapping: exit %d\n%s\n%s", code, stderr, out)
	}

	code, out, stderr = cliOut(t, "mapping", "init", filepath.Join("..", "..", "samples", "shopify-export.csv"), "--preset", "erp-de")
	if code != exitFatal || !strings.Contains(stderr, "lacks columns the preset erp-de reads") || !strings.Contains(out, "#   Kundennummer\n") {
		t.Errorf("mapping init --preset erp-de on Shopify: exit %d\n%s\n%s", code, stderr, out)
	}
	if code, _, _ = cliOut(t, "mapping", "init"); code != exitUsage {
		t.Errorf("mapping init without input: exit %d, want %d", code, exitUsage)
	}
	if code, _, _ = cliOut(t, "mapping", "init", input, "--nope"); code != exitUsage {
		t.Errorf("mapping init --nope: exit %d, want %d", code, exitUsage)
	}
}

func TestValidateShow(t *testing.T) {
	input := filepath.Join("..", "..", "samples", "magento-addresses.csv")
	rep := filepath.Join(t.TempDir(), "r.csv")
	code, out, stderr := cliOut(t, "validate", input, "--mapping", "preset:magento-addresses", "--show", "2", "--report", rep, "--quiet")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	type address struct {
		Street, StreetNumber, StreetAppendix, ZipCode string
		Tags                                          []string
		IsDefault                                     *bool
	}
	type preview struct {
		Rows      []int
		Customer  map[string]any
		Addresses []address
	}
	var got []preview
	dec := json.NewDecoder(strings.NewReader(out))
	for {
		var v preview
		if err := dec.Decode(&v); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("--show output is not a JSON stream: %v\n%s", err, out)
		}
		got = append(got, v)
	}
	if len(got) != 2 || got[0].Rows[0] != 2 || got[0].Customer["contactEmail"] != "jana.krause@example.de" ||
		len(got[1].Rows) != 2 || len(got[1].Addresses) != 2 {
		t.Fatalf("--show 2 printed %+v", got)
	}
	if a := got[0].Addresses[0]; a.Street != "Torstraße" || a.StreetNumber != "112a" || a.StreetAppendix != "Hinterhaus" ||
		strings.Join(a.Tags, ",") != "BILLING,SHIPPING" || a.IsDefault == nil || !*a.IsDefault {
		t.Errorf("first address = %+v", a)
	}
	if code, _, _ = cliOut(t, "validate", input, "--show", "-1"); code != exitUsage {
		t.Errorf("--show -1: exit %d, want %d", code, exitUsage)
	}
}

// A preset works wherever a mapping file does, including the journal of an import.
func TestImportWithPreset(t *testing.T) {
	ten := newTenant(t, emulator.Config{})
	input := filepath.Join("..", "..", "samples", "magento-addresses.csv")
	rep := filepath.Join(t.TempDir(), "r.csv")
	code, stderr := cli(t, "import", input, "--mapping", "preset:magento-addresses", "--quiet", "--report", rep)
	if code != exitOK {
		t.Fatalf("import: exit %d: %s", code, stderr)
	}
	rows := readReport(t, rep)
	if got, want := statuses(rows), "2:created 3:created 4:created 5:created 6:created 7:created 8:created"; got != want {
		t.Errorf("statuses %q, want %q", got, want)
	}
	if msg := rows[6]["import_message"]; !strings.HasPrefix(msg, `warning: row 8, column "postcode": zip code "801"`) {
		t.Errorf("row 8 message = %q, want the zip warning", msg)
	}
	st := ten.State()
	if len(st.Customers) != 5 {
		t.Fatalf("%d customers, want 5", len(st.Customers))
	}
	ten.ResetStats()
	code, stderr = cli(t, "import", input, "--mapping", "preset:magento-addresses", "--quiet", "--report", rep)
	if code != exitOK || !strings.Contains(stderr, "unchanged") {
		t.Errorf("second import: exit %d: %s", code, stderr)
	}
	if got := statuses(readReport(t, rep)); strings.Contains(got, "created") || strings.Contains(got, "updated") {
		t.Errorf("second import statuses %q, want all unchanged", got)
	}
}
