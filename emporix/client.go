package emporix

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// Defaults applied by New for zero Config fields.
const (
	DefaultBaseURL       = "https://api.emporix.io"
	DefaultMaxRetries    = 5
	DefaultRetryInitial  = 500 * time.Millisecond
	DefaultRetryMax      = 30 * time.Second
	DefaultRetryAfterMax = 30 * time.Second
	DefaultTimeout       = 60 * time.Second
	// DefaultConnectTimeout bounds opening a connection (TCP and TLS), and
	// DefaultResponseHeaderTimeout waiting for the answer to begin: a dead or
	// black-holed server is noticed long before DefaultTimeout.
	DefaultConnectTimeout        = 10 * time.Second
	DefaultResponseHeaderTimeout = 20 * time.Second
	// The client gives up on the server (ErrServerUnreachable) after
	// DefaultBreakerFailures consecutive connection failures or timeouts
	// spread over at least DefaultBreakerSpan.
	DefaultBreakerFailures = 3
	DefaultBreakerSpan     = 15 * time.Second
)

// Body size limits: the API documents a 10 MB response cap.
const (
	maxResponseBody = 16 << 20
	maxErrorBody    = 64 << 10
)

// Config configures a Client.
type Config struct {
	BaseURL      string // e.g. https://api.emporix.io; may include a path prefix
	Tenant       string
	ClientID     string
	ClientSecret string   // never appears in errors or logs
	Scopes       []string // nil = DefaultScopes(); an empty non-nil slice requests all of the client's scopes
	// HTTPClient supplies the base transport and the overall timeout of one
	// attempt (default DefaultTimeout). Without a Transport, a clone of
	// http.DefaultTransport with ConnectTimeout and ResponseHeaderTimeout is
	// used. Redirects are never followed.
	HTTPClient            *http.Client
	ConnectTimeout        time.Duration // default DefaultConnectTimeout
	ResponseHeaderTimeout time.Duration // default DefaultResponseHeaderTimeout
	// BreakerFailures and BreakerSpan set when the client gives up on an
	// unreachable server (defaults DefaultBreakerFailures and
	// DefaultBreakerSpan); BreakerFailures < 0 never gives up.
	BreakerFailures int
	BreakerSpan     time.Duration
	Limiter         Limiter // shared rate limiter; nil = unlimited
	// MaxRetries is the number of retries after the first attempt on
	// 429/502/503/504/network errors; 0 = none (DefaultMaxRetries is the
	// command line's default).
	MaxRetries   int
	RetryInitial time.Duration // first backoff interval (default 500 ms)
	RetryMax     time.Duration // backoff interval cap (default 30 s)
	// RetryAfterMax caps the wait for a server's Retry-After (default 30 s).
	RetryAfterMax time.Duration
	// RetryAfterGiveUp: a Retry-After longer than this is not waited for or
	// retried: the call fails at once with ErrRetryAfterTooLong and so does
	// every later call (the run aborts, resumable). Default
	// DefaultRetryAfterMax; tests shrink RetryAfterMax but keep this.
	RetryAfterGiveUp time.Duration
	Logger           *slog.Logger // optional debug log: method, path, status, attempt
}

// Client talks to the Emporix Customer Service of one tenant. It is safe for
// concurrent use.
type Client struct {
	base   string // BaseURL without trailing slash
	prefix string // base + /customer/<tenant>
	tenant string
	http   *http.Client
	// timeout bounds one attempt, answer read included (0 = none). It is the
	// attempt's context deadline, not http.Client.Timeout: around our
	// RoundTripper that costs two goroutines, a timer and a channel per
	// request (net/http's legacy cancellation).
	timeout    time.Duration
	log        *slog.Logger
	maxRetries int
	retryInit  time.Duration
	retryMax   time.Duration
	raMax      time.Duration
	raGiveUp   time.Duration
	raUnit     time.Duration // one Retry-After second; tests shrink it
	stats      counters
	brk        *breaker
	onRetry    func(err error, wait time.Duration) // test hook
}

type counters struct {
	requests, retries, rateLimited, authRenewals atomic.Int64
}

// Stats are cumulative counters of a Client.
type Stats struct {
	Requests     int64 // HTTP attempts to the API, including retries (token requests excluded)
	Retries      int64 // attempts repeated by the retry policy
	RateLimited  int64 // 429 responses seen
	AuthRenewals int64 // tokens renewed after a gateway 401
}

