package emporix

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestDecodeError(t *testing.T) {
	// Bodies in the shapes the service documents for its errors.
	tests := []struct {
		name        string
		method      string
		path        string
		status      int
		body        string
		wantType    string
		wantMessage string
		wantDetails int
		wantErr     string
	}{
		{"400 tenant", "GET", "/customers", 400,
			`{"type":"bad_request","status":400,"message":"The tenant information provided with the request is not valid."}`,
			"bad_request", "The tenant information provided with the request is not valid.", 0,
			"GET /customers: 400 bad_request: The tenant information provided with the request is not valid."},
		{"401 invalid token", "GET", "/customers/C1", 401,
			`{"fault":{"faultstring":"Invalid access token","detail":{"errorcode":"oauth.v2.InvalidAccessToken"}}}`,
			"oauth.v2.InvalidAccessToken", "Invalid access token", 0,
			"GET /customers/C1: 401 oauth.v2.InvalidAccessToken: Invalid access token"},
		{"401 expired", "GET", "/customers/C1", 401,
			`{"fault":{"faultstring":"Access Token expired","detail":{"errorcode":"keymanagement.service.access_token_expired"}}}`,
			"keymanagement.service.access_token_expired", "Access Token expired", 0,
			"GET /customers/C1: 401 keymanagement.service.access_token_expired: Access Token expired"},
		{"403 scope", "PATCH", "/customers/C1", 403,
			`{"type":"Forbidden","status":403,"message":"User not authorized."}`,
			"Forbidden", "User not authorized.", 0,
			"PATCH /customers/C1: 403 Forbidden: User not authorized."},
		{"404 customer", "GET", "/customers/C1", 404,
			`{"status":404,"type":"application/json","message":"Customer not Found","details":[{"message":"Couldn't find a customer with customerNumber 'C1'"}]}`,
			"application/json", "Customer not Found", 1,
			"GET /customers/C1: 404 application/json: Customer not Found (Couldn't find a customer with customerNumber 'C1')"},
		{"404 address", "DELETE", "/customers/C1/addresses/a1", 404,
			`{"type":"resource_not_found","status":404,"message":"Address a1 of customer C1 not found."}`,
			"resource_not_found", "Address a1 of customer C1 not found.", 0,
			"DELETE /customers/C1/addresses/a1: 404 resource_not_found: Address a1 of customer C1 not found."},
		{"409 duplicate", "PUT", "/customers/C1", 409,
			`{"type":"conflict_resource","status":409,"message":"Duplicate account 'a@x.com' for tenant 'tnt'."}`,
			"conflict_resource", "Duplicate account 'a@x.com' for tenant 'tnt'.", 0,
			"PUT /customers/C1: 409 conflict_resource: Duplicate account 'a@x.com' for tenant 'tnt'."},
		{"400 validation with field", "POST", "/customers", 400,
			`{"status":400,"type":"validation_failure","message":"Invalid","details":[{"field":"country","message":"size must be 2"}]}`,
			"validation_failure", "Invalid", 1,
			"POST /customers: 400 validation_failure: Invalid (country: size must be 2)"},
		{"non-JSON 502", "GET", "/customers", 502, "<html>\n<body>Bad   Gateway</body></html>",
			"", "<html> <body>Bad Gateway</body></html>", 0,
			"GET /customers: 502: <html> <body>Bad Gateway</body></html>"},
		{"empty 503", "GET", "/customers", 503, "", "", "", 0,
			"GET /customers: 503: Service Unavailable"},
		{"JSON without known fields", "GET", "/customers", 500, `{"foo":1}`, "", `{"foo":1}`, 0,
			`GET /customers: 500: {"foo":1}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := decodeError(tt.method, tt.path, tt.status, []byte(tt.body))
			if e.Status != tt.status || e.Type != tt.wantType || e.Message != tt.wantMessage || len(e.Details) != tt.wantDetails {
				t.Errorf("decoded %+v", e)
			}
			if got := e.Error(); got != tt.wantErr {
				t.Errorf("Error() = %q, want %q", got, tt.wantErr)
			}
		})
	}
}

func TestErrorHelpers(t *testing.T) {
	nf := fmt.Errorf("wrapped: %w", &APIError{Status: http.StatusNotFound})
	cf := fmt.Errorf("%w: %w", ErrOutcomeUnknown, &APIError{Status: http.StatusConflict})
	tests := []struct {
		err                error
		status             int
		notFound, conflict bool
	}{
		{nf, 404, true, false},
		{cf, 409, false, true},
		{errors.New("plain"), 0, false, false},
		{nil, 0, false, false},
	}
	for _, tt := range tests {
		if StatusOf(tt.err) != tt.status || IsNotFound(tt.err) != tt.notFound || IsConflict(tt.err) != tt.conflict {
			t.Errorf("%v: status %d notFound %v conflict %v", tt.err, StatusOf(tt.err), IsNotFound(tt.err), IsConflict(tt.err))
		}
	}
}

func TestIsTokenFault(t *testing.T) {
	tests := map[string]bool{
		`{"fault":{"faultstring":"Invalid access token","detail":{"errorcode":"oauth.v2.InvalidAccessToken"}}}`:                true,
		`{"fault":{"faultstring":"Access Token expired","detail":{"errorcode":"keymanagement.service.access_token_expired"}}}`: true,
		`{"fault":{"faultstring":"Spike arrest violation","detail":{"errorcode":"policies.ratelimit.SpikeArrestViolation"}}}`:  false,
		`{"type":"unauthorized","status":401,"message":"Invalid access token"}`:                                                false,
		`not json`: false,
	}
	for body, want := range tests {
		if got := isTokenFault([]byte(body)); got != want {
			t.Errorf("isTokenFault(%s) = %v, want %v", body, got, want)
		}
	}
}

func FuzzDecodeError(f *testing.F) {
	f.Add(400, []byte(`{"type":"bad_request","status":400,"message":"x","details":[{"field":"a","message":"b"}]}`))
	f.Add(401, []byte(`{"fault":{"faultstring":"Invalid access token","detail":{"errorcode":"oauth.v2.InvalidAccessToken"}}}`))
	f.Add(502, []byte("<html>\xff\xfe</html>"))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		e := decodeError("GET", "/customers", status, body)
		s := e.Error()
		if !utf8.ValidString(e.Message) {
			t.Fatalf("message not UTF-8: %q", e.Message)
		}
		if !strings.HasPrefix(s, "GET /customers: ") {
			t.Fatalf("Error() lacks method/path: %q", s)
		}
		if !json.Valid(body) && len(e.Message) > maxErrorExcerpt+len("…") {
			t.Fatalf("excerpt too long: %d", len(e.Message))
		}
	})
}
