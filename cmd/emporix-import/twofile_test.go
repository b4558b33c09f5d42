package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/emporix-import/emporix-import/emulator"
	"github.com/emporix-import/emporix-import/report"
)

// fileStatuses renders "file:row:status" per report row, in report order.
func fileStatuses(rows []map[string]string) string {
	var s []string
	for _, r := range rows {
		s = append(s, strings.TrimSuffix(r[report.ColFile], ".csv")+":"+r["import_row"]+":"+r["import_status"])
	}
	return strings.Join(s, " ")
}

// TestImportMagentoPair: --mapping preset:magento with the Magento address
// export imports end to end (the address mapping defaults to the preset's
// -addresses companion); every row of both files is reported once; a re-run
// writes nothing.
func TestImportMagentoPair(t *testing.T) {
	ten := newTenant(t, emulator.Config{})
	dir := t.TempDir()
	cust := filepath.Join("..", "..", "samples", "magento-customers.csv")
	addrs := filepath.Join("..", "..", "samples", "magento-addresses.csv")
	// The dry run predicts the real run row for row; the re-run writes nothing.
	for i, want := range []string{"would_create", "created", "unchanged"} {
		ten.ResetStats()
		rep := filepath.Join(dir, fmt.Sprintf("r%d.csv", i))
		args := []string{"import", cust, "--mapping", "preset:magento", "--addresses-file", addrs, "--quiet", "--report", rep}
		if i == 0 {
			args = append(args, "--dry-run")
		}
		code, stderr := cli(t, args...)
		if code != exitOK {
			t.Fatalf("run %d: exit %d: %s", i, code, stderr)
		}
		var parts []string
		for r := 2; r <= 6; r++ {
			parts = append(parts, fmt.Sprintf("magento-customers:%d:%s", r, want))
		}
		for r := 2; r <= 8; r++ {
			parts = append(parts, fmt.Sprintf("magento-addresses:%d:%s", r, want))
		}
		if got := fileStatuses(readReport(t, rep)); got != strings.Join(parts, " ") {
			t.Errorf("run %d:\n got %s\nwant %s", i, got, strings.Join(parts, " "))
		}
		if w := ten.Stats().Writes; i != 1 && w != 0 {
			t.Errorf("run %d (%s) wrote %d times", i, want, w)
		}
	}
	got := projection(ten.State())
	for _, want := range []string{
		"email=anne.dupont@example.fr title= name=Anne Dupont",
		"Jana Krause|Torstraße 112a|10119 Berlin|DE default=true tags=BILLING,SHIPPING",
		"Tom Becker|Karl-Liebknecht-Str. 88|04109 Leipzig|DE default=false tags=",
		"John Miller|5th Avenue 350|10118 New York|US default=true tags=BILLING,SHIPPING",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("tenant lacks %q:\n%s", want, got)
		}
	}
	if n := strings.Count(got, "email="); n != 5 {
		t.Errorf("%d customers, want 5:\n%s", n, got)
	}
}

