package scaffold

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// render writes the mapping as YAML, each field with a comment saying why.
func (p *plan) render(input string, info csvInfo) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Starter mapping for %s, written by emporix-import mapping init.\n", filepath.Base(input))
	fmt.Fprintf(&b, "# Check every line, then try it: emporix-import validate %s --mapping THIS.yaml --show 3\n", input)
	if info.encoding != "" {
		enc := info.encoding
		if strings.HasPrefix(enc, "utf-16") {
			enc = "utf-16"
		}
		delim := string(info.delimiter)
		if info.delimiter == '\t' {
			delim = "tab"
		}
		fmt.Fprintf(&b, "input:\n  delimiter: %s\n  encoding: %s\n", strconv.Quote(delim), enc)
	}
	fmt.Fprintf(&b, "match: %s\n", p.key)
	b.WriteString("customer:\n")
	for _, s := range p.customerFields() {
		writeField(&b, "  ", s)
	}
	if addr := p.addressFields(); len(addr) > 0 {
		b.WriteString("addresses:\n")
		for i, s := range addr {
			indent := "    "
			if i == 0 {
				indent = "  - "
			}
			writeField(&b, indent, s)
		}
	}
	writeColumnList(&b, "Address columns left out: no column gives the contact name Emporix requires:", p.noName)
	writeColumnList(&b, "Columns not mapped (no field matched their name or content):", p.unmatched())
	return b.String()
}

// writeField writes one `field: source` line.
func writeField(b *strings.Builder, indent string, s *spec) {
	field := strings.TrimPrefix(s.field, "address.")
	var parts []string
	if len(s.columns) == 1 {
		parts = append(parts, "column: "+q(s.columns[0]))
	} else {
		cols := make([]string, len(s.columns))
		for i, c := range s.columns {
			cols[i] = q(c)
		}
		parts = append(parts, "columns: ["+strings.Join(cols, ", ")+"]", `join: " "`)
	}
	if len(s.transforms) > 0 {
		ts := make([]string, len(s.transforms))
		for i, t := range s.transforms {
			ts[i] = q(t)
		}
		parts = append(parts, "transform: ["+strings.Join(ts, ", ")+"]")
	}
	if s.split != "" {
		parts = append(parts, "split: "+strconv.Quote(s.split))
	}
	if len(s.values) > 0 {
		keys := make([]string, 0, len(s.values))
		for k := range s.values {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		vs := make([]string, len(keys))
		for i, k := range keys {
			vs[i] = q(k) + ": " + q(s.values[k])
		}
		parts = append(parts, "values: { "+strings.Join(vs, ", ")+" }")
	}
	src := q(s.columns[0])
	if len(parts) > 1 || len(s.columns) > 1 {
		src = "{ " + strings.Join(parts, ", ") + " }"
	}
	fmt.Fprintf(b, "%s%s: %s  # %s\n", indent, field, src, s.how)
}

// plainRE is what may stay an unquoted YAML scalar here.
var plainRE = regexp.MustCompile(`^[\p{L}_][\p{L}\p{N} _.\-()]*$`)

// yamlWords would be read as booleans or null if left plain.
var yamlWords = []string{"y", "n", "yes", "no", "true", "false", "on", "off", "null"}

// q quotes s for YAML when it would not read back as the same string.
func q(s string) string {
	if plainRE.MatchString(s) && !strings.HasSuffix(s, " ") && !slices.Contains(yamlWords, strings.ToLower(s)) {
		return s
	}
	return strconv.Quote(s)
}
