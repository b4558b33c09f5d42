package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A fatal input error names the file once: the reader's message already
// carries it, and no layer above adds it again.
func TestFatalInputErrorsNameFileOnce(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	unreadable := filepath.Join(dir, "folder.csv")
	if err := os.Mkdir(unreadable, 0o700); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, want string
	}{
		{"missing csv", filepath.Join(dir, "missing.csv"), "open " + filepath.Join(dir, "missing.csv") + ": no such file or directory"},
		{"missing xlsx", filepath.Join(dir, "missing.xlsx"), "open " + filepath.Join(dir, "missing.xlsx") + ": no such file or directory"},
		{"unreadable", unreadable, "read " + unreadable + ": is a directory"},
		{"missing column", write("nocol.csv", "foo,bar\n1,2\n"),
			filepath.Join(dir, "nocol.csv") + `: mapped column(s) not usable: "customerNumber" (the match key)`},
		{"mixed encoding", write("mixed.csv", "customerNumber,contactEmail,firstName\nA,a@x.com,J\xc3\xbcrgen\nB,b@x.com,M\xfcller\n"),
			filepath.Join(dir, "mixed.csv") + ": line 3: mixed encodings: byte 0xFC is not UTF-8"},
		{"read error", write("long.csv", "customerNumber,contactEmail\nA,"+strings.Repeat("x", 17<<20)+"\n"),
			filepath.Join(dir, "long.csv") + ": line 2: record too large"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stderr := cli(t, "validate", tc.path, "--quiet", "--report", filepath.Join(dir, "report.csv"))
			if code != exitFatal {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, exitFatal, stderr)
			}
			if !strings.Contains(stderr, "emporix-import: "+tc.want) {
				t.Errorf("stderr = %q, want it to contain %q", stderr, tc.want)
			}
			if n := strings.Count(stderr, filepath.Base(tc.path)); n != 1 {
				t.Errorf("the file is named %d times: %q", n, stderr)
			}
		})
	}
}