// TestTwoFileProblems: an address row without a customer in the customer
// file, and one without a key, are invalid; each file gets an errors file of
// its own, re-importable with its own mapping; validate reads both files too.
func TestTwoFileProblems(t *testing.T) {
	dir := t.TempDir()
	cust := filepath.Join(dir, "customers.csv")
	addrs := filepath.Join(dir, "addresses.csv")
	write := func(path, body string) {
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(cust, "customerNumber,contactEmail,firstName\nC1,a@example.com,Ann\nC2,bad@,Bob\nC3,c@example.com,Cy\n")
	write(addrs, "Kunde;Name;Straße;Land\nC1;Ann A;Torstraße 1;DE\nC9;Nobody;Weg 2;DE\n;Keyless;Weg 3;DE\nC2;Bob B;Markt 4;DE\nC3;Cy C;Gasse 5;Germany\n")
	amap := filepath.Join(dir, "addresses.yaml")
	write(amap, "customer:\n  customerNumber: Kunde\naddresses:\n  - contactName: Name\n    street: Straße\n    country: Land\n")
	rep := filepath.Join(dir, "r.csv")
	code, stderr := cli(t, "validate", cust, "--addresses-file", addrs, "--addresses-mapping", amap, "--report", rep)
	if code != exitRowsFailed {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	rows := readReport(t, rep)
	// validate judges each row by its own problems (import refuses the whole customer).
	want := "customers:2:valid customers:3:invalid customers:4:valid " +
		"addresses:2:valid addresses:3:invalid addresses:4:invalid addresses:5:valid addresses:6:invalid"
	if got := fileStatuses(rows); got != want {
		t.Errorf("statuses\n got %s\nwant %s", got, want)
	}
	if msg := rows[4]["import_message"]; msg != `no customer with customerNumber "C9" in customers.csv` {
		t.Errorf("orphan message %q", msg)
	}
	for _, line := range []string{
		`invalid: customers.csv row 3 (C2): column "contactEmail"`,
		`invalid: addresses.csv row 3 (C9): no customer with customerNumber "C9" in customers.csv`,
		`invalid: addresses.csv row 6 (C3): column "Land": invalid country "Germany"`,
	} {
		if !strings.Contains(stderr, line) {
			t.Errorf("stderr lacks %q:\n%s", line, stderr)
		}
	}
	// The report's source columns: the customer file's, then the address file's.
	if h := reportHeaderOf(t, rep); !slices.Equal(h[:8], []string{"customerNumber", "contactEmail", "firstName", "Kunde", "Name", "Straße", "Land", "import_file"}) {
		t.Errorf("report header %q", h)
	}
	if got := readFileString(t, report.ErrorsPath(rep)); !strings.HasPrefix(got, "\ufeffcustomerNumber,contactEmail,firstName,import_source_row,import_message\nC2,bad@,Bob,3,") {
		t.Errorf("customer errors file:\n%s", got)
	}
	aerr := report.SecondErrorsPath(rep, addrs, "addresses")
	got := readFileString(t, aerr)
	if !strings.HasPrefix(got, "\ufeffKunde;Name;Straße;Land;import_source_row;import_message\nC9;Nobody;Weg 2;DE;3;") || strings.Count(got, "\n") != 4 {
		t.Errorf("address errors file:\n%s", got)
	}
	// The address errors file re-imports with the address mapping, keeping its rows.
	rep2 := filepath.Join(dir, "r2.csv")
	if code, stderr := cli(t, "validate", cust, "--addresses-file", aerr, "--addresses-mapping", amap, "--report", rep2); code != exitRowsFailed {
		t.Fatalf("re-validate: exit %d: %s", code, stderr)
	}
	if got := fileStatuses(readReport(t, rep2)); !strings.HasSuffix(got, "r.addresses.errors:3:invalid r.addresses.errors:4:invalid r.addresses.errors:6:invalid") {
		t.Errorf("re-validated statuses %s", got)
	}
}

func reportHeaderOf(t *testing.T, path string) []string {
	t.Helper()
	b := readFileString(t, path)
	first, _, _ := strings.Cut(strings.TrimPrefix(b, "\ufeff"), "\n")
	return strings.Split(first, ",")
}

func readFileString(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestTwoFileResume: --resume replays both files' rows from the journal, and
// refuses a changed address file.
func TestTwoFileResume(t *testing.T) {
	ten := newTenant(t, emulator.Config{})
	dir := t.TempDir()
	cust := filepath.Join(dir, "c.csv")
	addrs := filepath.Join(dir, "a.csv")
	for src, dst := range map[string]string{"magento-customers.csv": cust, "magento-addresses.csv": addrs} {
		b, err := os.ReadFile(filepath.Join("..", "..", "samples", src))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	args := []string{"import", cust, "--mapping", "preset:magento", "--addresses-file", addrs, "--quiet"}
	if code, stderr := cli(t, append(args, "--report", filepath.Join(dir, "r1.csv"))...); code != exitOK {
		t.Fatalf("import: exit %d: %s", code, stderr)
	}
	ten.ResetStats()
	rep := filepath.Join(dir, "r2.csv")
	if code, stderr := cli(t, append(args, "--resume", "--report", rep)...); code != exitOK {
		t.Fatalf("resume: exit %d: %s", code, stderr)
	}
	if got := fileStatuses(readReport(t, rep)); strings.Count(got, ":created") != 12 || ten.Stats().Writes != 0 {
		t.Errorf("resume after a finished run: %s (%d writes)", got, ten.Stats().Writes)
	}
	if err := os.WriteFile(addrs, append([]byte(readFileString(t, addrs)), "base,new@example.de,9,Köln,,DE,,N,N,,50667,,,,Weg 1,,,,,,,,0,0\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stderr := cli(t, append(args, "--resume", "--report", filepath.Join(dir, "r3.csv"))...)
	if code != exitFatal || !strings.Contains(stderr, "address file") {
		t.Errorf("resume with a changed address file: exit %d: %s", code, stderr)
	}
}

// TestValidateShowTwoFiles: --show previews customers with the addresses of
// the address file, naming the rows of each file.
func TestValidateShowTwoFiles(t *testing.T) {
	dir := t.TempDir()
	code, out, stderr := cliOut(t, "validate", filepath.Join("..", "..", "samples", "magento-customers.csv"),
		"--mapping", "preset:magento", "--addresses-file", filepath.Join("..", "..", "samples", "magento-addresses.csv"),
		"--show", "2", "--report", filepath.Join(dir, "r.csv"))
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	dec := json.NewDecoder(strings.NewReader(out))
	var first, second struct {
		Rows        []int `json:"rows"`
		AddressRows []int `json:"addressRows"`
		Addresses   []struct {
			Street         string   `json:"street"`
			StreetAppendix string   `json:"streetAppendix"`
			Tags           []string `json:"tags"`
		} `json:"addresses"`
	}
	if err := dec.Decode(&first); err != nil {
		t.Fatal(err)
	}
	if err := dec.Decode(&second); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(first.Rows, first.AddressRows) != "[2] [2]" || len(first.Addresses) != 1 || first.Addresses[0].StreetAppendix != "Hinterhaus" {
		t.Errorf("first preview %+v", first)
	}
	if fmt.Sprint(second.Rows, second.AddressRows) != "[3] [3 4]" || len(second.Addresses) != 2 {
		t.Errorf("second preview %+v", second)
	}
}
