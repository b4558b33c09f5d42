// Package report writes the per-row result file, its .errors companion and the run summary.
package report

// Status is the outcome of one input row.
type Status string

const (
	Created     Status = "created"
	Updated     Status = "updated"
	Unchanged   Status = "unchanged"
	Invalid     Status = "invalid"
	Failed      Status = "failed"
	Skipped     Status = "skipped"
	WouldCreate Status = "would_create"
	WouldUpdate Status = "would_update"
	Valid       Status = "valid"
)

// Result is the outcome of one input row.
type Result struct {
	Seq            int      // 0-based data row position (sheet.Row.Seq): the report is written in this order
	Row            int      // spreadsheet row number (import_row)
	Cells          []string // source cells as read
	Status         Status
	CustomerNumber string
	AddressIDs     []string
	Changes        []string
	Message        string
}
