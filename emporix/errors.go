package emporix

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"
)

// ErrOutcomeUnknown marks a non-idempotent request (POST create customer, add
// address) that may or may not have been applied: the connection broke after
// sending, it timed out, or the gateway answered 502/503/504. Such requests are
// never retried blindly; callers look the resource up first.
var ErrOutcomeUnknown = errors.New("outcome unknown (request may have been applied)")

// ErrorDetail is one entry of ErrorMessage.details.
type ErrorDetail struct {
	Field    string `json:"field,omitempty"`
	Type     string `json:"type,omitempty"`
	Message  string `json:"message,omitempty"`
	MoreInfo string `json:"moreInfo,omitempty"`
}

// APIError is a non-2xx answer of the Emporix API. It is decoded from the
// standard ErrorMessage body, from the gateway's `fault` body (401, rate
// limits) or, for anything else, from a short excerpt of the raw body.
type APIError struct {
	Status   int
	Type     string
	Message  string
	MoreInfo string
	Details  []ErrorDetail
	Method   string
	Path     string // path below /customer/<tenant>, e.g. /customers/C1
	// RetryAfter is the server's Retry-After (before capping); 0 if absent.
	RetryAfter time.Duration
}

func (e *APIError) Error() string {
	var b strings.Builder
	if e.Method != "" || e.Path != "" {
		fmt.Fprintf(&b, "%s %s: ", e.Method, e.Path)
	}
	fmt.Fprintf(&b, "%d", e.Status)
	if e.Type != "" {
		b.WriteString(" " + e.Type)
	}
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	if msg != "" {
		b.WriteString(": " + msg)
	}
	var ds []string
	for _, d := range e.Details {
		switch {
		case d.Message == "":
		case d.Field != "":
			ds = append(ds, d.Field+": "+d.Message)
		default:
			ds = append(ds, d.Message)
		}
	}
	if len(ds) > 0 {
		b.WriteString(" (" + strings.Join(ds, "; ") + ")")
	}
	return b.String()
}

// AuthError means the token endpoint refused the client credentials (or the
// tenant/scopes). It is fatal: retrying cannot help. Its message never
// contains the client secret nor the raw response body.
type AuthError struct {
	Status int    // HTTP status of the token endpoint
	Code   string // OAuth `error` code when it is a plain identifier
}

func (e *AuthError) Error() string {
	s := fmt.Sprintf("emporix: token request refused: %d %s", e.Status, http.StatusText(e.Status))
	if e.Code != "" {
		s += " (" + e.Code + ")"
	}
	return s + "; check client id, client secret, tenant and scopes"
}

// IsNotFound reports whether err is (or wraps) an API 404.
func IsNotFound(err error) bool { return StatusOf(err) == http.StatusNotFound }

// IsConflict reports whether err is (or wraps) an API 409.
func IsConflict(err error) bool { return StatusOf(err) == http.StatusConflict }

// StatusOf returns the HTTP status of the APIError in err's chain, or 0.
func StatusOf(err error) int {
	if ae, ok := errors.AsType[*APIError](err); ok {
		return ae.Status
	}
	return 0
}

// errorBody covers both shapes: the service's ErrorMessage and the gateway's
// Apigee-style fault.
type errorBody struct {
	Status   int           `json:"status"`
	Type     string        `json:"type"`
	Message  string        `json:"message"`
	MoreInfo string        `json:"moreInfo"`
	Details  []ErrorDetail `json:"details"`
	Fault    *struct {
		FaultString string `json:"faultstring"`
		Detail      struct {
			ErrorCode string `json:"errorcode"`
		} `json:"detail"`
	} `json:"fault"`
}

// maxErrorExcerpt bounds how much of a non-JSON error body ends up in a message.
const maxErrorExcerpt = 200

// decodeError builds an APIError from a status and (already size-limited) body.
func decodeError(method, path string, status int, body []byte) *APIError {
	e := &APIError{Status: status, Method: method, Path: path}
	var eb errorBody
	if err := json.Unmarshal(body, &eb); err == nil {
		switch {
		case eb.Fault != nil:
			e.Type = eb.Fault.Detail.ErrorCode
			e.Message = eb.Fault.FaultString
			return e
		case eb.Message != "" || eb.Type != "" || len(eb.Details) > 0:
			e.Type, e.Message, e.MoreInfo, e.Details = eb.Type, eb.Message, eb.MoreInfo, eb.Details
			return e
		}
	}
	e.Message = excerpt(body)
	return e
}

// excerpt returns a single-line, bounded, valid-UTF-8 prefix of a raw body.
func excerpt(body []byte) string {
	s := strings.TrimSpace(string(body))
	if len(s) > maxErrorExcerpt {
		s = s[:maxErrorExcerpt]
		for !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
		s += "…"
	}
	s = strings.ToValidUTF8(s, "")
	return strings.Join(strings.Fields(s), " ")
}

// isTokenFault reports whether a 401 body says the bearer token itself is
// expired or invalid (as opposed to e.g. a missing scope), i.e. renewing helps.
func isTokenFault(body []byte) bool {
	var eb errorBody
	if json.Unmarshal(body, &eb) != nil || eb.Fault == nil {
		return false
	}
	fs := strings.ToLower(eb.Fault.FaultString)
	code := strings.ToLower(eb.Fault.Detail.ErrorCode)
	return strings.Contains(fs, "access token expired") || strings.Contains(fs, "invalid access token") ||
		strings.Contains(code, "access_token_expired") || strings.Contains(code, "invalidaccesstoken")
}
