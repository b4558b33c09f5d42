// Package apispec validates HTTP traffic against the Emporix OpenAPI contract.
// The contract travels with the repository as a facts-only copy of the
// official documents (testdata/, written by `go generate` from
// ../shared/emporix): tests wrap their client's transport with it so that every
// request and response exchanged with the emulator (or a real tenant) is
// checked, the response status included.
package apispec

//go:generate go run ./gen -src ../../../shared/emporix -out testdata

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
)

var (
	//go:embed testdata/customer-service.yml
	customerSpec []byte
	//go:embed testdata/oauth-service.yml
	oauthSpec []byte
)

// Validator checks requests and responses against the customer service spec
// and, for POST /oauth/token, against the OAuth service spec.
type Validator struct {
	customerDoc *openapi3.T
	customer    routers.Router
	oauth       routers.Router
	allowed     map[string]map[int]allowance // operationId → undocumented status → why
	errorSchema *openapi3.Schema             // ErrorMessage
}

// shared is built once per test binary: a Validator is read-only after New.
var shared = sync.OnceValues(New)

// Load returns a Validator for the repository's copy of the contract. It never
// skips: the copy is part of the repository.
func Load(tb testing.TB) *Validator {
	tb.Helper()
	v, err := shared()
	if err != nil {
		tb.Fatalf("apispec: %v", err)
	}
	return v
}

// New builds a Validator from the embedded contract.
func New() (*Validator, error) {
	doc, err := loadDoc("customer-service.yml", customerSpec)
	if err != nil {
		return nil, err
	}
	odoc, err := loadDoc("oauth-service.yml", oauthSpec)
	if err != nil {
		return nil, err
	}
	v := &Validator{customerDoc: doc}
	if v.customer, err = newRouter(doc); err != nil {
		return nil, err
	}
	if v.oauth, err = newRouter(odoc); err != nil {
		return nil, err
	}
	em := doc.Components.Schemas["ErrorMessage"]
	if em == nil || em.Value == nil {
		return nil, errors.New("apispec: ErrorMessage missing from the customer spec")
	}
	v.errorSchema = em.Value
	if v.allowed, err = expandAllowList(doc, odoc); err != nil {
		return nil, err
	}
	return v, nil
}

// CustomerDoc returns the loaded customer service document (for tests that
// derive cases from the contract). It is shared: callers must not modify it.
func (v *Validator) CustomerDoc() *openapi3.T { return v.customerDoc }

func loadDoc(name string, data []byte) (*openapi3.T, error) {
	doc, err := openapi3.NewLoader().LoadFromData(data)
	if err != nil {
		return nil, fmt.Errorf("apispec: load %s: %w", name, err)
	}
	// Any host and mount prefix match: the transport strips the prefix itself.
	doc.Servers = nil
	for _, item := range doc.Paths.Map() {
		item.Servers = nil
		for _, op := range item.Operations() {
			op.Servers = nil
		}
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("apispec: %s does not validate: %w", name, err)
	}
	return doc, nil
}

func newRouter(doc *openapi3.T) (routers.Router, error) {
	r, err := legacy.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("apispec: router: %w", err)
	}
	return r, nil
}

// Mode selects what a Transport validates.
type Mode int

const (
	// Both validates requests and responses.
	Both Mode = iota
	// ResponsesOnly validates responses only: for tests that send deliberately
	// invalid requests but still want the answers checked.
	ResponsesOnly
)

// Transport wraps base (http.DefaultTransport when nil) so that every request
// and response is validated; failures are reported with tb.Errorf.
func (v *Validator) Transport(tb testing.TB, base http.RoundTripper) http.RoundTripper {
	return v.TransportMode(tb, base, Both)
}

// TransportMode is Transport with an explicit Mode.
func (v *Validator) TransportMode(tb testing.TB, base http.RoundTripper, mode Mode) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &transport{v: v, tb: tb, base: base, mode: mode}
}

type transport struct {
	v    *Validator
	tb   testing.TB
	base http.RoundTripper
	mode Mode
}

