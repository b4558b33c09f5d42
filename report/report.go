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

	// Mirror rows (--missing): customers in scope that the input lacks.
	Deactivated     Status = "deactivated"
	Deleted         Status = "deleted"
	WouldDeactivate Status = "would_deactivate"
	WouldDelete     Status = "would_delete"
)

// Result is the outcome of one input row, or of one customer the input lacks
// (a mirror row: Row 0, no cells, after every input row).
type Result struct {
	Seq            int      // 0-based data row position (sheet.Row.Seq): the report is written in this order
	Row            int      // spreadsheet row number (import_row); 0 = not an input row, import_row empty
	Cells          []string // source cells as read
	File           string   // the input file the row comes from (log lines; import_file when two files are read)
	Key            string   // the customer's match key, for log lines; "" when the row has none
	Raw            string   // the source line as read when it could not be parsed (sheet.Row.Raw); kept in a CSV errors file
	Status         Status
	CustomerNumber string
	AddressIDs     []string
	Changes        []string
	Message        string
}