// Stats returns a snapshot of the client's counters.
func (c *Client) Stats() Stats {
	return Stats{
		Requests:     c.stats.requests.Load(),
		Retries:      c.stats.retries.Load(),
		RateLimited:  c.stats.rateLimited.Load(),
		AuthRenewals: c.stats.authRenewals.Load(),
	}
}

var tenantRE = regexp.MustCompile(`^[a-z][a-z0-9]{2,15}$`)

// New validates cfg and returns a Client. It does not contact the server.
func New(cfg Config) (*Client, error) {
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	u, err := url.Parse(cfg.BaseURL)
	if err != nil {
		// url.Error quotes the whole URL, password included.
		if ue, ok := errors.AsType[*url.Error](err); ok {
			err = ue.Err
		}
		return nil, fmt.Errorf("emporix: invalid base URL %q: %w", RedactURL(cfg.BaseURL), err)
	}
	switch {
	case u.Host == "" || u.Opaque != "":
		return nil, fmt.Errorf("emporix: base URL %q has no host", RedactURL(cfg.BaseURL))
	case u.User != nil || u.RawQuery != "" || u.Fragment != "":
		return nil, errors.New("emporix: base URL must not contain credentials, query or fragment")
	case u.Scheme == "https":
	case u.Scheme == "http":
		if !isLoopback(u.Hostname()) {
			return nil, fmt.Errorf("emporix: refusing plain http:// to non-loopback host %q (use https)", u.Hostname())
		}
	default:
		return nil, fmt.Errorf("emporix: base URL scheme %q not supported", u.Scheme)
	}
	if !tenantRE.MatchString(cfg.Tenant) {
		return nil, fmt.Errorf("emporix: invalid tenant %q (want ^[a-z][a-z0-9]+$, 3-16 chars)", cfg.Tenant)
	}
	if cfg.ClientID == "" || cfg.ClientSecret == "" {
		return nil, errors.New("emporix: client id and client secret are required")
	}
	if cfg.Scopes == nil {
		cfg.Scopes = DefaultScopes()
	}
	c := &Client{
		base:       strings.TrimRight(u.String(), "/"),
		tenant:     cfg.Tenant,
		log:        cfg.Logger,
		maxRetries: max(cfg.MaxRetries, 0),
		retryInit:  positiveOr(cfg.RetryInitial, DefaultRetryInitial),
		retryMax:   positiveOr(cfg.RetryMax, DefaultRetryMax),
		raMax:      positiveOr(cfg.RetryAfterMax, DefaultRetryAfterMax),
		raGiveUp:   positiveOr(cfg.RetryAfterGiveUp, DefaultRetryAfterMax),
		raUnit:     time.Second,
	}
	c.brk = &breaker{failures: cfg.BreakerFailures, span: cfg.BreakerSpan, now: time.Now}
	if c.brk.failures == 0 {
		c.brk.failures = DefaultBreakerFailures
	}
	if c.brk.span <= 0 {
		c.brk.span = DefaultBreakerSpan
	}
	c.prefix = c.base + "/customer/" + url.PathEscape(cfg.Tenant)

	base := cfg.HTTPClient
	if base == nil {
		base = &http.Client{Timeout: DefaultTimeout}
	}
	next := base.Transport
	if next == nil {
		next = defaultTransport(cfg)
	}
	tokens := newTokenCache(clientcredentials.Config{
		ClientID:     cfg.ClientID,
		ClientSecret: cfg.ClientSecret,
		TokenURL:     c.base + "/oauth/token",
		Scopes:       cfg.Scopes,
		AuthStyle:    oauth2.AuthStyleInParams,
	}, &http.Client{Transport: next, Timeout: base.Timeout, CheckRedirect: noRedirect})
	c.timeout = base.Timeout
	c.http = &http.Client{
		Transport: &authTransport{tokens: tokens, stats: &c.stats, limiter: cfg.Limiter, next: &meteredTransport{
			next: next, limiter: cfg.Limiter, stats: &c.stats, retryAfter: c.retryAfter,
		}},
		// A redirect would carry the bearer token to wherever it points.
		CheckRedirect: noRedirect,
	}
	return c, nil
}

// unwrapURLError drops *url.Error's "Get <url>:" prefix: the call names the path.
func unwrapURLError(err error) error {
	if ue, ok := errors.AsType[*url.Error](err); ok {
		return ue.Err
	}
	return err
}