var opts = &openapi3filter.Options{
	AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, // the server under test checks auth
	MultiError:         true,
	// Statuses are checked before (documented, or allow-listed with a reason).
	IncludeResponseStatus: true,
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	input, routeErr := t.v.requestInput(req)
	if routeErr != nil && t.mode == Both {
		t.tb.Errorf("apispec: %s %s: %v", req.Method, req.URL.Path, routeErr)
	}
	if req.Body != nil && req.Body != http.NoBody {
		body, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("apispec: read request body: %w", err)
		}
		req = req.Clone(req.Context())
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		if input != nil {
			input.Request.Body = io.NopCloser(bytes.NewReader(body))
		}
	}
	if input != nil && t.mode == Both {
		if err := openapi3filter.ValidateRequest(req.Context(), input); err != nil {
			t.tb.Errorf("apispec: request %s %s violates the spec: %v", req.Method, req.URL.Path, err)
		}
	}
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	body, rerr := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if rerr != nil {
		return nil, fmt.Errorf("apispec: read response body: %w", rerr)
	}
	if err := t.v.checkResponse(req, input, routeErr, resp, body); err != nil {
		t.tb.Errorf("apispec: response %d to %s %s violates the spec: %v\nbody: %s",
			resp.StatusCode, req.Method, req.URL.Path, err, body)
	}
	return resp, nil
}

// checkResponse validates one response: its status must be documented for the
// operation or allow-listed, its body must match the documented schema, and a
// status documented without a body must come without one.
func (v *Validator) checkResponse(req *http.Request, input *openapi3filter.RequestValidationInput, routeErr error, resp *http.Response, body []byte) error {
	if input == nil {
		return v.checkNoRoute(routeErr, resp, body)
	}
	op := input.Route.Operation
	documented := op.Responses.Status(resp.StatusCode)
	if documented == nil {
		documented = op.Responses.Default()
	}
	if documented == nil {
		a, ok := v.allowed[op.OperationID][resp.StatusCode]
		if !ok {
			return fmt.Errorf("status %d is not documented for %s and not allow-listed", resp.StatusCode, op.OperationID)
		}
		return v.checkAllowedBody(a.body, resp, body)
	}
	if documented.Value != nil && len(documented.Value.Content) == 0 && len(bytes.TrimSpace(body)) > 0 {
		return fmt.Errorf("status %d of %s is documented without a body, got one", resp.StatusCode, op.OperationID)
	}
	rin := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: input,
		Status:                 resp.StatusCode,
		Header:                 resp.Header,
		Options:                opts,
	}
	rin.SetBodyBytes(body)
	return openapi3filter.ValidateResponse(req.Context(), rin)
}

// requestInput finds the route for req. The path is cut at "/customer/" or
// "/oauth/token" so that the API can be mounted under any prefix.
func (v *Validator) requestInput(req *http.Request) (*openapi3filter.RequestValidationInput, error) {
	router := v.customer
	path := req.URL.Path
	if i := strings.Index(path, "/oauth/token"); i >= 0 {
		router, path = v.oauth, path[i:]
	} else if i := strings.Index(path, "/customer/"); i >= 0 {
		path = path[i:]
	} else {
		return nil, fmt.Errorf("path %q is neither /customer/... nor /oauth/token: %w", req.URL.Path, routers.ErrPathNotFound)
	}
	rreq := req.Clone(req.Context())
	rreq.URL.Path, rreq.URL.RawPath = path, "" // the legacy router matches the decoded path
	rreq.Body = http.NoBody
	route, params, err := findRoute(router, rreq)
	if err != nil {
		return nil, fmt.Errorf("no route in the spec: %w", err)
	}
	return &openapi3filter.RequestValidationInput{
		Request:    rreq,
		PathParams: params,
		Route:      route,
		Options:    opts,
	}, nil
}

// findRoute is router.FindRoute, except that a match with an empty path
// parameter (the legacy router lets "/customers" match ".../customers/{n}") is
// no match, and that a miss tells a path known for other methods (405) from an
// unknown one (404).
func findRoute(router routers.Router, req *http.Request) (*routers.Route, map[string]string, error) {
	route, params, err := router.FindRoute(req)
	if err == nil && !hasEmpty(params) {
		return route, params, nil
	}
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		if m == req.Method {
			continue
		}
		probe := req.Clone(req.Context())
		probe.Method = m
		if _, p, err := router.FindRoute(probe); err == nil && !hasEmpty(p) {
			return nil, nil, &routers.RouteError{Reason: routers.ErrMethodNotAllowed.Error()}
		}
	}
	return nil, nil, &routers.RouteError{Reason: routers.ErrPathNotFound.Error()}
}

func hasEmpty(params map[string]string) bool {
	for _, v := range params {
		if v == "" {
			return true
		}
	}
	return false
}
