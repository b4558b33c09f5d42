package emulator

import (
	"maps"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/emporix-import/emporix-import/internal/apispec"
)

// TestRoutesMatchContract walks the route table against the contract: every
// operation of the contract is routed, every route is an operation, and each
// route accepts exactly the scopes the contract lists for it.
func TestRoutesMatchContract(t *testing.T) {
	doc := apispec.Load(t).CustomerDoc()
	type key struct{ method, path string }
	want := map[key][]string{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			var scopes []string
			if op.Security != nil {
				for _, req := range *op.Security {
					scopes = append(scopes, req["OAuth2"]...)
				}
			}
			slices.Sort(scopes)
			want[key{method, path}] = scopes
		}
	}
	got := map[key][]string{}
	for _, rt := range routes {
		scopes := slices.Clone(rt.scopes)
		slices.Sort(scopes)
		got[key{rt.method, apiRoot + rt.path}] = scopes
	}
	for k, w := range want {
		g, ok := got[k]
		switch {
		case !ok:
			t.Errorf("%s %s is in the contract but not routed", k.method, k.path)
		case !slices.Equal(g, w):
			t.Errorf("%s %s accepts scopes %v, the contract lists %v", k.method, k.path, g, w)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s %s is routed but not in the contract", k.method, k.path)
		}
	}
}

// TestRequestConstraintsFromContract derives one bad request per string
// constraint (minLength, maxLength, pattern, enum) the contract states for a
// JSON request body the emulator implements, and expects a 400 naming the field.
func TestRequestConstraintsFromContract(t *testing.T) {
	e := newEnv(t, Config{})
	e.createCustomer(t, "c1", map[string]any{"contactEmail": "c1@example.com"})
	e.addAddress(t, "c1", map[string]any{"contactName": "X", "id": "a1"})
	// A valid body per operation, to which one bad property is added.
	bases := map[string]map[string]any{
		"POST-customer-tenant-create-customer":          {"contactEmail": "n@example.com"},
		"PUT-customer-tenant-update-customer":           {},
		"PATCH-customer-tenant-update-customer":         {},
		"POST-customer-tenant-search":                   {},
		"POST-customer-tenant-add-customer-address":     {"contactName": "Y"},
		"PUT-customer-tenant-update-customer-address":   {},
		"PATCH-customer-tenant-update-customer-address": {},
	}
	paths := map[string]string{"{tenant}": "demo", "{customerNumber}": "c1", "{addressId}": "a1"}
	n := 0
	for path, item := range e.srvDoc(t).Paths.Map() {
		for method, op := range item.Operations() {
			base, ok := bases[op.OperationID]
			if !ok || op.RequestBody == nil || op.RequestBody.Value.Content.Get("application/json") == nil {
				continue
			}
			schema := op.RequestBody.Value.Content.Get("application/json").Schema.Value
			for _, v := range violations(schema) {
				prop, bad := v[0], v[1]
				body := maps.Clone(base)
				body[prop] = bad
				p := path
				for k, v := range paths {
					p = strings.ReplaceAll(p, k, v)
				}
				t.Run(op.OperationID+"/"+prop+"="+short(bad), func(t *testing.T) {
					n++
					res := e.do(t, e.loose, req{method: method, path: p, body: body})
					if res.status != http.StatusBadRequest {
						t.Fatalf("status %d, want 400: %s", res.status, res.body)
					}
					var em errorMessage
					res.decode(t, &em)
					if !slices.ContainsFunc(em.Details, func(d errorDetail) bool { return d.Field == prop }) {
						t.Errorf("details %+v do not name %s", em.Details, prop)
					}
				})
			}
		}
	}
	if n < 11 { // preferredCurrency's two lengths on 3 customer writes, id's three rules, country's two lengths
		t.Errorf("only %d constraint cases derived from the contract", n)
	}
}

func (e *env) srvDoc(t *testing.T) *openapi3.T { return apispec.Load(t).CustomerDoc() }

// violations returns {property, value} pairs: per constrained string property
// of an object schema (allOf flattened), one value for each of its
// constraints that breaks that constraint.
func violations(s *openapi3.Schema) [][2]string {
	var out [][2]string
	var walk func(s *openapi3.Schema)
	walk = func(s *openapi3.Schema) {
		for _, part := range s.AllOf {
			walk(part.Value)
		}
		for name, ref := range s.Properties {
			p := ref.Value
			if p == nil || !p.Type.Is("string") {
				continue
			}
			if p.MinLength > 0 {
				out = append(out, [2]string{name, strings.Repeat("A", int(p.MinLength)-1)})
			}
			if p.MaxLength != nil {
				out = append(out, [2]string{name, strings.Repeat("A", int(*p.MaxLength)+1)})
			}
			if p.Pattern != "" {
				out = append(out, [2]string{name, "a b"})
			}
			if len(p.Enum) > 0 {
				out = append(out, [2]string{name, "NOT_IN_ENUM"})
			}
		}
	}
	walk(s)
	return out
}

func short(s string) string {
	if len(s) > 8 {
		return s[:8] + "..."
	}
	return s
}

func TestUnroutedAnswers(t *testing.T) {
	e := newEnv(t, Config{})
	tests := []struct {
		name   string
		r      req
		status int
		allow  string
	}{
		{"unknown path", req{method: "GET", path: "/orders"}, 404, ""},
		{"known path, other method", req{method: "PUT", path: "/customers"}, 405, "GET, POST"},
		{"GET .../search reads customer \"search\"", req{method: "GET", path: "/customers/search"}, 404, ""},
		{"tags take POST and DELETE", req{method: "GET", path: "/customers/c1/addresses/a1/tags"}, 405, "DELETE, POST"},
		{"unauthenticated unknown path", req{method: "GET", path: "/orders", token: ptr("")}, 401, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := e.do(t, e.loose, tt.r)
			if res.status != tt.status || res.header.Get("Allow") != tt.allow {
				t.Fatalf("status %d Allow %q, want %d %q: %s", res.status, res.header.Get("Allow"), tt.status, tt.allow, res.body)
			}
		})
	}
}

// TestListenTimeouts: a client that sends its headers and then stalls the body
// is disconnected once ReadTimeout has passed, instead of holding the
// connection forever.
func TestListenTimeouts(t *testing.T) {
	base, stop := listen(t, Config{ReadTimeout: 200 * time.Millisecond, IdleTimeout: 200 * time.Millisecond}, "")
	defer func() { _ = stop() }()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte("POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ngrant")); err != nil {
		t.Fatal(err)
	}
	// Generous bound for a loaded machine: the server must close well before it.
	_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	buf := make([]byte, 4096)
	for {
		_, err := conn.Read(buf)
		if err == nil {
			continue // an error answer for the unreadable body, then the close
		}
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Fatal("the server kept a stalled connection open")
		}
		return
	}
}
