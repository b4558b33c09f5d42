package apispec

import (
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strconv"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
)

// Body kinds an allow-listed response must carry.
const (
	errorBody = "ErrorMessage"   // the customer service error body
	oauthBody = "RFC 6749 error" // {"error": ..., "error_description": ...}
	faultBody = "gateway fault"  // the 401 body: {"fault": {"faultstring": ...}}
)

// allowance is a status the contract does not document for an operation but
// that a conforming server still sends, with the reason.
type allowance struct {
	status int
	ops    opSet
	body   string
	why    string
}

// opSet selects operations of the customer service document.
type opSet struct {
	ids       []string // explicit operationIds
	all       bool     // every customer service operation
	jsonBody  bool     // every operation that takes a JSON request body
	oauthOnly bool     // the token endpoint (oauth document)
}

// allowList is every undocumented status the suite accepts. Everything else a
// response carries must be documented for its operation.
var allowList = []allowance{
	{http.StatusTooManyRequests, opSet{all: true}, errorBody,
		"gateway throttling: the contract documents no rate limit, yet Emporix's own Management Dashboard " +
			"retries 429; the emulator sends it past --rate and with --throttle-rate, with Retry-After, nothing applied"},
	{http.StatusServiceUnavailable, opSet{all: true}, errorBody,
		"an instance unavailable behind the gateway (retryable, nothing applied); the emulator's --fail-rate"},
	{http.StatusRequestEntityTooLarge, opSet{jsonBody: true}, errorBody,
		"a request body over the gateway's documented 10 MB limit"},
	{http.StatusUnsupportedMediaType, opSet{jsonBody: true}, errorBody,
		"a body in a media type the operation does not list cannot be read; the Spring service answers 415"},
	{http.StatusBadRequest, opSet{ids: []string{"GET-customer-tenant-retrieve-password-migration-retention"}}, errorBody,
		"the gateway checks the tenant's syntax before any operation and answers 400, as documented for every other operation"},
	{http.StatusBadRequest, opSet{oauthOnly: true}, oauthBody,
		"the OAuth document lists only 200; a bad request, grant type or scope is answered as RFC 6749 section 5.2 says " +
			"(invalid_request, unsupported_grant_type, invalid_scope), the shape golang.org/x/oauth2 reads"},
	{http.StatusUnauthorized, opSet{oauthOnly: true}, oauthBody,
		"RFC 6749 section 5.2 invalid_client for wrong client credentials"},
}

// noRoute lists the answers accepted for requests the contract has no
// operation for (only sent deliberately, with ResponsesOnly): the gateway
// authenticates before it routes (401), then a path the contract does not know
// is 404 and a known path with another method 405 with Allow.
var noRoute = map[string]map[int]string{
	routers.ErrPathNotFound.Error():     {http.StatusNotFound: errorBody, http.StatusUnauthorized: faultBody},
	routers.ErrMethodNotAllowed.Error(): {http.StatusMethodNotAllowed: errorBody, http.StatusUnauthorized: faultBody},
}

// expandAllowList resolves allowList to operationId → status → allowance. An
// allowance for a status the operation documents is an error: the list only
// holds what the contract is silent about.
func expandAllowList(doc, oauth *openapi3.T) (map[string]map[int]allowance, error) {
	out := map[string]map[int]allowance{}
	for _, a := range allowList {
		for _, op := range a.ops.resolve(doc, oauth) {
			if op.Responses.Status(a.status) != nil {
				return nil, fmt.Errorf("apispec: allow-list: %s documents %d", op.OperationID, a.status)
			}
			if out[op.OperationID] == nil {
				out[op.OperationID] = map[int]allowance{}
			}
			out[op.OperationID][a.status] = a
		}
	}
	for _, a := range allowList {
		for _, id := range a.ops.ids {
			if _, ok := out[id]; !ok {
				return nil, fmt.Errorf("apispec: allow-list names unknown operation %s", id)
			}
		}
	}
	return out, nil
}

func (s opSet) resolve(doc, oauth *openapi3.T) []*openapi3.Operation {
	var out []*openapi3.Operation
	src := doc
	if s.oauthOnly {
		src = oauth
	}
	for _, item := range src.Paths.Map() {
		for _, op := range item.Operations() {
			if s.matches(op) {
				out = append(out, op)
			}
		}
	}
	return out
}

func (s opSet) matches(op *openapi3.Operation) bool {
	switch {
	case s.all, s.oauthOnly:
		return true
	case s.jsonBody:
		return op.RequestBody != nil && op.RequestBody.Value != nil && op.RequestBody.Value.Content.Get("application/json") != nil
	}
	for _, id := range s.ids {
		if id == op.OperationID {
			return true
		}
	}
	return false
}

// Allowed returns the allow-list entries for operationId: status → reason.
func (v *Validator) Allowed(operationID string) map[int]string {
	out := map[int]string{}
	for st, a := range v.allowed[operationID] {
		out[st] = a.why
	}
	return out
}

func (v *Validator) checkNoRoute(routeErr error, resp *http.Response, body []byte) error {
	var re *routers.RouteError
	kind := ""
	if errors.As(routeErr, &re) {
		kind = noRoute[re.Reason][resp.StatusCode]
	}
	if kind == "" {
		return fmt.Errorf("status %d for a request the spec has no operation for (%v)", resp.StatusCode, routeErr)
	}
	if resp.StatusCode == http.StatusMethodNotAllowed && resp.Header.Get("Allow") == "" {
		return errors.New("405 without an Allow header")
	}
	return v.checkAllowedBody(kind, resp, body)
}

// checkAllowedBody checks the body of an allow-listed status.
func (v *Validator) checkAllowedBody(kind string, resp *http.Response, body []byte) error {
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "application/json" {
		return fmt.Errorf("allow-listed status %d: Content-Type %q, want application/json", resp.StatusCode, mt)
	}
	var val any
	if err := json.Unmarshal(body, &val); err != nil {
		return fmt.Errorf("allow-listed status %d: body is not JSON: %w", resp.StatusCode, err)
	}
	switch kind {
	case faultBody:
		m, _ := val.(map[string]any)
		if f, ok := m["fault"].(map[string]any); !ok || f["faultstring"] == nil {
			return fmt.Errorf("status %d: want a gateway fault body", resp.StatusCode)
		}
		return nil
	case oauthBody:
		m, _ := val.(map[string]any)
		if s, ok := m["error"].(string); !ok || s == "" {
			return fmt.Errorf("allow-listed status %d: want an RFC 6749 error body", resp.StatusCode)
		}
		return nil
	default:
		m, _ := val.(map[string]any)
		for _, k := range []string{"status", "type", "message"} {
			if _, ok := m[k]; !ok {
				return fmt.Errorf("allow-listed status %d: body is not an ErrorMessage (no %s)", resp.StatusCode, k)
			}
		}
		if err := v.errorSchema.VisitJSON(val); err != nil {
			return fmt.Errorf("allow-listed status %d: body is not an ErrorMessage: %w", resp.StatusCode, err)
		}
		if st, _ := m["status"].(float64); strconv.Itoa(int(st)) != strconv.Itoa(resp.StatusCode) {
			return fmt.Errorf("allow-listed status %d: ErrorMessage.status is %v", resp.StatusCode, m["status"])
		}
		return nil
	}
}
