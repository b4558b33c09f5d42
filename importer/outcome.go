package importer

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/emporix-import/emporix-import/mapping"
	"github.com/emporix-import/emporix-import/report"
)

// Write is one request that changed (or, in a dry run, would change) the
// tenant. The report lists Changes; nothing else can make a row anything but
// unchanged.
type Write struct {
	Addr    string   // content key of the sheet address concerned; "" = the customer as a whole
	Changes []string // report entries; one request may write several fields
}

// Outcome is what happened to one customer group: the writes performed, in
// order, and what stopped it. The report rows are a pure function of it.
type Outcome struct {
	Number  string
	Created bool
	Writes  []Write
	AddrIDs map[string]string // address key → id (known or assigned by the create)
	AddrErr map[string]error  // address key → failure
	Notes   map[string]string // address key → why it was created rather than patched
	Invalid []string          // the service would refuse the writes: nothing was sent
	Skip    string            // why --mode left the customer alone: nothing was sent
	Err     error             // customer-level failure or interruption
	Remarks []string          // what every row of the customer should know besides the writes (import_message)
}

// ErrMaxDeletes stops a replace run before the deletion that would exceed --max-deletes.
var ErrMaxDeletes = errors.New("--max-deletes reached")

// errShutdown cancels work still in flight after --shutdown-timeout (or a second signal).
var errShutdown = errors.New("interrupted: in-flight work cancelled")

func (o *Outcome) record(w Write) { o.Writes = append(o.Writes, w) }

// note keeps why an address was created rather than patched.
func (o *Outcome) note(ap *AddressPlan) {
	if ap.Note == "" {
		return
	}
	if o.Notes == nil {
		o.Notes = map[string]string{}
	}
	o.Notes[ap.Key] = ap.Note
}

// stopped reports an outcome cut short by the run stopping (interrupt or
// --max-deletes) rather than failing on its own.
func (o *Outcome) stopped() bool {
	return errors.Is(o.Err, ErrMaxDeletes) || errors.Is(o.Err, errShutdown)
}

// groupResults turns a group's outcome into one result per row. A row's
// status follows the customer's writes (unchanged if and only if none); its
// changes are the customer-level writes plus those of the addresses it holds.
func groupResults(g *mapping.Group, out *Outcome, dryRun bool) []report.Result {
	results := make([]report.Result, 0, len(g.Rows))
	for _, r := range g.Rows {
		res := rowResult(g, r, report.Unchanged)
		if out.Number != "" {
			res.CustomerNumber = out.Number
		}
		keys := rowAddressKeys(r)
		for _, k := range keys {
			if id := out.AddrIDs[k]; id != "" && !slices.Contains(res.AddressIDs, id) {
				res.AddressIDs = append(res.AddressIDs, id)
			}
		}
		for _, w := range out.Writes {
			if w.Addr == "" || slices.Contains(keys, w.Addr) {
				res.Changes = append(res.Changes, w.Changes...)
			}
		}
		for _, k := range keys {
			res.Message = joinMessages(res.Message, out.Notes[k])
		}
		status, msg := rowStatus(out, keys, dryRun)
		for _, n := range out.Remarks {
			msg = joinMessages(msg, n)
		}
		res.Status, res.Message = status, joinMessages(msg, res.Message) // after the row's warnings
		results = append(results, res)
	}
	return results
}

func rowStatus(out *Outcome, keys []string, dryRun bool) (report.Status, string) {
	var msgs []string
	for _, k := range keys {
		if err := out.AddrErr[k]; err != nil {
			msgs = append(msgs, err.Error())
		}
	}
	switch {
	case len(out.Invalid) > 0:
		return report.Invalid, strings.Join(out.Invalid, "; ")
	case out.Skip != "" && len(out.Writes) == 0:
		return report.Skipped, out.Skip
	case out.stopped() && len(out.Writes) == 0:
		return report.Skipped, "not processed: " + out.Err.Error()
	case out.stopped():
		return report.Failed, out.Err.Error() + " after the writes listed; --resume completes it"
	case out.Err != nil:
		return report.Failed, out.Err.Error()
	case len(msgs) > 0:
		return report.Failed, strings.Join(msgs, "; ")
	case len(out.Writes) == 0:
		return report.Unchanged, ""
	case out.Created && dryRun:
		return report.WouldCreate, ""
	case out.Created:
		return report.Created, ""
	case dryRun:
		return report.WouldUpdate, ""
	}
	return report.Updated, ""
}

// rowAddressKeys are the identities of the row's address blocks that are addresses.
func rowAddressKeys(r *mapping.Row) []string {
	var keys []string
	for _, a := range r.Addresses {
		if IsAddress(a) {
			keys = append(keys, a.Identity())
		}
	}
	return keys
}

