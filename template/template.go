// Package template writes the blank input file a user fills in: the canonical
// columns of the mapping as a CSV header, or an XLSX sheet with text-formatted
// cells and dropdowns on the columns that take codes.
package template

import (
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/biter777/countries"
	"github.com/emporix-import/emporix-import/mapping"
	"github.com/xuri/excelize/v2"
)

// DropdownRows is how many data rows of the XLSX template carry dropdowns.
const DropdownRows = 1000

const (
	templateSheet = "Customers"
	listsSheet    = "Lists"
)

// Dropdown values of the XLSX template.
var (
	Titles   = []string{"MR", "MRS", "MS", "DR"}
	Booleans = []string{"true", "false"}
	// Excel lists are single-select, so common combinations are offered too.
	Tags       = []string{"BILLING", "SHIPPING", "PRIMARY_CONTACT", "BILLING,SHIPPING", "BILLING,SHIPPING,PRIMARY_CONTACT"}
	Currencies = []string{"EUR", "USD", "GBP", "CHF", "SEK", "NOK", "DKK", "PLN", "CZK", "HUF", "RON",
		"ISK", "TRY", "JPY", "CNY", "HKD", "SGD", "AUD", "NZD", "CAD", "MXN", "BRL", "INR", "ZAR", "AED", "SAR", "ILS", "KRW", "THB"}
	Languages = []string{"de_DE", "de_AT", "de_CH", "en_US", "en_GB", "en_IE", "fr_FR", "fr_BE", "fr_CH", "it_IT",
		"it_CH", "es_ES", "nl_NL", "nl_BE", "pl_PL", "pt_PT", "pt_BR", "sv_SE", "da_DK", "nb_NO", "fi_FI", "cs_CZ", "de", "en", "fr", "it", "es"}
)

// Countries returns the officially assigned ISO 3166-1 alpha-2 codes,
// sorted (the countries package also lists AN, YU and XK, which are not).
func Countries() []string {
	var out []string
	for _, c := range countries.All() {
		switch a := c.Alpha2(); a {
		case "AN", "YU", "XK", "":
		default:
			out = append(out, a)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Write writes a blank input template with the canonical columns:
// a CSV header line, or an XLSX sheet whose cells are text-formatted (zip codes
// keep their leading zeros) with dropdowns on the columns that take codes.
func Write(path string) error {
	ext := strings.ToLower(filepath.Ext(path))
	if ext != ".csv" && ext != ".xlsx" {
		return fmt.Errorf("template %q: unsupported extension %q (want .csv or .xlsx)", path, filepath.Ext(path))
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("template: create directory: %w", err)
	}
	var err error
	if ext == ".csv" {
		err = writeCSVTemplate(path)
	} else {
		err = writeXLSXTemplate(path)
	}
	if err != nil {
		return fmt.Errorf("template %q: %w", path, err)
	}
	return nil
}

func writeCSVTemplate(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	cw := csv.NewWriter(f)
	_ = cw.Write(mapping.CanonicalColumns())
	cw.Flush()
	return errors.Join(cw.Error(), f.Close())
}

type dropdown struct {
	column string
	inline []string // short lists: written into the rule
	list   []string // long lists: put on the hidden Lists sheet
	strict bool     // stop on other values; else warn (uncommon but valid codes)
}

func templateDropdowns() []dropdown {
	return []dropdown{
		{column: "title", inline: Titles, strict: true},
		{column: "type", inline: mapping.Choices("type"), strict: true},
		{column: "preferredLanguage", list: Languages},
		{column: "preferredCurrency", list: Currencies},
		{column: "active", inline: Booleans, strict: true},
		{column: "onHold", inline: Booleans, strict: true},
		{column: "address.country", list: Countries(), strict: true},
		{column: "address.tags", list: Tags},
		{column: "address.isDefault", inline: Booleans, strict: true},
	}
}

func writeXLSXTemplate(path string) (err error) {
	f := excelize.NewFile()
	defer func() { err = errors.Join(err, f.Close()) }()
	if err := f.SetSheetName("Sheet1", templateSheet); err != nil {
		return err
	}
	cols := mapping.CanonicalColumns()
	last, _ := excelize.ColumnNumberToName(len(cols))

	text, err := f.NewStyle(&excelize.Style{NumFmt: 49}) // "@": keep 01067 and +49 as typed
	if err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{NumFmt: 49, Font: &excelize.Font{Bold: true},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"F2F2F2"}}})
	if err != nil {
		return err
	}
	if err := f.SetColStyle(templateSheet, "A:"+last, text); err != nil {
		return err
	}
	if err := f.SetColWidth(templateSheet, "A", last, 18); err != nil {
		return err
	}
	if err := f.SetSheetRow(templateSheet, "A1", &cols); err != nil {
		return err
	}
	if err := f.SetCellStyle(templateSheet, "A1", last+"1", bold); err != nil {
		return err
	}
	if err := f.SetPanes(templateSheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}

	if _, err := f.NewSheet(listsSheet); err != nil {
		return err
	}
	listCol := 0
	for _, d := range templateDropdowns() {
		idx := slices.Index(cols, d.column)
		if idx < 0 {
			return fmt.Errorf("canonical column %q missing", d.column)
		}
		col, _ := excelize.ColumnNumberToName(idx + 1)
		dv := excelize.NewDataValidation(true)
		dv.Sqref = fmt.Sprintf("%s2:%s%d", col, col, DropdownRows+1)
		if d.inline != nil {
			if err := dv.SetDropList(d.inline); err != nil {
				return err
			}
		} else {
			listCol++
			lc, _ := excelize.ColumnNumberToName(listCol)
			for i, v := range d.list {
				if err := f.SetCellStr(listsSheet, fmt.Sprintf("%s%d", lc, i+1), v); err != nil {
					return err
				}
			}
			dv.SetSqrefDropList(fmt.Sprintf("%s!$%s$1:$%s$%d", listsSheet, lc, lc, len(d.list)))
		}
		if d.strict {
			dv.SetError(excelize.DataValidationErrorStyleStop, d.column, "Pick a value from the list.")
		} else {
			dv.SetError(excelize.DataValidationErrorStyleWarning, d.column, "Not a common value; keep it only if it is a valid code.")
		}
		if err := f.AddDataValidation(templateSheet, dv); err != nil {
			return err
		}
	}
	if err := f.SetSheetVisible(listsSheet, false); err != nil {
		return err
	}
	return f.SaveAs(path)
}
