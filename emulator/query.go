package emulator

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// query is a parsed q parameter: terms ANDed together.
type query []queryTerm

// queryTerm matches one field against a set of alternatives (ORed).
type queryTerm struct {
	Field string
	Alts  []queryAlt
}

// queryAlt is one alternative: an exact value or a presence predicate.
type queryAlt struct {
	Value string
	// Pred is "", "null", "exists" or "missing" (unquoted keywords only).
	Pred string
}

// queryError is a q syntax or field error (answered with 400).
type queryError struct {
	Pos int
	Msg string
}

func (e *queryError) Error() string { return fmt.Sprintf("invalid q at offset %d: %s", e.Pos, e.Msg) }

// queryFields maps q field names to accessors. Values are compared exactly and
// case-sensitively (strict: the docs leave case sensitivity open).
var queryFields = map[string]func(*Customer) string{
	"id":                        func(c *Customer) string { return c.CustomerNumber },
	"customerNumber":            func(c *Customer) string { return c.CustomerNumber },
	"contactEmail":              func(c *Customer) string { return c.ContactEmail },
	"email":                     func(c *Customer) string { return c.Email },
	"title":                     func(c *Customer) string { return c.Title },
	"firstName":                 func(c *Customer) string { return c.FirstName },
	"middleName":                func(c *Customer) string { return c.MiddleName },
	"lastName":                  func(c *Customer) string { return c.LastName },
	"contactPhone":              func(c *Customer) string { return c.ContactPhone },
	"company":                   func(c *Customer) string { return c.Company },
	"preferredLanguage":         func(c *Customer) string { return c.PreferredLanguage },
	"preferredCurrency":         func(c *Customer) string { return c.PreferredCurrency },
	"preferredSite":             func(c *Customer) string { return c.PreferredSite },
	"type":                      func(c *Customer) string { return c.Type },
	"businessModel":             func(c *Customer) string { return "B2C" },
	"active":                    func(c *Customer) string { return strconv.FormatBool(c.Active) },
	"onHold":                    func(c *Customer) string { return strconv.FormatBool(c.OnHold) },
	"metadataCreatedAt":         func(c *Customer) string { return createdAt(c) },
	"b2b.companyRegistrationId": func(c *Customer) string { return b2bID(c) },
}

func b2bID(c *Customer) string {
	if c.B2B == nil {
		return ""
	}
	return c.B2B.CompanyRegistrationID
}

// parseQuery parses the subset of the Emporix q language the emulator supports:
//
//	q     = term { " " term }
//	term  = field ":" value
//	value = quoted | bare | "(" value { ("," | " OR ") value } ")"
//
// quoted values use backslash escapes; unquoted null, exists and missing are
// predicates. Regex (~) and range (>=, <) forms are refused with an error:
// the emulator does not implement them and silently matching nothing would
// hide the client's mistake.
func parseQuery(q string) (query, error) {
	p := &qparser{s: q}
	var out query
	for {
		p.skipSpace()
		if p.eof() {
			break
		}
		t, err := p.term()
		if err != nil {
			return nil, err
		}
		out = append(out, t)
		if !p.eof() && p.s[p.i] != ' ' {
			return nil, p.errf("expected a space between terms")
		}
	}
	if len(out) == 0 {
		return nil, &queryError{0, "empty query"}
	}
	return out, nil
}

type qparser struct {
	s string
	i int
}

func (p *qparser) eof() bool { return p.i >= len(p.s) }

func (p *qparser) errf(format string, args ...any) error {
	return &queryError{p.i, fmt.Sprintf(format, args...)}
}

func (p *qparser) skipSpace() {
	for !p.eof() && p.s[p.i] == ' ' {
		p.i++
	}
}

func (p *qparser) term() (queryTerm, error) {
	start := p.i
	for !p.eof() && isFieldChar(p.s[p.i]) {
		p.i++
	}
	field := p.s[start:p.i]
	if field == "" {
		return queryTerm{}, p.errf("expected a field name")
	}
	if p.eof() || p.s[p.i] != ':' {
		return queryTerm{}, p.errf("expected ':' after field %q", field)
	}
	if _, ok := queryFields[field]; !ok {
		return queryTerm{}, &queryError{start, fmt.Sprintf("unknown field %q", field)}
	}
	p.i++
	if p.eof() {
		return queryTerm{}, p.errf("missing value for field %q", field)
	}
	if p.s[p.i] == '(' {
		alts, err := p.list()
		return queryTerm{Field: field, Alts: alts}, err
	}
	a, err := p.value(" ")
	return queryTerm{Field: field, Alts: []queryAlt{a}}, err
}

func isFieldChar(c byte) bool {
	return c == '_' || c == '.' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// list parses "(a,b)" or "(a OR b)".
func (p *qparser) list() ([]queryAlt, error) {
	p.i++ // (
	var alts []queryAlt
	for {
		p.skipSpace()
		a, err := p.value(" ,)")
		if err != nil {
			return nil, err
		}
		alts = append(alts, a)
		p.skipSpace()
		switch {
		case p.eof():
			return nil, p.errf("unterminated list")
		case p.s[p.i] == ')':
			p.i++
			return alts, nil
		case p.s[p.i] == ',':
			p.i++
		case strings.HasPrefix(p.s[p.i:], "OR "):
			p.i += len("OR ")
		default:
			return nil, p.errf("expected ',', 'OR' or ')' in list")
		}
	}
}

// value parses a quoted or bare value; stop lists the bytes ending a bare value.
func (p *qparser) value(stop string) (queryAlt, error) {
	if p.eof() {
		return queryAlt{}, p.errf("missing value")
	}
	if p.s[p.i] == '"' {
		p.i++
		var b strings.Builder
		for {
			if p.eof() {
				return queryAlt{}, p.errf("unterminated quoted value")
			}
			c := p.s[p.i]
			p.i++
			switch c {
			case '\\':
				if p.eof() {
					return queryAlt{}, p.errf("dangling backslash")
				}
				b.WriteByte(p.s[p.i])
				p.i++
			case '"':
				return queryAlt{Value: b.String()}, nil
			default:
				b.WriteByte(c)
			}
		}
	}
	start := p.i
	for !p.eof() && !strings.ContainsRune(stop, rune(p.s[p.i])) {
		if c := p.s[p.i]; c == '"' || c == '(' || c == ')' && !strings.Contains(stop, ")") {
			return queryAlt{}, p.errf("unexpected %q in value", c)
		}
		p.i++
	}
	v := p.s[start:p.i]
	switch {
	case v == "":
		return queryAlt{}, p.errf("missing value")
	case strings.HasPrefix(v, "~"):
		return queryAlt{}, &queryError{start, "regex values (~) are not supported by the emulator"}
	case strings.ContainsAny(v[:1], "<>"):
		return queryAlt{}, &queryError{start, "range values are not supported by the emulator"}
	case slices.Contains([]string{"null", "exists", "missing"}, v):
		return queryAlt{Pred: v}, nil
	}
	return queryAlt{Value: v}, nil
}

// match reports whether c satisfies every term.
func (q query) match(c *Customer) bool {
	for _, t := range q {
		v := queryFields[t.Field](c)
		if !slices.ContainsFunc(t.Alts, func(a queryAlt) bool {
			switch a.Pred {
			case "null", "missing":
				return v == ""
			case "exists":
				return v != ""
			}
			return v == a.Value
		}) {
			return false
		}
	}
	return true
}
