package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// body returns a function declaration spanning exactly n lines.
func body(decl string, n int) string {
	var b strings.Builder
	b.WriteString(decl + " {\n")
	for i := 0; i < n-2; i++ {
		fmt.Fprintf(&b, "\t_ = %d\n", i)
	}
	b.WriteString("}\n")
	return b.String()
}

func writeFile(t *testing.T, path, src string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestRun(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "p", "a.go"), "package p\n\ntype T[K any] struct{}\n\n"+
		body("func atLimit()", 10)+body("func overLimit()", 11)+body("func (t *T[K]) method()", 12))
	// Tests, testdata and hidden directories are not checked.
	writeFile(t, filepath.Join(dir, "p", "a_test.go"), "package p\n\n"+body("func longTest()", 50))
	writeFile(t, filepath.Join(dir, "p", "testdata", "x.go"), "package x\n\n"+body("func long()", 50))
	writeFile(t, filepath.Join(dir, ".hidden", "x.go"), "package x\n\n"+body("func long()", 50))

	tests := []struct {
		name     string
		allow    string
		wantCode int
		want     []string
		notWant  []string
	}{
		{"no allow-list", "", 1,
			[]string{"p.overLimit is 11 lines, limit 10", "p.T.method is 12 lines, limit 10"},
			[]string{"atLimit", "longTest", "long is"}},
		{"one allowed", "# comment\np.T.method\n", 1,
			[]string{"p.overLimit is 11 lines, limit 10", "p.T.method is 12 lines (allowed"}, nil},
		{"all allowed, one stale", "p.overLimit\np.T.method # split soon\np.gone\n", 0,
			[]string{"note: p.gone is listed"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			allow := ""
			if tt.allow != "" {
				allow = filepath.Join(t.TempDir(), "allow.txt")
				writeFile(t, allow, tt.allow)
			}
			var out bytes.Buffer
			code, err := run(&out, []string{dir}, 10, allow)
			if err != nil {
				t.Fatal(err)
			}
			if code != tt.wantCode {
				t.Errorf("code %d, want %d; output:\n%s", code, tt.wantCode, out.String())
			}
			for _, w := range tt.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(out.String(), w) {
					t.Errorf("output has %q:\n%s", w, out.String())
				}
			}
		})
	}
}

func TestRunParseError(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "bad.go"), "package p\nfunc {")
	if _, err := run(&bytes.Buffer{}, []string{dir}, 80, ""); err == nil {
		t.Fatal("want a parse error")
	}
}
