package mapping

import (
	"maps"
	"slices"
	"strings"
)

// Account fields: the password a customer is created with through the bulk
// import. They are customer fields named "account.…" (the mapping's account
// block and the canonical columns of the same names); they never take part in
// updates, since an existing customer's password is never changed.
const (
	FieldAccountEmail    = "account.email" // defaults to contactEmail
	FieldPasswordHash    = "account.passwordHash"
	FieldLegacyAlgorithm = "account.legacyAuth.algorithm"
	FieldLegacyHash      = "account.legacyAuth.hash"
	// LegacyContextPrefix starts the legacy verifier's context fields,
	// e.g. account.legacyAuth.context.originalUid.
	LegacyContextPrefix = "account.legacyAuth.context."
	accountPrefix       = "account."
)

// LegacyAlgorithms are the legacy hash algorithms the API accepts, each with
// the context keys its verifier needs.
var LegacyAlgorithms = map[string][]string{
	"hybris-sha512-uid-salt": {"originalUid"},
}

// IsAccountField reports whether name is an account field.
func IsAccountField(name string) bool { return strings.HasPrefix(name, accountPrefix) }

// IsSecretField reports whether a field holds a password hash: its values
// never appear in messages, the report or logs.
func IsSecretField(name string) bool { return name == FieldPasswordHash || name == FieldLegacyHash }

// noClearAccount: a clear token cannot remove a password.
const noClearAccount = "an existing customer's password is never changed"

// acct describes a fixed account field of the table.
func acct(name string, mod func(*Field)) *Field {
	f := &Field{Name: name, Path: strings.Split(name, "."), Role: RoleAccount, NoClear: noClearAccount}
	if mod != nil {
		mod(f)
	}
	return f
}

// accountField returns the table's account field of that name, or describes
// a legacy context key (account.legacyAuth.context.<key>); nil otherwise.
func accountField(t Table, name string) *Field {
	if !IsAccountField(name) {
		return nil
	}
	if f := t.Lookup(name, false); f != nil {
		return f
	}
	if knownAccountField(name) {
		return acct(name, nil)
	}
	return nil
}

// accountFieldNames are the fixed account fields, in display order.
var accountFieldNames = []string{FieldAccountEmail, FieldPasswordHash, FieldLegacyAlgorithm, FieldLegacyHash}

// knownAccountField reports whether name is an account field the mapping may
// use: a fixed one or a legacy context key.
func knownAccountField(name string) bool {
	if slices.Contains(accountFieldNames, name) {
		return true
	}
	key, ok := strings.CutPrefix(name, LegacyContextPrefix)
	return ok && key != "" && !strings.Contains(key, ".")
}

// HasPassword reports whether the fields carry a password hash of either kind.
func (f Fields) HasPassword() bool {
	return f.has(FieldPasswordHash) || f.has(FieldLegacyHash)
}

// HasLegacyPassword reports whether the fields carry a legacy hash.
func (f Fields) HasLegacyPassword() bool { return f.has(FieldLegacyHash) }

func (f Fields) has(name string) bool {
	v, ok := f[name]
	return ok && !v.Clear && v.S != ""
}

// accountProblems checks one row's account fields offline: exactly one hash
// kind, a known algorithm with its context keys, an e-mail for the account
// that matches contactEmail. Messages name fields, never a hash.
func accountProblems(f Fields) []string {
	var out []string
	native, legacy := f.has(FieldPasswordHash), f.has(FieldLegacyHash)
	// Only the hashes decide the kind: a constant algorithm or a context
	// column mapped for every row says nothing about a row's password.
	if native && legacy {
		out = append(out, "account: give either passwordHash or legacyAuth.hash, not both")
	}
	if legacy {
		out = append(out, legacyProblems(f)...)
	}
	if !native && !legacy {
		return out
	}
	email, contact := f[FieldAccountEmail].S, f[FieldContactEmail].S
	switch {
	case email == "" && contact == "":
		out = append(out, "account.email (or contactEmail) is required with a password hash")
	case email != "" && contact != "" && !strings.EqualFold(email, contact):
		out = append(out, "account.email must match contactEmail (case-insensitively)")
	}
	return out
}

func legacyProblems(f Fields) []string {
	alg := f[FieldLegacyAlgorithm].S
	if alg == "" {
		return []string{"account.legacyAuth.algorithm is required with account.legacyAuth.hash"}
	}
	need, ok := LegacyAlgorithms[alg]
	if !ok {
		known := slices.Sorted(maps.Keys(LegacyAlgorithms))
		return []string{"account.legacyAuth.algorithm " + quote(alg) + " is unknown (known: " + strings.Join(known, ", ") + ")"}
	}
	var out []string
	for _, k := range need {
		if !f.has(LegacyContextPrefix + k) {
			out = append(out, LegacyContextPrefix+k+" is required for "+alg)
		}
	}
	return out
}

// contextKeys lists the legacy context field names present, sorted.
func (f Fields) contextKeys() []string {
	var out []string
	for name := range f {
		if strings.HasPrefix(name, LegacyContextPrefix) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// LegacyContext returns the legacy verifier's context from the fields.
func (f Fields) LegacyContext() map[string]string {
	var out map[string]string
	for _, name := range f.contextKeys() {
		if v := f[name]; !v.Clear && v.S != "" {
			if out == nil {
				out = map[string]string{}
			}
			out[strings.TrimPrefix(name, LegacyContextPrefix)] = v.S
		}
	}
	return out
}

// PasswordFields reports whether the mapping, over an input with this header,
// maps a password hash (any) and a legacy hash in particular. The canonical
// mapping maps the account columns the header holds.
func (m *Mapping) PasswordFields(header []string) (any, legacy bool) {
	has := func(name string) bool {
		if m.canonical {
			return slices.Contains(header, name)
		}
		return slices.ContainsFunc(m.Customer, func(f *FieldSpec) bool { return f.Field == name })
	}
	legacy = has(FieldLegacyHash)
	return legacy || has(FieldPasswordHash), legacy
}

// redacted stands for a password hash wherever one would be shown.
const redacted = "[redacted]"

// SecretColumns returns the indexes of the header's columns that feed a
// password hash field: the report redacts them.
func (m *Mapping) SecretColumns(header []string) []int {
	var cols []string
	if m.canonical {
		cols = []string{FieldPasswordHash, FieldLegacyHash}
	}
	for _, f := range m.Customer {
		if IsSecretField(f.Field) {
			cols = append(cols, f.Columns...)
		}
	}
	var out []int
	for i, h := range header {
		if slices.ContainsFunc(cols, func(c string) bool { return strings.EqualFold(strings.TrimSpace(c), strings.TrimSpace(h)) }) {
			out = append(out, i)
		}
	}
	return out
}