// defaultTransport is http.DefaultTransport with the client's timeouts.
func defaultTransport(cfg Config) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	// The default keeps 2 idle connections per host: with concurrent
	// workers most requests would pay for a new TCP+TLS connection.
	t.MaxIdleConnsPerHost = 64
	connect := positiveOr(cfg.ConnectTimeout, DefaultConnectTimeout)
	t.DialContext = (&net.Dialer{Timeout: connect, KeepAlive: 30 * time.Second}).DialContext
	t.TLSHandshakeTimeout = connect
	t.ResponseHeaderTimeout = positiveOr(cfg.ResponseHeaderTimeout, DefaultResponseHeaderTimeout)
	return t
}

func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// positiveOr returns v, or def when v is not positive (unset).
func positiveOr(v, def time.Duration) time.Duration {
	if v > 0 {
		return v
	}
	return def
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// call describes one logical API call; the retry wrapper may send it several
// times, so the body is kept as bytes.
type call struct {
	method      string
	path        string // below /customer/<tenant>, segments already escaped
	query       url.Values
	body        []byte
	contentType string
	// idempotent calls are retried on 429/502/503/504/network errors;
	// others only when the request certainly was not processed.
	idempotent bool
	// goneOK: a 404 after an attempt whose outcome was unknown means an
	// earlier attempt already deleted the resource.
	goneOK bool
	// redact scrubs credentials the body carries from error answers before
	// anything (errors, retry and debug logs) can see them; nil = none.
	redact *strings.Replacer
}

type result struct {
	status int
	header http.Header
	body   []byte
}

func (c *Client) newCall(method, path string) *call {
	return &call{method: method, path: path, idempotent: method != http.MethodPost}
}

func (k *call) withJSON(v any) (*call, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("%s %s: encoding body: %w", k.method, k.path, err)
	}
	k.body, k.contentType = b, "application/json"
	return k, nil
}

// attempt sends the call once. It returns a result for 2xx (and a tolerated
// 404), otherwise an error classified for the retry wrapper.
func (c *Client) attempt(ctx context.Context, k *call, n int, maybeApplied *bool) (*result, error) {
	u := c.prefix + k.path
	if len(k.query) > 0 {
		u += "?" + k.query.Encode()
	}
	var body io.Reader
	if k.body != nil {
		body = bytes.NewReader(k.body) // sets GetBody, so auth renewal can replay it
	}
	// The attempt's own deadline; ctx stays the caller's, so that an
	// attempt timing out is a timeout (retryable), not the caller cancelling.
	actx := ctx
	if c.timeout > 0 {
		var cancel context.CancelFunc
		actx, cancel = context.WithTimeoutCause(ctx, c.timeout, &attemptTimeoutError{c.timeout})
		defer cancel()
	}
	req, err := http.NewRequestWithContext(actx, k.method, u, body)
	if err != nil {
		return nil, permanent(fmt.Errorf("%s %s: %w", k.method, k.path, err))
	}
	req.Header.Set("Accept", "application/json")
	if k.contentType != "" {
		req.Header.Set("Content-Type", k.contentType)
	}
	if err := c.brk.check(); err != nil {
		return nil, permanent(fmt.Errorf("%s %s: %w", k.method, k.path, err))
	}
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		c.debug(ctx, k, n, 0, time.Since(start), err)
		cerr := c.classifyTransport(ctx, k, err, maybeApplied)
		if isConnFailure(ctx, err) {
			if open := c.brk.failed(unwrapURLError(err)); open != nil {
				if errors.Is(cerr, ErrOutcomeUnknown) {
					// The last attempt may still have been applied: callers look it up on resume.
					return nil, permanent(fmt.Errorf("%s %s: %w; %w", k.method, k.path, open, ErrOutcomeUnknown))
				}
				return nil, permanent(fmt.Errorf("%s %s: %w", k.method, k.path, open))
			}
		}
		return nil, cerr
	}
	c.brk.succeeded()
	defer resp.Body.Close()
	limit := int64(maxResponseBody)
	if resp.StatusCode >= 300 {
		limit = maxErrorBody
	}
	b, rerr := io.ReadAll(io.LimitReader(resp.Body, limit))
	c.debug(ctx, k, n, resp.StatusCode, time.Since(start), rerr)
	if rerr != nil {
		// Status known but body lost: for a 2xx write the outcome is applied,
		// yet e.g. the created id is gone.
		return nil, c.classifyTransport(ctx, k, rerr, maybeApplied)
	}
	st := resp.StatusCode
	if st >= 200 && st < 300 {
		return &result{status: st, header: resp.Header, body: b}, nil
	}
	if st == http.StatusNotFound && k.goneOK && *maybeApplied {
		return &result{status: st, header: resp.Header}, nil
	}
	ae := decodeError(k.method, k.path, st, b)
	redactAPIError(ae, k.redact)
	switch st {
	case http.StatusTooManyRequests:
		return nil, c.retryLater(k, ae, resp.Header)
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		*maybeApplied = true
		if !k.idempotent {
			return nil, permanent(fmt.Errorf("%w: %w", ErrOutcomeUnknown, ae))
		}
		return nil, c.retryLater(k, ae, resp.Header)
	}
	return nil, permanent(ae)
}

