// Package mapping turns spreadsheet rows into validated customer and address
// records: the mapping file, transforms, validation and grouping by match key.
package mapping

// CustomerColumns are the canonical customer columns, named like the Emporix fields.
var CustomerColumns = []string{
	"customerNumber", "contactEmail", "title", "firstName", "middleName", "lastName",
	"contactPhone", "company", "preferredLanguage", "preferredCurrency", "preferredSite",
	"b2b.companyRegistrationId", "active", "onHold",
}

// AddressFields are the address fields an address block may map.
var AddressFields = []string{
	"contactName", "companyName", "street", "streetNumber", "streetAppendix", "zipCode",
	"city", "state", "country", "contactPhone", "tags", "isDefault",
}

// CanonicalColumns is the header expected without a mapping file, in template order.
func CanonicalColumns() []string {
	cols := append([]string(nil), CustomerColumns...)
	for _, f := range AddressFields {
		cols = append(cols, "address."+f)
	}
	return cols
}
