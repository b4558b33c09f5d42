package importer

import (
	"github.com/emporix-import/emporix-import/emporix"
	"github.com/emporix-import/emporix-import/mapping"
)

// noteExists tells a row with a password hash that its customer already
// existed: a password is never changed on an existing customer.
const noteExists = "password not changed: customer exists"

// importAccount builds the account a new customer is imported with from the
// group's account fields, or nil when the group carries no password hash.
// The account e-mail defaults to contactEmail.
func importAccount(f mapping.Fields) *emporix.ImportAccount {
	if !f.HasPassword() {
		return nil
	}
	a := &emporix.ImportAccount{Email: value(f, mapping.FieldAccountEmail)}
	if a.Email == "" {
		a.Email = value(f, mapping.MatchContactEmail)
	}
	if h := value(f, mapping.FieldPasswordHash); h != "" {
		a.PasswordHash = emporix.Secret(h)
		return a
	}
	a.LegacyAuth = &emporix.LegacyAuth{
		Algorithm: value(f, mapping.FieldLegacyAlgorithm),
		Hash:      emporix.Secret(value(f, mapping.FieldLegacyHash)),
		Context:   f.LegacyContext(),
	}
	return a
}

func value(f mapping.Fields, name string) string {
	if v, ok := f[name]; ok && !v.Clear {
		return v.S
	}
	return ""
}

// importItem is the bulk import entry of a planned create: the create body
// (its id is the customer number) and the account.
func importItem(p *Plan, a *emporix.ImportAccount) emporix.CustomerImport {
	return emporix.CustomerImport{Customer: *p.Body, Account: *a}
}