// Change entries of the report: `field: "old" → "new"`, `customer.create`,
// `address.create: "<address>"`, `address[<id>].field: "old" → "new"`,
// `address[<id>].tags.add: A, B`, `address[<id>].tags.remove: C`,
// `address[<id>].delete`. Booleans are unquoted; a created customer's
// activation shows only the new value.

const changeCreate = "customer.create"

// maxShown caps a value shown in a change entry, in characters: enough to
// review a street or a company name, short enough to keep a report cell readable.
const maxShown = 60

// redacted stands in for the value of a credential field in change entries.
const redacted = "[redacted]"

// secretField reports fields whose values are credentials (password hashes,
// legacy hashes and their salts): their changes are listed, their values never.
func secretField(name string) bool {
	n := strings.ToLower(name)
	return strings.Contains(n, "password") || strings.Contains(n, "hash") ||
		strings.Contains(n, "secret") || strings.HasPrefix(n, "account.")
}

// quoteShort quotes s, cutting it to maxShown characters with a trailing "…".
func quoteShort(s string) string {
	if utf8.RuneCountInString(s) > maxShown {
		r := []rune(s)
		s = string(r[:maxShown-1]) + "…"
	}
	return strconv.Quote(s)
}

// changeBulkCreate is a create through the bulk import endpoint, which also
// sets the customer's password hash.
const changeBulkCreate = "customer.create (bulk import)"

// showChange renders a JSON value: booleans and numbers bare, strings
// quoted (and cut), lists as JSON, a removal (null) as null.
func showChange(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return strconv.FormatBool(v)
	case string:
		return quoteShort(v)
	case json.Number:
		return v.String()
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// showBefore renders a current value; an absent one is "" (false for a flag).
func showBefore(old, v any) string {
	if _, isBool := v.(bool); isBool {
		b, _ := old.(bool)
		return strconv.FormatBool(b)
	}
	if old == nil {
		return `""`
	}
	return showChange(old)
}

func fieldChange(prefix, name string, before map[string]any, hasBefore bool, v any) string {
	if secretField(name) {
		return prefix + name + ": " + redacted
	}
	if !hasBefore {
		return prefix + name + ": " + showChange(v)
	}
	return prefix + name + ": " + showBefore(before[name], v) + " → " + showChange(v)
}

// ChangeField names the field a change entry writes, for the per-field counts
// of the summary: "firstName", "customer.create", "address.create",
// "address.zipCode", "address.tags.add", "address.delete".
func ChangeField(entry string) string {
	field, _, _ := strings.Cut(entry, ": ")
	if rest, ok := strings.CutPrefix(field, "address["); ok {
		if i := strings.LastIndex(rest, "]."); i >= 0 {
			return "address." + rest[i+2:]
		}
	}
	return field
}

// countChanges adds one per field a customer's writes changed.
func countChanges(counts map[string]int, out *Outcome) {
	for _, w := range out.Writes {
		for _, c := range w.Changes {
			counts[ChangeField(c)]++
		}
	}
}

// patchChanges describes a merge patch, one entry per changed field, sorted
// by field name.
func patchChanges(prefix string, fields []*mapping.Field, patch, before map[string]any) []string {
	var out []string
	fields = slices.SortedFunc(slices.Values(fields), func(a, b *mapping.Field) int { return strings.Compare(a.Name, b.Name) })
	for _, f := range fields {
		v, _ := mapping.Get(patch, f.Path)
		out = append(out, fieldChange(prefix, f.Name, before, true, v))
	}
	return out
}

// profileChanges describes the plan's profile patch.
func (p *Plan) profileChanges() []string { return patchChanges("", p.changed, p.Patch, p.before) }

// activationChanges describes the activation patch.
func (p *Plan) activationChanges() []string {
	var out []string
	for _, name := range slices.Sorted(maps.Keys(p.Activation)) {
		_, had := p.before[name]
		out = append(out, fieldChange("", name, p.before, had, p.Activation[name]))
	}
	return out
}

func addressPrefix(id string) string { return "address[" + id + "]." }

// patchChanges describes an address patch.
func (a *AddressPlan) patchChanges() []string {
	return patchChanges(addressPrefix(a.ID), a.changed, a.Patch, a.before)
}

// createChange names a new address by its content.
func (a *AddressPlan) createChange() string {
	b := a.Body
	var parts []string
	for _, p := range []string{b.ContactName, strings.TrimSpace(b.Street + " " + b.StreetNumber),
		strings.TrimSpace(b.ZipCode + " " + b.City), b.Country} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return "address.create: " + quoteShort(strings.Join(parts, ", "))
}
