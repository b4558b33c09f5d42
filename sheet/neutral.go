package sheet

import "strings"

// formulaStarts are the first characters that make Excel or LibreOffice
// evaluate a cell as a formula (TAB and CR because some of them strip those
// first). Reports neutralise such cells with a leading apostrophe.
const formulaStarts = "=+-@\t\r"

// Neutralise defuses a spreadsheet formula by prefixing an apostrophe. It
// also prefixes a cell that already starts with an apostrophe followed by one
// of those characters (or another apostrophe), so that Unneutralise restores
// every cell exactly.
func Neutralise(s string) string {
	if s == "" {
		return s
	}
	if strings.IndexByte(formulaStarts, s[0]) >= 0 || quotedStart(s) {
		return "'" + s
	}
	return s
}

// Unneutralise undoes Neutralise, so a report or errors file re-imports the
// values that were read.
func Unneutralise(s string) string {
	if quotedStart(s) {
		return s[1:]
	}
	return s
}

func quotedStart(s string) bool {
	return len(s) >= 2 && s[0] == '\'' && (s[1] == '\'' || strings.IndexByte(formulaStarts, s[1]) >= 0)
}
