package emulator

import (
	"encoding/json"
	"fmt"
	"regexp"
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
	get   func(*Customer) string // the field's accessor, resolved once
}

// queryAlt is one alternative: an exact value, a regex or a presence predicate.
type queryAlt struct {
	Value string
	// Pred is "", "null", "exists" or "missing" (unquoted keywords only).
	Pred string
	// Regex is set for "~pattern" values: Value is then the pattern.
	Regex *regexp.Regexp
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

// queryField returns the accessor of a q field: a fixed field, or a mixin
// value addressed as mixins.<mixin>.<field>[.<field>…] (the q language's
// dotted form for mixin attributes).
func queryField(name string) (func(*Customer) string, bool) {
	if get, ok := queryFields[name]; ok {
		return get, true
	}
	path, ok := strings.CutPrefix(name, "mixins.")
	if !ok {
		return nil, false
	}
	parts := strings.Split(path, ".")
	if len(parts) < 2 || slices.Contains(parts, "") {
		return nil, false
	}
	return func(c *Customer) string { return mixinValue(c.Mixins, parts) }, true
}

// mixinValue renders the scalar at path in a mixins object as q compares it
// ("" when absent or not a scalar).
func mixinValue(m map[string]any, path []string) string {
	var v any = m
	for _, p := range path {
		obj, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		v = obj[p]
	}
	switch v := v.(type) {
	case string:
		return v
	case bool:
		return strconv.FormatBool(v)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case json.Number:
		return v.String()
	}
	return ""
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
// predicates; "~re", "~(re)" and "(~re)" are regular expressions (the
// parenthesised forms may hold spaces). Range (>=, <) forms are refused with
// an error: the emulator does not implement them and silently matching
// nothing would hide the client's mistake.
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
	get, ok := queryField(field)
	if !ok {
		return queryTerm{}, &queryError{start, fmt.Sprintf("unknown field %q", field)}
	}
	p.i++
	if p.eof() {
		return queryTerm{}, p.errf("missing value for field %q", field)
	}
	if strings.HasPrefix(p.s[p.i:], "~(") || strings.HasPrefix(p.s[p.i:], "(~") {
		a, err := p.groupRegex()
		return queryTerm{Field: field, Alts: []queryAlt{a}, get: get}, err
	}
	if p.s[p.i] == '(' {
		alts, err := p.list()
		return queryTerm{Field: field, Alts: alts, get: get}, err
	}
	a, err := p.value(" ")
	return queryTerm{Field: field, Alts: []queryAlt{a}, get: get}, err
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
		return compileRegex(start, v[1:])
	case strings.ContainsAny(v[:1], "<>"):
		return queryAlt{}, &queryError{start, "range values are not supported by the emulator"}
	case slices.Contains([]string{"null", "exists", "missing"}, v):
		return queryAlt{Pred: v}, nil
	}
	return queryAlt{Value: v}, nil
}

// groupRegex parses "~(re)" or "(~re)": the pattern runs to the parenthesis
// that closes the group, nested groups of the pattern included.
func (p *qparser) groupRegex() (queryAlt, error) {
	p.i += 2 // "~(" or "(~"
	start, depth := p.i, 1
	for ; !p.eof(); p.i++ {
		switch p.s[p.i] {
		case '\\':
			p.i++
		case '(':
			depth++
		case ')':
			depth--
		}
		if depth == 0 {
			pattern := p.s[start:p.i]
			p.i++
			return compileRegex(start, pattern)
		}
	}
	return queryAlt{}, p.errf("unterminated regex group")
}

// compileRegex builds a regex alternative. The q regex dialect is not
// documented; RE2 (Go's) covers the common subset (anchors, classes,
// repetition), and a pattern matches anywhere in the value unless anchored,
// as a search does.
func compileRegex(pos int, pattern string) (queryAlt, error) {
	if pattern == "" {
		return queryAlt{}, &queryError{pos, "empty regex"}
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return queryAlt{}, &queryError{pos, fmt.Sprintf("invalid regex: %v", err)}
	}
	return queryAlt{Value: pattern, Regex: re}, nil
}

// match reports whether c satisfies every term.
func (q query) match(c *Customer) bool {
	for _, t := range q {
		v := t.get(c)
		if !slices.ContainsFunc(t.Alts, func(a queryAlt) bool {
			switch {
			case a.Regex != nil:
				return a.Regex.MatchString(v)
			case a.Pred == "null", a.Pred == "missing":
				return v == ""
			case a.Pred == "exists":
				return v != ""
			}
			return v == a.Value
		}) {
			return false
		}
	}
	return true
}
