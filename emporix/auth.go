package emporix

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// tokenCache fetches service tokens with client credentials and caches one.
// Unlike oauth2.ReuseTokenSource it can drop a token the gateway rejected
// before its advertised expiry. Concurrent callers share one fetch.
type tokenCache struct {
	conf   clientcredentials.Config
	base   *http.Client // used for token requests (no auth, no limiter)
	secret string       // only for scrubbing error messages
	sem    chan struct{}
	tok    *oauth2.Token // guarded by sem
}

func newTokenCache(conf clientcredentials.Config, base *http.Client) *tokenCache {
	return &tokenCache{conf: conf, base: base, secret: conf.ClientSecret, sem: make(chan struct{}, 1)}
}

func (tc *tokenCache) lock(ctx context.Context) error {
	select {
	case tc.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

func (tc *tokenCache) unlock() { <-tc.sem }

// token returns the cached token or fetches a new one.
func (tc *tokenCache) token(ctx context.Context) (*oauth2.Token, error) {
	if err := tc.lock(ctx); err != nil {
		return nil, err
	}
	defer tc.unlock()
	if tc.tok.Valid() {
		return tc.tok, nil
	}
	tok, err := tc.conf.Token(context.WithValue(ctx, oauth2.HTTPClient, tc.base))
	if err != nil {
		return nil, tc.sanitize(ctx, err)
	}
	tc.tok = tok
	return tok, nil
}

// invalidate drops old if it is still the cached token (another caller may
// already have replaced it).
func (tc *tokenCache) invalidate(ctx context.Context, old *oauth2.Token) error {
	if err := tc.lock(ctx); err != nil {
		return err
	}
	if tc.tok == old {
		tc.tok = nil
	}
	tc.unlock()
	return nil
}

var safeOAuthCode = regexp.MustCompile(`^[A-Za-z0-9_.\-]{1,64}$`)

// tokenError is a transient failure to obtain a token (network, 5xx, 429 at
// the token endpoint). The API request itself was never sent, so it is safe
// to retry for every method.
type tokenError struct{ err error }

func (e *tokenError) Error() string { return "emporix: token request failed: " + e.err.Error() }
func (e *tokenError) Unwrap() error { return e.err }

// sanitize turns an oauth2 error into *AuthError (credentials refused) or
// *tokenError, never keeping the response body, which could echo the secret.
func (tc *tokenCache) sanitize(ctx context.Context, err error) error {
	if cerr := context.Cause(ctx); cerr != nil {
		return cerr
	}
	if re, ok := errors.AsType[*oauth2.RetrieveError](err); ok && re.Response != nil {
		st := re.Response.StatusCode
		code := re.ErrorCode
		if !safeOAuthCode.MatchString(code) || (tc.secret != "" && strings.Contains(code, tc.secret)) {
			code = ""
		}
		if st == http.StatusBadRequest || st == http.StatusUnauthorized || st == http.StatusForbidden {
			return &AuthError{Status: st, Code: code}
		}
		return &tokenError{err: fmt.Errorf("%d %s", st, http.StatusText(st))}
	}
	if ue, ok := errors.AsType[*url.Error](err); ok {
		// Network failure: the URL holds no secret (credentials go in the body).
		return &tokenError{err: ue}
	}
	// Anything else (unparsable 200 body, missing access_token): keep only a
	// generic description.
	return &tokenError{err: errors.New("invalid token response")}
}

// authTransport adds the bearer token and, on a gateway 401 that says the
// token is expired or invalid, renews it and replays the request once.
type authTransport struct {
	tokens *tokenCache
	next   http.RoundTripper
	stats  *counters
	// limiter is waited for before the token is taken, not after: a wait can
	// last seconds after a 429, long enough for a just-taken token to expire
	// on the way (a 401 on the replay too, which fails the whole run).
	limiter Limiter
}

func (t *authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	if t.limiter != nil {
		if err := t.limiter.Wait(ctx); err != nil {
			closeReqBody(req)
			return nil, &limiterError{err: err}
		}
	}
	tok, err := t.tokens.token(ctx)
	if err != nil {
		closeReqBody(req)
		return nil, err
	}
	resp, err := t.next.RoundTrip(withToken(req, tok))
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		return resp, err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("reading 401 body: %w", err)
	}
	if !isTokenFault(body) || req.GetBody == nil && req.Body != nil && req.Body != http.NoBody {
		resp.Body = io.NopCloser(bytes.NewReader(body))
		return resp, nil
	}
	if err := t.tokens.invalidate(ctx, tok); err != nil {
		return nil, err
	}
	tok, err = t.tokens.token(ctx)
	if err != nil {
		return nil, err
	}
	t.stats.authRenewals.Add(1)
	retry := req.Clone(ctx)
	if req.GetBody != nil {
		if retry.Body, err = req.GetBody(); err != nil {
			return nil, fmt.Errorf("replaying request body: %w", err)
		}
	}
	return t.next.RoundTrip(withToken(retry, tok))
}

// withToken returns a shallow copy of req with the Authorization header set
// (RoundTrippers must not modify the caller's request).
func withToken(req *http.Request, tok *oauth2.Token) *http.Request {
	r := req.Clone(req.Context()) // keeps req.Body
	r.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	return r
}

func closeReqBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}

// meteredTransport counts attempts and 429s and feeds 429s back to an
// adaptive limiter (authTransport does the waiting, before it takes a token).
type meteredTransport struct {
	next    http.RoundTripper
	limiter Limiter
	stats   *counters
	// retryAfter parses (and caps) a Retry-After header; 0 when absent.
	retryAfter func(http.Header) time.Duration
}

// limiterError is a failure of Limiter.Wait; the request was not sent.
type limiterError struct{ err error }

func (e *limiterError) Error() string { return "rate limiter: " + e.err.Error() }
func (e *limiterError) Unwrap() error { return e.err }

func (t *meteredTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	t.stats.requests.Add(1)
	resp, err := t.next.RoundTrip(req)
	switch {
	case err != nil:
	case resp.StatusCode == http.StatusTooManyRequests:
		t.stats.rateLimited.Add(1)
		if th, ok := t.limiter.(throttler); ok {
			th.Throttled(t.retryAfter(resp.Header))
		}
	default:
		if s, ok := t.limiter.(succeeder); ok {
			s.Succeeded()
		}
	}
	return resp, err
}
