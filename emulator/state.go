package emulator

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"time"
)

// State is a deep-copied snapshot of the emulated tenant.
type State struct {
	Tenant    string     `json:"tenant"`
	Customers []Customer `json:"customers"` // sorted by CustomerNumber
	// Deleted lists customer numbers that were deleted and stay reserved.
	Deleted []string `json:"deleted,omitempty"`
}

// B2B holds the writable B2B fields of a customer.
type B2B struct {
	CompanyRegistrationID string `json:"companyRegistrationId,omitempty"`
}

// Customer is the emulator's record of a customer profile. Empty strings mean
// "absent": the emulator does not distinguish "" from a missing field.
type Customer struct {
	CustomerNumber    string `json:"customerNumber"`
	ContactEmail      string `json:"contactEmail,omitempty"`
	Email             string `json:"email,omitempty"` // account e-mail, fixed at creation
	Title             string `json:"title,omitempty"`
	FirstName         string `json:"firstName,omitempty"`
	MiddleName        string `json:"middleName,omitempty"`
	LastName          string `json:"lastName,omitempty"`
	ContactPhone      string `json:"contactPhone,omitempty"`
	Company           string `json:"company,omitempty"`
	PreferredLanguage string `json:"preferredLanguage,omitempty"`
	PreferredCurrency string `json:"preferredCurrency,omitempty"`
	PreferredSite     string `json:"preferredSite,omitempty"`
	Type              string `json:"type,omitempty"`
	PhotoURL          string `json:"photoUrl,omitempty"`
	Restriction       string `json:"restriction,omitempty"`
	B2B               *B2B   `json:"b2b,omitempty"`
	Active            bool   `json:"active"`
	OnHold            bool   `json:"onHold"`
	// PasswordResetNotification records the create request's sendPasswordResetNotifications.
	PasswordResetNotification bool           `json:"passwordResetNotification"`
	Mixins                    map[string]any `json:"mixins,omitempty"`
	MetadataMixins            map[string]any `json:"metadataMixins,omitempty"`
	Version                   int            `json:"version"`
	CreatedAt                 time.Time      `json:"createdAt"`
	Addresses                 []Address      `json:"addresses,omitempty"`

	seq int64 // creation order, the default list order
}

// Address is a customer address.
type Address struct {
	ID             string         `json:"id"`
	ContactName    string         `json:"contactName,omitempty"`
	CompanyName    string         `json:"companyName,omitempty"`
	Street         string         `json:"street,omitempty"`
	StreetNumber   string         `json:"streetNumber,omitempty"`
	StreetAppendix string         `json:"streetAppendix,omitempty"`
	ExtraLine1     string         `json:"extraLine1,omitempty"`
	ExtraLine2     string         `json:"extraLine2,omitempty"`
	ExtraLine3     string         `json:"extraLine3,omitempty"`
	ExtraLine4     string         `json:"extraLine4,omitempty"`
	ZipCode        string         `json:"zipCode,omitempty"`
	City           string         `json:"city,omitempty"`
	Country        string         `json:"country,omitempty"`
	State          string         `json:"state,omitempty"`
	ContactPhone   string         `json:"contactPhone,omitempty"`
	IsDefault      bool           `json:"isDefault"`
	Tags           []string       `json:"tags,omitempty"`
	Mixins         map[string]any `json:"mixins,omitempty"`
	MetadataMixins map[string]any `json:"metadataMixins,omitempty"`
	Version        int            `json:"version"`
}

// State returns a deep copy of the tenant.
func (s *Server) State() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := State{Tenant: s.cfg.Tenant, Customers: make([]Customer, 0, len(s.customers))}
	for _, c := range s.customers {
		st.Customers = append(st.Customers, c.clone())
	}
	slices.SortFunc(st.Customers, func(a, b Customer) int {
		switch {
		case a.CustomerNumber < b.CustomerNumber:
			return -1
		case a.CustomerNumber > b.CustomerNumber:
			return 1
		}
		return 0
	})
	st.Deleted = slices.Sorted(maps.Keys(s.deleted))
	return st
}

// WriteState writes the State as indented JSON (the --state-out format).
func (s *Server) WriteState(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(s.State()); err != nil {
		return fmt.Errorf("emulator: write state: %w", err)
	}
	return nil
}

func (c *Customer) clone() Customer {
	out := *c
	if c.B2B != nil {
		b := *c.B2B
		out.B2B = &b
	}
	out.Mixins = cloneJSONMap(c.Mixins)
	out.MetadataMixins = cloneJSONMap(c.MetadataMixins)
	out.Addresses = nil
	for _, a := range c.Addresses {
		out.Addresses = append(out.Addresses, a.clone())
	}
	return out
}

func (a *Address) clone() Address {
	out := *a
	out.Tags = slices.Clone(a.Tags)
	out.Mixins = cloneJSONMap(a.Mixins)
	out.MetadataMixins = cloneJSONMap(a.MetadataMixins)
	return out
}

// cloneJSONMap deep-copies a decoded JSON object (maps, slices and scalars only).
func cloneJSONMap(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = cloneJSON(v)
	}
	return out
}

func cloneJSON(v any) any {
	switch v := v.(type) {
	case map[string]any:
		return cloneJSONMap(v)
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = cloneJSON(e)
		}
		return out
	default:
		return v
	}
}
