package scaffold

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/emporix-import/emporix-import/mapping"
	"github.com/emporix-import/emporix-import/presets"
	"github.com/emporix-import/emporix-import/sheet"
)

// sampleRows is how many data rows are read to sniff the columns' content.
const sampleRows = 200

// Match is one column matched to a field.
type Match struct {
	Column string
	Field  string // "contactEmail", "address.zipCode", …
	How    string // why: "name", "its cells are e-mail addresses", …
}

// Result is a starter mapping and how it was made.
type Result struct {
	YAML      string
	Match     string   // the match key chosen
	Matches   []Match  // in mapping order; a column may feed several fields
	Unmatched []string // input columns no field reads, in input order
}

// ErrNoKey means no column could identify customers.
var ErrNoKey = errors.New("no column looks like a customer number or an e-mail address, so customers cannot be matched")

// Generate reads the input's header and first rows and writes a starter
// mapping matching every column it can. With preset, it starts from that
// built-in mapping instead and notes how the file differs from it. The result
// is checked against the input's header: it binds, or Generate fails.
func Generate(ctx context.Context, input, preset string) (*Result, error) {
	if preset != "" {
		return fromPreset(input, preset)
	}
	cols, info, err := readColumns(ctx, input)
	if err != nil {
		return nil, err
	}
	p := newPlan(cols)
	p.match()
	p.refine()
	if err := p.chooseKey(); err != nil {
		return nil, fmt.Errorf("%s: %w", input, err)
	}
	res := &Result{Match: p.key, Matches: p.matches(), Unmatched: p.unmatched()}
	res.YAML = p.render(input, info)
	if err := check(res.YAML, input, p.header()); err != nil {
		return nil, err
	}
	return res, nil
}

// csvInfo is what the CSV reader sniffed; zero for XLSX.
type csvInfo struct {
	encoding  string
	delimiter rune
}

// readColumns returns the input's columns with up to sampleRows non-empty cells each.
func readColumns(ctx context.Context, input string) ([]*column, csvInfo, error) {
	rd, err := sheet.Open(input, sheet.Options{})
	if err != nil {
		return nil, csvInfo{}, err
	}
	defer rd.Close()
	var info csvInfo
	if ci, ok := rd.(sheet.CSVInfo); ok {
		info = csvInfo{encoding: ci.Encoding(), delimiter: ci.Delimiter()}
	}
	cols := make([]*column, len(rd.Header()))
	for i, h := range rd.Header() {
		cols[i] = &column{name: h}
	}
	for n := 0; n < sampleRows; n++ {
		if err := ctx.Err(); err != nil {
			return nil, info, err
		}
		r, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, info, err
		}
		for i, c := range cols {
			c.rows++
			if i < len(r.Cells) {
				if s := strings.TrimSpace(r.Cells[i]); s != "" {
					c.samples = append(c.samples, s)
				}
			}
		}
	}
	return cols, info, nil
}

// check proves that a generated mapping loads and binds to the header.
func check(yaml, input string, header []string) error {
	m, err := mapping.Parse("generated mapping", []byte(yaml))
	if err != nil {
		return fmt.Errorf("internal error: the generated mapping does not load: %w", err)
	}
	if _, err := m.Bind(input, header); err != nil {
		return fmt.Errorf("internal error: the generated mapping does not fit %s: %w", input, err)
	}
	return nil
}

// fromPreset returns a preset's text, followed by comments on how the input
// differs from what the preset expects.
func fromPreset(input, name string) (*Result, error) {
	path := presets.Prefix + name
	m, err := mapping.Load(path)
	if err != nil {
		return nil, err
	}
	src, err := mapping.ReadSource(path)
	if err != nil {
		return nil, err
	}
	rd, err := sheet.Open(input, m.SheetOptions())
	if err != nil {
		return nil, err
	}
	header := rd.Header()
	rd.Close()
	wanted := m.Columns()
	var missing, extra []string
	for _, c := range wanted {
		if !slices.ContainsFunc(header, func(h string) bool { return sameColumn(h, c) }) {
			missing = append(missing, c)
		}
	}
	for _, h := range header {
		if !slices.ContainsFunc(wanted, func(c string) bool { return sameColumn(h, c) }) {
			extra = append(extra, h)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Starter mapping for %s from the built-in preset %s.\n", filepath.Base(input), name)
	b.Write(src)
	writeColumnList(&b, "Columns of the file this mapping does not read:", extra)
	if len(missing) > 0 {
		writeColumnList(&b, "Columns this mapping reads that the file lacks (rename or remove them):", missing)
		return &Result{YAML: b.String(), Match: m.Match, Unmatched: extra},
			fmt.Errorf("%s lacks columns the preset %s reads: %s", input, name, strings.Join(missing, ", "))
	}
	return &Result{YAML: b.String(), Match: m.Match, Unmatched: extra}, nil
}

// sameColumn is how Bind compares names: exact, or case-insensitive with spaces trimmed.
func sameColumn(a, b string) bool {
	return a == b || strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b))
}

func writeColumnList(b *strings.Builder, title string, cols []string) {
	if len(cols) == 0 {
		return
	}
	fmt.Fprintf(b, "\n# %s\n", title)
	for _, c := range cols {
		fmt.Fprintf(b, "#   %s\n", c)
	}
}
