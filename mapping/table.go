// Package mapping turns spreadsheet rows into validated customer and address
// records: the mapping file, transforms, validation and grouping by match key.
package mapping

import (
	"slices"
	"strings"
)

// Kind is how a field's value is written in the API's JSON.
type Kind int

// Field kinds. A mixin field declares its kind in the mapping (string by default).
const (
	KindString Kind = iota // JSON string
	KindNumber             // JSON number
	KindBool               // JSON boolean
	KindDate               // JSON string holding an ISO date (2006-01-02)
	KindList               // JSON array of strings (a cell split on `split`)
)

var kindNames = map[string]Kind{"string": KindString, "number": KindNumber, "boolean": KindBool, "date": KindDate, "list": KindList}

func (k Kind) String() string {
	for n, v := range kindNames {
		if v == k {
			return n
		}
	}
	return "unknown"
}

// Role says which part of a sync handles a field; most fields are plain data.
type Role int

// Field roles.
const (
	RoleData       Role = iota // created, compared and merge-patched like any profile field
	RoleIdentity               // customerNumber / address id: sent as "id" on create, never patched
	RoleActivation             // active/onHold: written by the activation step
	RoleTags                   // address tags: added and removed through the tags endpoint
	RoleAccount                // account.*: the password a new customer is created with (bulk import), never patched
)

// Field is one writable customer or address field: the single description
// from which the mapping's known keys, the canonical columns, validation,
// the template, create bodies, diffs and patches are all derived.
type Field struct {
	Name      string   // key in the mapping file and column name (address fields without "address.")
	Path      []string // JSON path in the API object
	Address   bool     // an address field
	Kind      Kind
	Role      Role
	Check     func(string) (string, error) // validates and normalises a non-empty value; nil accepts any text
	NoClear   string                       // why the clear token cannot clear it; "" = clearable
	Nullable  bool                         // a clear sends null (the schema allows it) instead of ""
	Fold      bool                         // values compare case-insensitively
	Choices   []string                     // the template's dropdown (strict)
	Canonical bool                         // one of the canonical columns
	Mixin     string                       // the mixin the field belongs to ("" = not a mixin field)
	Secret    bool                         // a credential: its values are never shown (messages, report, logs)
}

// Column is the field's name as a canonical column: "zipCode" → "address.zipCode".
func (f *Field) Column() string {
	if f.Address {
		return "address." + f.Name
	}
	return f.Name
}

// Table is a set of field descriptions; Std is the one of the Emporix API.
type Table []*Field

// Std returns the table of every writable customer and address field. The
// slice is fresh: callers (tests) may extend it.
func Std() Table { return slices.Clone(stdTable) }

// Identity and special field names the sync logic refers to.
const (
	FieldCustomerNumber = "customerNumber"
	FieldContactEmail   = "contactEmail"
	FieldAddressID      = "id"
	FieldContactName    = "contactName"
	FieldTags           = "tags"
	FieldIsDefault      = "isDefault"
)

const notText = "it is a boolean, not a text"

func str(name string) *Field { return &Field{Name: name, Path: []string{name}, Canonical: true} }
func addr(name string) *Field {
	return &Field{Name: name, Path: []string{name}, Address: true, Canonical: true}
}

func with(f *Field, mod func(*Field)) *Field { mod(f); return f }

