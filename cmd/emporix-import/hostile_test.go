package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emporix-import/emporix-import/emulator"
)

const hostileHeader = "customerNumber,contactEmail,firstName,lastName,company\n"

func hostileRow(i int) string {
	return fmt.Sprintf("C%d,p%d@example.com,First%d,Last%d,Co%d\n", i, i, i, i, i)
}

// Rows after an unclosed quote are reported, each once, as invalid rows
// naming the quote; the errors file keeps their text.
func TestValidateUnclosedQuote(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString(hostileHeader)
	for i := 2; i <= 10; i++ {
		if i == 5 {
			b.WriteString("C5,p5@example.com,\"Unclosed,Last5,Co5\n")
			continue
		}
		b.WriteString(hostileRow(i))
	}
	in := filepath.Join(dir, "quote.csv")
	if err := os.WriteFile(in, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	rep := filepath.Join(dir, "report.csv")
	code, stderr := cli(t, "validate", in, "--quiet", "--report", rep)
	if code != exitRowsFailed {
		t.Fatalf("exit %d, want %d; stderr:\n%s", code, exitRowsFailed, stderr)
	}
	rows := readReport(t, rep)
	if got, want := statuses(rows), "2:valid 3:valid 4:valid 5:invalid 6:invalid 7:invalid 8:invalid 9:invalid 10:invalid"; got != want {
		t.Fatalf("statuses %q, want %q", got, want)
	}
	if msg := rows[3]["import_message"]; !strings.Contains(msg, "the quote on line 5 is never closed") {
		t.Errorf("row 5 message = %q", msg)
	}
	if msg := rows[8]["import_message"]; !strings.Contains(msg, "broken quote on line 5 (row 5)") {
		t.Errorf("row 10 message = %q", msg)
	}
	errs, err := os.ReadFile(filepath.Join(dir, "report.errors.csv"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{"C5,p5@example.com,\"Unclosed,Last5,Co5,5,", strings.TrimSuffix(hostileRow(10), "\n") + ",10,"} {
		if !strings.Contains(string(errs), "\n"+line) {
			t.Errorf("errors file lacks the raw line %q:\n%s", line, errs)
		}
	}
}

func TestValidateMixedEncoding(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "mixed.csv")
	data := hostileHeader + "C2,j@example.com,J\xC3\xBCrgen,M\xC3\xBCller,X\nC3,m@example.com,M\xFCller,Hans,Y\n"
	if err := os.WriteFile(in, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stderr := cli(t, "validate", in, "--quiet", "--report", filepath.Join(dir, "r.csv"))
	if code != exitFatal || !strings.Contains(stderr, "line 3") || !strings.Contains(stderr, "input.encoding") {
		t.Fatalf("exit %d, want %d naming line 3 and the encoding override; stderr:\n%s", code, exitFatal, stderr)
	}
}

// A cell the report neutralised (TAB, CR and = + - @ starts) re-imports as
// the value first imported: importing the report writes nothing.
func TestReportNeutralisationRoundTrip(t *testing.T) {
	ten := newTenant(t, emulator.Config{})
	dir := t.TempDir()
	in := filepath.Join(dir, "in.csv")
	data := hostileHeader + "N1,n1@example.com,A,B,\"\t=1+1\"\nN2,n2@example.com,A,B,\"\r-2\"\nN3,n3@example.com,A,B,'@x\n"
	if err := os.WriteFile(in, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	rep := filepath.Join(dir, "first.csv")
	if code, stderr := cli(t, "import", in, "--quiet", "--report", rep); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	before := projection(ten.State())
	ten.ResetStats()
	rep2 := filepath.Join(dir, "second.csv")
	if code, stderr := cli(t, "import", rep, "--quiet", "--report", rep2); code != exitOK {
		t.Fatalf("re-import of the report: exit %d: %s", code, stderr)
	}
	if w := ten.Stats().Writes; w != 0 {
		t.Errorf("re-importing the report made %d writes; tenant now:\n%s\nbefore:\n%s", w, projection(ten.State()), before)
	}
	if got, want := statuses(readReport(t, rep2)), "2:unchanged 3:unchanged 4:unchanged"; got != want {
		t.Errorf("statuses %q, want %q", got, want)
	}
}

// 16,384 input columns plus the report's own do not fit in an XLSX sheet:
// a clear message before anything is written, and no empty report left.
func TestXLSXReportTooWide(t *testing.T) {
	dir := t.TempDir()
	cols := []string{"customerNumber", "contactEmail", "firstName", "lastName"}
	for len(cols) < 16384 {
		cols = append(cols, fmt.Sprintf("x%d", len(cols)))
	}
	in := filepath.Join(dir, "wide.csv")
	data := strings.Join(cols, ",") + "\nW1,w@example.com,A,B" + strings.Repeat(",", len(cols)-4) + "\n"
	if err := os.WriteFile(in, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	rep := filepath.Join(dir, "wide.xlsx")
	code, stderr := cli(t, "validate", in, "--quiet", "--report", rep)
	if code != exitFatal || !strings.Contains(stderr, "do not fit in an XLSX sheet") {
		t.Fatalf("exit %d, want %d with a clear message; stderr:\n%s", code, exitFatal, stderr)
	}
	if _, err := os.Stat(rep); !os.IsNotExist(err) {
		t.Errorf("report left behind: %v", err)
	}
}

// URLs with credentials, through every error path of the connection setup:
// neither stderr nor the summary JSON repeats the password.
func TestAPIURLCredentialsNeverPrinted(t *testing.T) {
	newTenant(t, emulator.Config{}) // credentials in the environment
	dir := t.TempDir()
	in := writeSecInput(t, dir)
	for _, u := range []string{
		"http://user:Pw4711@127.0.0.1:8089/%zz",
		"http://user:Pw4711@127.0.0.1:8089/",
		"http://user:Pw4711@[::1",
		"http://user:Pw4711@10.1.2.3/",
		"ftp://user:Pw4711@127.0.0.1/",
		"https://127.0.0.1/?client_secret=Pw4711",
		"user:Pw4711@127.0.0.1",
		"http://user:Pw4711@/nohost",
	} {
		sum := filepath.Join(dir, "sum.json")
		r := runCLI(t, "import", in, "--quiet", "--api-url", u, "--report", filepath.Join(dir, "r.csv"), "--summary-json", sum)
		if r.code == exitOK {
			t.Errorf("%s: exit 0", u)
		}
		js, _ := os.ReadFile(sum)
		if strings.Contains(r.stderr, "Pw4711") || strings.Contains(string(js), "Pw4711") || strings.Contains(r.stdout, "Pw4711") {
			t.Errorf("%s: password printed:\nstderr: %s\nsummary: %s", u, r.stderr, js)
		}
		d := runCLI(t, "doctor", "--api-url", u, "--timeout", "2s")
		if strings.Contains(d.stderr, "Pw4711") || strings.Contains(d.stdout, "Pw4711") {
			t.Errorf("doctor %s: password printed:\n%s\n%s", u, d.stdout, d.stderr)
		}
	}
}

func TestSecretFileReadableByOthersWarns(t *testing.T) {
	ten := newTenant(t, emulator.Config{})
	dir := t.TempDir()
	in := writeSecInput(t, dir)
	file := filepath.Join(dir, "secret")
	if err := os.WriteFile(file, []byte(ten.Config().ClientSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("EMPORIX_CLIENT_SECRET", "")
	r := runCLI(t, "import", in, "--quiet", "--client-secret-file", file, "--report", filepath.Join(dir, "a.csv"))
	if r.code != exitOK || strings.Contains(r.stderr, "warning") {
		t.Fatalf("mode 0600: exit %d, stderr %s", r.code, r.stderr)
	}
	if err := os.Chmod(file, 0o644); err != nil {
		t.Fatal(err)
	}
	r = runCLI(t, "import", in, "--quiet", "--client-secret-file", file, "--report", filepath.Join(dir, "b.csv"))
	if r.code != exitOK || !strings.Contains(r.stderr, "readable by group or others (mode 0644)") {
		t.Errorf("mode 0644: exit %d, stderr %s", r.code, r.stderr)
	}
	if strings.Contains(r.stderr, ten.Config().ClientSecret) {
		t.Error("the warning printed the secret")
	}
}
