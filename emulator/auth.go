package emulator

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
)

type token struct {
	tenant  string
	scopes  []string
	expires time.Time
}

// OAuthError is the token endpoint's error body. Neither the spec nor the docs
// give one (API-NOTES Q6); the emulator uses RFC 6749 §5.2, which is what
// golang.org/x/oauth2 parses.
type OAuthError struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description,omitempty"`
}

// tokenResponse mirrors the spec's AccessToken example, field for field.
type tokenResponse struct {
	RefreshTokenExpiresIn int    `json:"refresh_token_expires_in"`
	RefreshToken          string `json:"refresh_token"`
	SessionIdleTime       int    `json:"session_idle_time"`
	TokenType             string `json:"token_type"`
	AccessToken           string `json:"access_token"`
	ExpiresIn             int    `json:"expires_in"`
	Scope                 string `json:"scope"`
}

func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeJSON(w, http.StatusMethodNotAllowed, OAuthError{"invalid_request", "Use POST."})
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		writeJSON(w, http.StatusBadRequest, OAuthError{"invalid_request",
			"Content-Type must be application/x-www-form-urlencoded."})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, OAuthError{"invalid_request", "Malformed form body."})
		return
	}
	form := r.PostForm
	id, secret := form.Get("client_id"), form.Get("client_secret")
	basic := false
	if u, p, ok := r.BasicAuth(); ok {
		basic = true
		// RFC 6749 §2.3.1: Basic credentials are form-urlencoded first.
		if v, err := url.QueryUnescape(u); err == nil {
			u = v
		}
		if v, err := url.QueryUnescape(p); err == nil {
			p = v
		}
		id, secret = u, p
	}
	if subtle.ConstantTimeCompare([]byte(id), []byte(s.cfg.ClientID)) != 1 ||
		subtle.ConstantTimeCompare([]byte(secret), []byte(s.cfg.ClientSecret)) != 1 {
		if basic {
			w.Header().Set("WWW-Authenticate", `Basic realm="oauth"`)
		}
		writeJSON(w, http.StatusUnauthorized, OAuthError{"invalid_client", "Client authentication failed."})
		return
	}
	if gt := form.Get("grant_type"); gt != "client_credentials" {
		writeJSON(w, http.StatusBadRequest, OAuthError{"unsupported_grant_type",
			"Only grant_type=client_credentials is supported."})
		return
	}
	scopes := s.cfg.Scopes
	if req := strings.Fields(form.Get("scope")); len(req) > 0 {
		scopes = nil
		for _, sc := range req {
			if t, ok := strings.CutPrefix(sc, "tenant="); ok {
				// The spec's example request names the tenant in the scope.
				if t != s.cfg.Tenant {
					writeJSON(w, http.StatusBadRequest, OAuthError{"invalid_scope", "Unknown tenant in scope."})
					return
				}
				continue
			}
			if !slices.Contains(s.cfg.Scopes, sc) {
				writeJSON(w, http.StatusBadRequest, OAuthError{"invalid_scope",
					"Scope " + sc + " is not granted to this client."})
				return
			}
			if !slices.Contains(scopes, sc) {
				scopes = append(scopes, sc)
			}
		}
		if scopes == nil {
			scopes = s.cfg.Scopes // only "tenant=..." given: all granted scopes
		}
	}
	access := randomToken()
	s.mu.Lock()
	s.tokens[access] = &token{tenant: s.cfg.Tenant, scopes: slices.Clone(scopes), expires: s.now().Add(s.cfg.TokenTTL)}
	s.mu.Unlock()
	s.tokensIssued.Add(1)
	writeJSON(w, http.StatusOK, tokenResponse{
		RefreshToken:    "",
		SessionIdleTime: 120,
		TokenType:       "Bearer",
		AccessToken:     access,
		ExpiresIn:       max(1, int(s.cfg.TokenTTL/time.Second)),
		Scope:           strings.TrimSpace(strings.Join(scopes, " ") + " tenant=" + s.cfg.Tenant),
	})
}

// randomToken returns 32 URL-safe characters like the spec's example token.
// Tokens come from crypto/rand, not the seeded source: they are credentials.
func randomToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b) // never fails (crypto/rand panics instead)
	return base64.RawURLEncoding.EncodeToString(b)
}

// ExpireTokens makes every token issued so far expired (test hook).
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	past := s.now().Add(-time.Second)
	for _, t := range s.tokens {
		t.expires = past
	}
}

// gatewayFault is the Apigee-style 401 body.
type gatewayFault struct {
	Fault struct {
		FaultString string `json:"faultstring"`
		Detail      struct {
			ErrorCode string `json:"errorcode"`
		} `json:"detail"`
	} `json:"fault"`
}

func writeFault(w http.ResponseWriter, faultString, errorCode string) {
	var f gatewayFault
	f.Fault.FaultString = faultString
	f.Fault.Detail.ErrorCode = errorCode
	writeJSON(w, http.StatusUnauthorized, f)
}

var tenantRE = regexp.MustCompile(`^[a-z][a-z0-9]+$`)

// authorize checks the bearer token, the tenant in the path and the scope, in
// the gateway's order: authentication (401), tenant syntax (400), tenant and
// scope authorisation (403). An empty scope skips the scope check (unknown
// routes, which then get 404/405). It answers and returns false on failure.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request, tenant, scope string) bool {
	auth := r.Header.Get("Authorization")
	bearer, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok {
		bearer, ok = strings.CutPrefix(auth, "bearer ")
	}
	s.mu.Lock()
	tok := s.tokens[strings.TrimSpace(bearer)]
	var t token
	if tok != nil {
		t = *tok
	}
	s.mu.Unlock()
	switch {
	case !ok || tok == nil:
		writeFault(w, "Invalid access token", "oauth.v2.InvalidAccessToken")
		return false
	case !s.now().Before(t.expires):
		writeFault(w, "Access Token expired", "keymanagement.service.access_token_expired")
		return false
	}
	if len(tenant) < 3 || len(tenant) > 16 || !tenantRE.MatchString(tenant) {
		writeError(w, http.StatusBadRequest, "bad_request",
			"The tenant information provided with the request is not valid.", nil)
		return false
	}
	if tenant != t.tenant || scope != "" && !slices.Contains(t.scopes, scope) {
		// strict: the *_own scopes do not stand in for the seller scopes.
		writeError(w, http.StatusForbidden, "Forbidden", "User not authorized.", nil)
		return false
	}
	return true
}
