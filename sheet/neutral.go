package sheet

import "strings"

// formulaStarts are the first characters that make Excel or LibreOffice
// evaluate a cell as a formula (TAB and CR because some of them strip those
// first). Reports neutralise such cells with a leading apostrophe.
const formulaStarts = "=+-@\t\r"

// Neutralise defuses a spreadsheet formula by prefixing an apostrophe.
func Neutralise(s string) string {
	if IsFormula(s) {
		return "'" + s
	}
	return s
}

// IsFormula reports whether Neutralise would prefix s: writers that stream
// cells write the apostrophe themselves instead of building a new string.
func IsFormula(s string) bool {
	return s != "" && strings.IndexByte(formulaStarts, s[0]) >= 0
}

// Unneutralise undoes Neutralise; readers apply it to every cell, so a cell
// reads the same from the input and from a report written from it:
// Unneutralise(Neutralise(s)) == Unneutralise(s) for every s.
func Unneutralise(s string) string {
	if len(s) >= 2 && s[0] == '\'' && strings.IndexByte(formulaStarts, s[1]) >= 0 {
		return s[1:]
	}
	return s
}
