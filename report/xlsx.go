package report

import (
	"cmp"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/emporix-import/emporix-import/sheet"
)

// Status fills: Excel's "Good" / "Neutral-blue" / "Bad" / grey palette.
var statusColours = map[Status][2]string{ // fill, font
	Created:     {"C6EFCE", "006100"},
	Updated:     {"C6EFCE", "006100"},
	Unchanged:   {"C6EFCE", "006100"},
	Valid:       {"C6EFCE", "006100"},
	WouldCreate: {"DDEBF7", "1F4E79"},
	WouldUpdate: {"DDEBF7", "1F4E79"},
	Invalid:     {"FFC7CE", "9C0006"},
	Failed:      {"FFC7CE", "9C0006"},
	Skipped:     {"EDEDED", "595959"},
	// Mirror rows: a customer taken out of the shop stands out ("Neutral").
	Deactivated:     {"FFEB9C", "9C5700"},
	Deleted:         {"FFEB9C", "9C5700"},
	WouldDeactivate: {"DDEBF7", "1F4E79"},
	WouldDelete:     {"DDEBF7", "1F4E79"},
}

// xlsxSink streams one sheet with excelize's StreamWriter (the cell API keeps
// every cell in memory); the file is created up front so that an unwritable
// path fails at Create, and filled at close.
type xlsxSink struct {
	out       *os.File
	f         *excelize.File
	sw        *excelize.StreamWriter
	sheet     string
	row       int
	width     int
	report    bool
	statusCol int // index of import_status, report only
	styles    map[Status]int
	values    []any
}

func newXLSXSink(path, sheetName string, headerRow int, report bool, header []string) (s *xlsxSink, err error) {
	out, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("create report: %w", err)
	}
	f := excelize.NewFile()
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = out.Close()
			_ = os.Remove(path) // never leave an empty report behind
		}
	}()
	if err := f.SetSheetName("Sheet1", sheetName); err != nil {
		return nil, fmt.Errorf("sheet name %q: %w", sheetName, err)
	}
	sw, err := f.NewStreamWriter(sheetName)
	if err != nil {
		return nil, err
	}
	if headerRow < 1 {
		headerRow = 1
	}
	s = &xlsxSink{out: out, f: f, sw: sw, sheet: sheetName, row: headerRow - 1, width: len(header),
		report: report, statusCol: -1}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"F2F2F2"}}})
	if err != nil {
		return nil, err
	}
	if report {
		s.statusCol = len(header) - len(ReportColumns) + 1
		s.styles = make(map[Status]int, len(statusColours))
		for st, c := range statusColours {
			id, err := f.NewStyle(&excelize.Style{
				Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{c[0]}},
				Font: &excelize.Font{Color: c[1]},
			})
			if err != nil {
				return nil, err
			}
			s.styles[st] = id
		}
		// Widths and panes must precede the first row.
		if len(header) > 1 { // non-overlapping ranges: Excel "repairs" overlapping <col>s
			if err := sw.SetColWidth(1, len(header)-1, 16); err != nil {
				return nil, err
			}
			if err := sw.SetColWidth(len(header), len(header), 80); err != nil {
				return nil, err
			}
		}
		if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: headerRow, TopLeftCell: cellName(1, headerRow+1),
			ActivePane: "bottomLeft", Selection: []excelize.Selection{{SQRef: cellName(1, headerRow+1), ActiveCell: cellName(1, headerRow+1), Pane: "bottomLeft"}}}); err != nil {
			return nil, err
		}
	}
	hdr := make([]any, len(header))
	for i, h := range header {
		if report {
			h = sheet.Neutralise(h)
		}
		hdr[i] = excelize.Cell{StyleID: bold, Value: h}
	}
	if err := s.setRow(hdr); err != nil {
		return nil, err
	}
	return s, nil
}

func cellName(col, row int) string {
	n, _ := excelize.CoordinatesToCellName(col, row)
	return n
}

func (s *xlsxSink) setRow(values []any) error {
	s.row++
	return s.sw.SetRow(cellName(1, s.row), values)
}