var stdTable = Table{
	with(str(FieldCustomerNumber), func(f *Field) {
		f.Role, f.Check, f.NoClear = RoleIdentity, validCustomerNumber, "it identifies the customer"
	}),
	with(str(FieldContactEmail), func(f *Field) {
		f.Check, f.Fold, f.NoClear = validEmail, true, "the API does not allow unsetting it once set"
	}),
	with(str("title"), func(f *Field) { f.Check, f.Choices = validTitle, titles }),
	str("firstName"), str("middleName"), str("lastName"), str("contactPhone"), str("company"),
	with(str("preferredLanguage"), func(f *Field) { f.Check = validLanguage }),
	with(str("preferredCurrency"), func(f *Field) {
		f.Check, f.NoClear = validCurrency, "the API requires a 3-letter code (minLength 3)"
	}),
	str("preferredSite"),
	with(str("b2b.companyRegistrationId"), func(f *Field) { f.Path = []string{"b2b", "companyRegistrationId"} }),
	with(str("type"), func(f *Field) { f.Check, f.Choices = validCustomerType, customerTypes }),
	with(str("photoUrl"), func(f *Field) { f.Check = validURL }),
	// The schema makes restriction nullable: a clear removes it with null.
	with(str("restriction"), func(f *Field) { f.Nullable = true }),
	with(str("active"), func(f *Field) { f.Kind, f.Role, f.Check, f.NoClear = KindBool, RoleActivation, validBool, notText }),
	with(str("onHold"), func(f *Field) { f.Kind, f.Role, f.Check, f.NoClear = KindBool, RoleActivation, validBool, notText }),

	acct(FieldAccountEmail, func(f *Field) { f.Check = validEmail }),
	acct(FieldPasswordHash, func(f *Field) { f.Secret = true }),
	acct(FieldLegacyAlgorithm, nil),
	acct(FieldLegacyHash, func(f *Field) { f.Secret = true }),
	acct(LegacyContextPrefix+"originalUid", nil),

	with(addr(FieldAddressID), func(f *Field) {
		f.Role, f.Check, f.NoClear = RoleIdentity, validAddressID, "it identifies the address"
	}),
	with(addr(FieldContactName), func(f *Field) { f.NoClear = "an address requires it" }),
	addr("companyName"), addr("street"), addr("streetNumber"), addr("streetAppendix"),
	addr("extraLine1"), addr("extraLine2"), addr("extraLine3"), addr("extraLine4"),
	addr("zipCode"), addr("city"), addr("state"),
	with(addr("country"), func(f *Field) {
		f.Check, f.NoClear = validCountry, "the API requires a 2-letter code (minLength 2)"
	}),
	addr("contactPhone"),
	with(addr(FieldTags), func(f *Field) {
		f.Kind, f.Role, f.NoClear = KindList, RoleTags, "tags are removed with --tags replace"
	}),
	with(addr(FieldIsDefault), func(f *Field) { f.Kind, f.Check, f.NoClear = KindBool, validBool, notText }),
}

var (
	titles        = []string{"MR", "MRS", "MS", "DR"}
	customerTypes = []string{"CUSTOMER", "CONTACT"}
)

// Lookup returns the table's field of that name (address=true: an address field).
func (t Table) Lookup(name string, address bool) *Field {
	for _, f := range t {
		if f.Name == name && f.Address == address {
			return f
		}
	}
	return nil
}

// Names lists the table's customer (address=false) or address field names, in table order.
func (t Table) Names(address bool) []string {
	var out []string
	for _, f := range t {
		if f.Address == address {
			out = append(out, f.Name)
		}
	}
	return out
}

// CanonicalColumns is the header expected without a mapping file, in template order.
func (t Table) CanonicalColumns() []string {
	var cols []string
	for _, address := range []bool{false, true} {
		for _, f := range t {
			if f.Canonical && f.Address == address {
				cols = append(cols, f.Column())
			}
		}
	}
	return cols
}

// CanonicalColumns is the header of the standard table without a mapping file.
func CanonicalColumns() []string { return stdTable.CanonicalColumns() }

// Choices returns the dropdown values of a canonical column ("type",
// "address.country"), nil when it has none.
func Choices(column string) []string {
	name, address := strings.CutPrefix(column, "address.")
	if f := stdTable.Lookup(name, address); f != nil {
		return f.Choices
	}
	return nil
}

// Mixin field names: "mixins.<mixin>.<path…>" for a customer and, in an
// address block, the same key (the column "address.mixins.<…>").
const mixinPrefix = "mixins."

// mixinField describes a mapped mixin field. Mixins are the tenant's own
// data: every path is writable, values are checked by their declared kind,
// and a clear removes the field (merge-patch null).
func mixinField(name string, address bool, kind Kind) (*Field, string) {
	rest, ok := strings.CutPrefix(name, mixinPrefix)
	if !ok {
		return nil, ""
	}
	path := strings.Split(rest, ".")
	if len(path) < 2 || slices.Contains(path, "") {
		return nil, "a mixin field is written mixins.<mixin>.<field>, e.g. mixins.erp.accountId"
	}
	return &Field{
		Name: name, Path: append([]string{"mixins"}, path...), Address: address,
		Kind: kind, Check: kindCheck(kind), Nullable: true, Mixin: path[0],
	}, ""
}

// schemaField is the constant field that links a mixin to its schema
// (metadata.mixins.<mixin>), from the mapping's mixin_schemas.
func schemaField(mixin string, address bool) *Field {
	return &Field{
		Name: "metadata.mixins." + mixin, Path: []string{"metadata", "mixins", mixin},
		Address: address, Check: validURL, NoClear: "it comes from mixin_schemas", Mixin: mixin,
	}
}

// CustomerColumns and AddressFields name the standard table's customer and
// address fields, in table order (derived: the table is the one list).
var (
	CustomerColumns = stdTable.Names(false)
	AddressFields   = stdTable.Names(true)
)
