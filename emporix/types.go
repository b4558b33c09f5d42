// Package emporix is a client for the Emporix Customer Service (tenant managed)
// and the OAuth service, limited to the requests the official OpenAPI spec allows.
package emporix

import "encoding/json"

// Customer is a customer as the API returns it (CustomerForSellerDto) and,
// for create, as the client sends it (CustomerSignupBySellerDto). Members
// not modelled here are kept in Extra, so that Doc shows the whole object.
type Customer struct {
	ID                string    `json:"id,omitempty"`
	CustomerNumber    string    `json:"customerNumber,omitempty"`
	ContactEmail      string    `json:"contactEmail,omitempty"`
	Title             string    `json:"title,omitempty"`
	FirstName         string    `json:"firstName,omitempty"`
	MiddleName        string    `json:"middleName,omitempty"`
	LastName          string    `json:"lastName,omitempty"`
	ContactPhone      string    `json:"contactPhone,omitempty"`
	Company           string    `json:"company,omitempty"`
	PreferredLanguage string    `json:"preferredLanguage,omitempty"`
	PreferredCurrency string    `json:"preferredCurrency,omitempty"`
	PreferredSite     string    `json:"preferredSite,omitempty"`
	Type              string    `json:"type,omitempty"`
	PhotoURL          string    `json:"photoUrl,omitempty"`
	Restriction       string    `json:"restriction,omitempty"`
	B2B               *B2B      `json:"b2b,omitempty"`
	Active            *bool     `json:"active,omitempty"`
	OnHold            *bool     `json:"onHold,omitempty"`
	Metadata          *Metadata `json:"metadata,omitempty"`
	Addresses         []Address `json:"addresses,omitempty"`
	Accounts          []Account `json:"accounts,omitempty"`
	// Mixins are the tenant's custom attributes (returned with expand=mixin:*).
	Mixins map[string]any `json:"mixins,omitempty"`
	// Extra holds the members of a read object this type does not model.
	Extra map[string]json.RawMessage `json:"-"`
}

// B2B holds the company registration data of a customer.
type B2B struct {
	CompanyRegistrationID string `json:"companyRegistrationId,omitempty"`
}

// Metadata carries the optimistic-locking version and the mixin schema links
// (mixin name → schema URL).
type Metadata struct {
	Version int            `json:"version,omitempty"`
	Mixins  map[string]any `json:"mixins,omitempty"`
}

// Account is an entry of Customer.Accounts (expand=accounts).
type Account struct {
	ID         string `json:"id,omitempty"`
	ProviderID string `json:"providerId,omitempty"`
}

// Address is a customer address (Address / AddressCommonDto in the spec).
type Address struct {
	ID             string   `json:"id,omitempty"`
	ContactName    string   `json:"contactName,omitempty"`
	CompanyName    string   `json:"companyName,omitempty"`
	Street         string   `json:"street,omitempty"`
	StreetNumber   string   `json:"streetNumber,omitempty"`
	StreetAppendix string   `json:"streetAppendix,omitempty"`
	ExtraLine1     string   `json:"extraLine1,omitempty"`
	ExtraLine2     string   `json:"extraLine2,omitempty"`
	ExtraLine3     string   `json:"extraLine3,omitempty"`
	ExtraLine4     string   `json:"extraLine4,omitempty"`
	ZipCode        string   `json:"zipCode,omitempty"`
	City           string   `json:"city,omitempty"`
	State          string   `json:"state,omitempty"`
	Country        string   `json:"country,omitempty"`
	ContactPhone   string   `json:"contactPhone,omitempty"`
	IsDefault      *bool    `json:"isDefault,omitempty"`
	Tags           []string `json:"tags,omitempty"`
	// Mixins are the tenant's custom address attributes.
	Mixins   map[string]any `json:"mixins,omitempty"`
	Metadata *Metadata      `json:"metadata,omitempty"`
	// Extra holds the members of a read object this type does not model.
	Extra map[string]json.RawMessage `json:"-"`
}

// DefaultScopes are the scopes the tool asks for when requesting a token.
func DefaultScopes() []string { return []string{"customer.customer_read", "customer.customer_manage"} }