// writeRow writes every cell as an inline string, never a formula; report
// cells are also prefixed like in CSV so that a copy-paste into another sheet
// or a CSV export stays harmless. The errors file keeps source cells as read.
func (s *xlsxSink) writeRow(cells []string, st Status) error {
	vals := s.values[:0]
	for i, c := range cells {
		if s.report {
			c = sheet.Neutralise(c)
		}
		if i == s.statusCol {
			vals = append(vals, excelize.Cell{StyleID: s.styles[st], Value: c})
			continue
		}
		vals = append(vals, c)
	}
	s.values = vals
	return s.setRow(vals)
}

func (s *xlsxSink) close(sum Summary) error {
	err := s.finish(sum)
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	if cerr := s.out.Close(); err == nil {
		err = cerr
	}
	return err
}

func (s *xlsxSink) finish(sum Summary) error {
	if err := s.sw.Flush(); err != nil {
		return err
	}
	if s.report {
		if err := writeSummarySheet(s.f, sum); err != nil {
			return fmt.Errorf("summary sheet: %w", err)
		}
	}
	if _, err := s.f.WriteTo(s.out); err != nil {
		return err
	}
	return nil
}

// summaryRows are the Summary sheet's label/value rows; head is the 1-based
// row of the Status/Count heading.
func summaryRows(s Summary) (rows [][2]any, head int) {
	started := ""
	if !s.StartedAt.IsZero() {
		started = s.StartedAt.UTC().Format(time.RFC3339)
	}
	rows = [][2]any{
		{"Command", s.commandLabel()},
		{"Input", s.Input},
		{"Report", s.Report},
		{"Errors file", cmp.Or(strings.Join(s.ErrorsFiles, ", "), s.ErrorsFile)},
		{"Started at", started},
		{"Duration (s)", round(s.Duration.Seconds(), 3)},
		{"Rows", s.Rows},
		{"Rows/s", round(s.rate(), 1)},
		{"Requests", s.Requests},
		{"Retries", s.Retries},
		{"429 responses", s.RateLimited},
		{"Exit code", s.ExitCode},
	}
	if s.Aborted != "" {
		rows = append(rows, [2]any{"Aborted", s.Aborted})
	}
	rows = append(rows, s.Mirror.rows()...)
	rows = append(rows, [2]any{}, [2]any{"Status", "Count"})
	head = len(rows)
	for _, st := range orderedStatuses(s.Counts) {
		rows = append(rows, [2]any{string(st), s.Counts[st]})
	}
	if len(s.Changes) > 0 {
		rows = append(rows, [2]any{}, [2]any{"Changed field", "Writes"})
		for _, f := range OrderedChanges(s.Changes) {
			rows = append(rows, [2]any{f, s.Changes[f]})
		}
	}
	return rows, head
}

// writeSummarySheet adds the small Summary sheet with the cell API.
func writeSummarySheet(f *excelize.File, s Summary) error {
	const sh = "Summary"
	if _, err := f.NewSheet(sh); err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	rows, head := summaryRows(s)
	for i, r := range rows {
		for j, v := range r {
			ref := cellName(j+1, i+1)
			var err error
			switch v := v.(type) {
			case nil:
				continue
			case string: // typed string: a path like "=x.csv" stays text
				err = f.SetCellStr(sh, ref, v)
			default:
				err = f.SetCellValue(sh, ref, v)
			}
			if err != nil {
				return err
			}
		}
	}
	// Labels (above the blank row) and the Status/Count heading are bold.
	if err := f.SetCellStyle(sh, "A1", cellName(1, head-2), bold); err != nil {
		return err
	}
	if err := f.SetCellStyle(sh, cellName(1, head), cellName(2, head), bold); err != nil {
		return err
	}
	if len(s.Changes) > 0 {
		ref := cellName(1, head+len(s.Counts)+2)
		if err := f.SetCellStyle(sh, ref, cellName(2, head+len(s.Counts)+2), bold); err != nil {
			return err
		}
	}
	for i, st := range orderedStatuses(s.Counts) {
		if c, ok := statusColours[st]; ok {
			id, err := f.NewStyle(&excelize.Style{Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{c[0]}}, Font: &excelize.Font{Color: c[1]}})
			if err != nil {
				return err
			}
			ref := cellName(1, head+1+i)
			if err := f.SetCellStyle(sh, ref, ref, id); err != nil {
				return err
			}
		}
	}
	if err := f.SetColWidth(sh, "A", "A", 16); err != nil {
		return err
	}
	if err := f.SetColWidth(sh, "B", "B", 60); err != nil {
		return err
	}
	return nil
}
