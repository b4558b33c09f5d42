package emporix

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Scope selects the customers a mirror run may deactivate or delete: every
// customer of the tenant (all), or those matching every term of a small,
// documented subset of the q language:
//
//	scope = "all" | term { " " term }
//	term  = field ":" value
//	field = customerNumber | id | contactEmail | active | mixins.<mixin>.<field>[.<field>…]
//	value = bare | "quoted"     a bare value ending in * is a prefix
//
// A listed customer is checked against the scope on the client too, so a
// server that ignored part of q can never widen what a run deletes.
type Scope struct {
	all   bool
	terms []scopeTerm
	text  string
}

type scopeTerm struct {
	field  string
	path   []string // mixin path below "mixins", for mixins.* fields
	value  string
	prefix bool
}

// ScopeAll is the scope of every customer in the tenant.
const ScopeAll = "all"

var (
	mixinSegRE = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	// A prefix may hold only characters that mean themselves in every regex
	// dialect once escaped, and need no quoting in q.
	prefixRE = regexp.MustCompile(`^[A-Za-z0-9_@.+-]+$`)
	// Bare q values: anything else is sent quoted.
	bareRE = regexp.MustCompile(`^[A-Za-z0-9_@.-]+$`)
)

// ParseScope parses a --scope value.
func ParseScope(s string) (Scope, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return Scope{}, errors.New(`empty scope: give a q expression such as customerNumber:K* or mixins.erp.source:SAP, or "all"`)
	case s == ScopeAll:
		return Scope{all: true, text: s}, nil
	}
	sc := Scope{text: s}
	rest := s
	for rest != "" {
		t, tail, err := parseScopeTerm(rest)
		if err != nil {
			return Scope{}, fmt.Errorf("scope %q: %w", s, err)
		}
		sc.terms = append(sc.terms, t)
		rest = strings.TrimLeft(tail, " ")
	}
	return sc, nil
}

func parseScopeTerm(s string) (scopeTerm, string, error) {
	field, rest, ok := strings.Cut(s, ":")
	if !ok || field == "" || strings.Contains(field, " ") {
		return scopeTerm{}, "", fmt.Errorf("%q is not field:value", firstWord(s))
	}
	t := scopeTerm{field: field}
	if err := t.checkField(); err != nil {
		return scopeTerm{}, "", err
	}
	if strings.HasPrefix(rest, `"`) {
		v, tail, err := unquoteScope(rest)
		t.value = v
		return t, tail, err
	}
	v, tail, _ := strings.Cut(rest, " ")
	if v == "" || strings.ContainsAny(v, `"()~<>\`) {
		return scopeTerm{}, "", fmt.Errorf("%s: want a plain or \"quoted\" value, or a prefix ending in *", field)
	}
	if p, ok := strings.CutSuffix(v, "*"); ok {
		if p == "" {
			return scopeTerm{}, "", fmt.Errorf(`%s:* matches every customer: say --scope all`, field)
		}
		if !prefixRE.MatchString(p) || t.field == "active" {
			return scopeTerm{}, "", fmt.Errorf("%s: a prefix may hold letters, digits and _ @ . + - only", field)
		}
		t.value, t.prefix = p, true
		return t, tail, nil
	}
	if t.field == "active" && v != "true" && v != "false" {
		return scopeTerm{}, "", fmt.Errorf("active: want true or false, got %q", v)
	}
	t.value = v
	return t, tail, nil
}

func firstWord(s string) string {
	w, _, _ := strings.Cut(s, " ")
	return w
}

func (t *scopeTerm) checkField() error {
	switch t.field {
	case "customerNumber", "id", "contactEmail", "active":
		return nil
	}
	if p, ok := strings.CutPrefix(t.field, "mixins."); ok {
		parts := strings.Split(p, ".")
		if len(parts) >= 2 && !slices.ContainsFunc(parts, func(s string) bool { return !mixinSegRE.MatchString(s) }) {
			t.path = parts
			return nil
		}
	}
	return fmt.Errorf("field %q: a scope can use customerNumber, id, contactEmail, active or mixins.<mixin>.<field>", t.field)
}

// unquoteScope reads a "quoted" value with backslash escapes.
func unquoteScope(s string) (string, string, error) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			if i+1 == len(s) {
				return "", "", errors.New("dangling backslash in quoted value")
			}
			i++
			b.WriteByte(s[i])
		case '"':
			if i+1 < len(s) && s[i+1] != ' ' {
				return "", "", errors.New("a quoted value must be followed by a space or the end")
			}
			if b.Len() == 0 {
				return "", "", errors.New("empty quoted value")
			}
			return b.String(), s[i+1:], nil
		default:
			b.WriteByte(c)
		}
	}
	return "", "", errors.New("unterminated quoted value")
}

// All reports whether the scope is every customer of the tenant.
func (s Scope) All() bool { return s.all }

// String returns the scope as given.
func (s Scope) String() string { return s.text }

// Q returns the q expression of the scope ("" for all): equality as
// field:value (quoted unless plain), a prefix as the anchored regex
// field:~^prefix.*, which reads the same whether the server searches or
// matches whole values.
func (s Scope) Q() string {
	parts := make([]string, 0, len(s.terms))
	for _, t := range s.terms {
		switch {
		case t.prefix:
			parts = append(parts, t.field+":~^"+regexp.QuoteMeta(t.value)+".*")
		case t.field == "active" || bareRE.MatchString(t.value) && !slices.Contains([]string{"null", "exists", "missing"}, t.value):
			parts = append(parts, t.field+":"+t.value)
		default:
			parts = append(parts, t.field+":"+quoteQ(t.value))
		}
	}
	return strings.Join(parts, " ")
}

// mixins returns the names of the mixins the scope reads (for expand).
func (s Scope) mixins() []string {
	var out []string
	for _, t := range s.terms {
		if t.path != nil && !slices.Contains(out, t.path[0]) {
			out = append(out, t.path[0])
		}
	}
	return out
}

// contains reports whether a listed customer satisfies the scope, judged on
// the client: e-mails compare case-insensitively (the server may), mixin
// values as the q language renders scalars.
func (s Scope) contains(c *listedCustomer) bool {
	for _, t := range s.terms {
		var v string
		switch t.field {
		case "customerNumber", "id":
			v = c.number()
		case "contactEmail":
			v = strings.ToLower(c.ContactEmail)
		case "active":
			v = strconv.FormatBool(c.active())
		default:
			v = mixinScalar(c.Mixins, t.path)
		}
		want := t.value
		if t.field == "contactEmail" {
			want = strings.ToLower(want)
		}
		if t.prefix && !strings.HasPrefix(v, want) || !t.prefix && v != want {
			return false
		}
	}
	return true
}

// mixinScalar renders the scalar at path ("" when absent or not a scalar).
func mixinScalar(m map[string]json.RawMessage, path []string) string {
	raw, ok := m[path[0]]
	for _, p := range path[1:] {
		if !ok {
			return ""
		}
		var obj map[string]json.RawMessage
		if json.Unmarshal(raw, &obj) != nil {
			return ""
		}
		raw, ok = obj[p]
	}
	var v any
	if !ok || json.Unmarshal(raw, &v) != nil {
		return ""
	}
	switch v := v.(type) {
	case string:
		return v
	case bool:
		return strconv.FormatBool(v)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return ""
}