// attemptTimeoutError is the cause of an attempt that outlived the client's
// timeout. Like http.Client.Timeout's error it is a timeout and matches
// context.DeadlineExceeded.
type attemptTimeoutError struct{ d time.Duration }

func (e *attemptTimeoutError) Error() string {
	return fmt.Sprintf("context deadline exceeded (no complete answer within the client timeout of %s)", e.d)
}
func (e *attemptTimeoutError) Timeout() bool        { return true }
func (e *attemptTimeoutError) Is(target error) bool { return target == context.DeadlineExceeded }

// retryLater classifies a retryable answer by its Retry-After: waited for
// (capped at RetryAfterMax) up to RetryAfterGiveUp; beyond that, retrying
// sooner than asked would defy the server and waiting would stall the run
// for what may be hours, so the breaker opens and every call fails fast.
func (c *Client) retryLater(k *call, ae *APIError, h http.Header) error {
	ae.RetryAfter = c.rawRetryAfter(h)
	if asked := c.scaledRetryAfter(h); asked > c.raGiveUp {
		open := c.brk.trip(&retryAfterTooLongError{asked: ae.RetryAfter, limit: c.raGiveUp, status: ae.Status})
		return permanent(fmt.Errorf("%s %s: %w", k.method, k.path, open))
	}
	return withRetryAfter(ae, c.retryAfter(h))
}

// classifyTransport decides whether a failed round trip may be retried.
func (c *Client) classifyTransport(ctx context.Context, k *call, err error, maybeApplied *bool) error {
	if ue, ok := errors.AsType[*url.Error](err); ok {
		err = ue.Err // the URL is in k already; keep messages short
	}
	wrapped := fmt.Errorf("%s %s: %w", k.method, k.path, err)
	if cerr := context.Cause(ctx); cerr != nil {
		if !k.idempotent && !notSent(err) {
			return permanent(fmt.Errorf("%w: %w", ErrOutcomeUnknown, wrapped))
		}
		return permanent(wrapped)
	}
	if _, ok := errors.AsType[*AuthError](err); ok {
		return permanent(wrapped)
	}
	if _, ok := errors.AsType[*limiterError](err); ok {
		return permanent(wrapped)
	}
	if notSent(err) {
		return wrapped
	}
	*maybeApplied = true
	if !k.idempotent {
		return permanent(fmt.Errorf("%w: %w", ErrOutcomeUnknown, wrapped))
	}
	return wrapped
}

// notSent reports whether err proves the request never reached the server:
// the token could not be obtained, or the connection could not be opened.
func notSent(err error) bool {
	if _, ok := errors.AsType[*tokenError](err); ok {
		return true
	}
	if _, ok := errors.AsType[*AuthError](err); ok {
		return true
	}
	if _, ok := errors.AsType[*limiterError](err); ok {
		return true
	}
	if oe, ok := errors.AsType[*net.OpError](err); ok && oe.Op == "dial" {
		return true
	}
	if _, ok := errors.AsType[*net.DNSError](err); ok {
		return true
	}
	return false
}

func (c *Client) debug(ctx context.Context, k *call, attempt, status int, d time.Duration, err error) {
	if c.log == nil || !c.log.Enabled(ctx, slog.LevelDebug) {
		return
	}
	attrs := []any{"method", k.method, "path", k.path, "attempt", attempt, "status", status, "duration", d}
	if err != nil {
		attrs = append(attrs, "error", err.Error())
	}
	c.log.DebugContext(ctx, "emporix request", attrs...)
}

// decode unmarshals a success body into v.
func decode(k *call, r *result, v any) error {
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.UseNumber() // mixin numbers keep their digits
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%s %s: decoding %d response: %w", k.method, k.path, r.status, err)
	}
	if err := keepExtra(r.body, v); err != nil {
		return fmt.Errorf("%s %s: decoding %d response: %w", k.method, k.path, r.status, err)
	}
	return nil
}
