package mapping

import "github.com/emporix-import/emporix-import/sheet"

// Value is one mapped, non-empty cell after transforms. Empty cells produce no
// Value at all: they never clear a field.
type Value struct {
	S     string   // normalised value; "true"/"false" for booleans
	List  []string // a list value (mixins of kind list)
	Clear bool     // the cell held the mapping's clear_token: remove the field
}

// Fields maps field names ("contactEmail", "b2b.companyRegistrationId",
// "active", "mixins.erp.tier", address "zipCode", ...) to values. Only mapped,
// non-empty cells appear.
type Fields map[string]Value

// Address is one address block of one row.
type Address struct {
	Fields Fields   // every mapped address field but tags, keyed like the table (id, zipCode, mixins.…)
	Tags   []string // normalised tags; nil when not mapped or empty
}

// Row is one input data row after mapping and per-row validation.
type Row struct {
	sheet.Row
	Customer  Fields
	Addresses []Address
	Errors    []string // every problem, each `row N, column "X": …`
	Warnings  []string // doubtful but imported values, same form; not errors
}

// Group is one customer: all rows sharing a match key, in input order.
type Group struct {
	Schema   *Schema // the fields the rows carry; nil = the standard table's
	Key      string  // match key value (customerNumber, or lower-cased contactEmail)
	Rows     []*Row
	Customer Fields   // customer fields merged over all rows
	Errors   []string // group-level problems (conflicts naming both rows, pre-flight); row errors stay on rows
}

// Valid reports whether the group and all its rows are free of errors.
func (g *Group) Valid() bool {
	if len(g.Errors) > 0 {
		return false
	}
	for _, r := range g.Rows {
		if len(r.Errors) > 0 {
			return false
		}
	}
	return true
}

// Identity is how a sheet address is recognised: its key (address.id) when
// the mapping keys addresses, else its content key.
func (a Address) Identity() string {
	if v, ok := a.Fields[FieldAddressID]; ok && !v.Clear && v.S != "" {
		return "id:" + v.S
	}
	return a.Key()
}
