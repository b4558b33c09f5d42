package bench

import (
	"iter"

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
	for _, a := range c.Addresses {
		out.Addresses = append(out.Addresses, emulator.Address{
			ContactName: a.ContactName, Street: a.Street, StreetNumber: a.StreetNumber, ZipCode: a.ZipCode,
			City: a.City, Country: a.Country, IsDefault: a.IsDefault, Tags: append([]string(nil), a.Tags...), Version: 1,
		})
	}
	return out
}
