package sheet

import "testing"

func TestNeutralise(t *testing.T) {
	for in, want := range map[string]string{
		"": "", "=1+2": "'=1+2", "+49": "'+49", "-5": "'-5", "@SUM(A1)": "'@SUM(A1)",
		"\tx": "'\tx", "\t=1+1": "'\t=1+1", "\rx": "'\rx", "a=b": "a=b", "Ölmühle": "Ölmühle",
		"'=x": "'=x", "'": "'",
	} {
		if got := Neutralise(in); got != want {
			t.Errorf("Neutralise(%q) = %q, want %q", in, got, want)
		}
		if back, read := Unneutralise(Neutralise(in)), Unneutralise(in); back != read {
			t.Errorf("%q reads as %q from the report, %q from the input", in, back, read)
		}
	}
}

// Whatever the cell, the report's copy reads as the input's did, and never
// starts a formula.
func FuzzNeutralise(f *testing.F) {
	for _, s := range []string{"\t=1+1", "\r=1", "'=x", "''=x", "=", "'", "-", "'@x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := Neutralise(s)
		if back, read := Unneutralise(n), Unneutralise(s); back != read {
			t.Fatalf("%q reads as %q from the report, %q from the input", s, back, read)
		}
		if n != "" && (n[0] == '=' || n[0] == '+' || n[0] == '-' || n[0] == '@' || n[0] == '\t' || n[0] == '\r') {
			t.Fatalf("Neutralise(%q) = %q still starts a formula", s, n)
		}
	})
}
