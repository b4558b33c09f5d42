package bench

import (
	"iter"
	"slices"
	"strings"

	"github.com/emporix-import/emporix-import/emulator"
)

// seedBatch bounds the customers converted before each Seed call, so that
// seeding 100,000 holds only one batch of copies at a time.
const seedBatch = 10_000

// SeedInSync fills the tenant with cs exactly as importing their file would
// leave it (active, not on hold, addresses with their tags), without a
// request: re-importing the file then writes nothing.
func (t *Tenant) SeedInSync(cs iter.Seq[Customer]) error {
	batch := make([]emulator.Customer, 0, seedBatch)
	for c := range cs {
		batch = append(batch, tenantCustomer(c))
		if len(batch) == seedBatch {
			if err := t.Seed(batch...); err != nil {
				return err
			}
			batch = batch[:0]
		}
	}
	return t.Seed(batch...)
}

func tenantCustomer(c Customer) emulator.Customer {
	out := emulator.Customer{
		CustomerNumber: c.Number, ContactEmail: c.Email, Title: c.Title, FirstName: c.FirstName, LastName: c.LastName,
		ContactPhone: c.Phone, Company: c.Company, PreferredLanguage: c.Language, PreferredCurrency: c.Currency,
		Active: true,
	}
	// Rows with the same address content are one address to the importer:
	// its tags are the union, and it is the default if either row says so.
	at := map[string]int{}
	for _, a := range c.Addresses {
		key := strings.ToLower(strings.Join([]string{a.ContactName, a.Street, a.StreetNumber, a.ZipCode, a.City, a.Country}, "\x00"))
		if i, ok := at[key]; ok {
			m := &out.Addresses[i]
			m.IsDefault = m.IsDefault || a.IsDefault
			for _, t := range a.Tags {
				if !slices.Contains(m.Tags, t) {
					m.Tags = append(m.Tags, t)
				}
			}
			continue
		}
		at[key] = len(out.Addresses)
		out.Addresses = append(out.Addresses, emulator.Address{
			ContactName: a.ContactName, Street: a.Street, StreetNumber: a.StreetNumber, ZipCode: a.ZipCode,
			City: a.City, Country: a.Country, IsDefault: a.IsDefault, Tags: append([]string(nil), a.Tags...), Version: 1,
		})
	}
	return out
}
