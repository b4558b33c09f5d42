package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/emporix-import/emporix-import/emporix"
)

// Scopes the import needs; the import scopes only when passwords are migrated.
var (
	scopesAlways   = emporix.DefaultScopes()
	scopesPassword = []string{"customer.import_read", "customer.import_manage"}
)

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func (d *doctor) checkSettings() {
	o := d.opts
	c := checkResult{Name: "settings", Status: checkOK}
	secret, err := clientSecret(o.clientSecretFile, io.Discard)
	src := "env EMPORIX_CLIENT_SECRET"
	if o.clientSecretFile != "" {
		src = "file " + o.clientSecretFile
	}
	var missing []string
	switch {
	case err != nil:
		c.Status, c.Detail = checkFail, err.Error()
		c.Fix = "create the file (chmod 600) or fix client_secret_file in the profile"
		d.add(c)
		return
	case secret == "":
		missing = append(missing, "client secret (--client-secret-file, EMPORIX_CLIENT_SECRET or the profile's client_secret_file)")
	}
	if o.tenant == "" {
		missing = append(missing, "tenant (--tenant, EMPORIX_TENANT or the profile's tenant)")
	}
	if o.clientID == "" {
		missing = append(missing, "client id (--client-id, EMPORIX_CLIENT_ID or the profile's client_id)")
	}
	d.secret = secret
	if len(missing) > 0 {
		c.Status, c.Detail = checkFail, "missing: "+strings.Join(missing, "; ")
		c.Fix = "set them with flags, environment variables or a profile (see --profile)"
		d.add(c)
		return
	}
	c.Detail = fmt.Sprintf("tenant %s, client id %s, secret from %s", o.tenant, o.clientID, src)
	d.add(c)
}

func (d *doctor) checkURL() {
	c := checkResult{Name: "url", Status: checkFail}
	u, err := url.Parse(d.opts.apiURL)
	switch {
	case err != nil || u.Host == "":
		c.Detail = fmt.Sprintf("%q is not an absolute URL", emporix.RedactURL(d.opts.apiURL))
		c.Fix = "use e.g. --api-url https://api.emporix.io"
	case u.Scheme == "https":
		c.Status, c.Detail = checkOK, emporix.RedactURL(d.opts.apiURL)
	case u.Scheme == "http" && isLoopbackHost(u.Hostname()):
		c.Status, c.Detail = checkOK, emporix.RedactURL(d.opts.apiURL)+" (plain http: loopback only)"
	case u.Scheme == "http":
		c.Detail = fmt.Sprintf("plain http:// to %s would send the secret unencrypted", u.Hostname())
		c.Fix = "use https://; plain http is allowed only for loopback hosts (emulator)"
	default:
		c.Detail = fmt.Sprintf("scheme %q not supported", u.Scheme)
		c.Fix = "use https://"
	}
	d.urlOK = c.Status == checkOK
	d.add(c)
}

func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// checkReach resolves, connects and (for https) shakes hands with the API
// host directly, so a failure says which layer is broken.
func (d *doctor) checkReach(ctx context.Context) {
	c := checkResult{Name: "reach", Status: checkFail}
	if !d.urlOK {
		d.add(checkResult{Name: "reach", Status: checkSkip, Detail: "needs a valid URL"})
		return
	}
	u, _ := url.Parse(d.opts.apiURL)
	if proxy, _ := http.ProxyFromEnvironment(&http.Request{URL: u}); proxy != nil {
		d.add(checkResult{Name: "reach", Status: checkWarn,
			Detail: "through proxy " + proxy.Redacted() + ": direct DNS/TCP/TLS not checked"})
		d.urlOK = true
		return
	}
	ctx, cancel := context.WithTimeout(ctx, d.opts.timeout)
	defer cancel()
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = map[string]string{"https": "443", "http": "80"}[u.Scheme]
	}
	steps, err := dialSteps(ctx, u.Scheme, host, port)
	c.Detail = strings.Join(steps.parts, ", ")
	c.LatencyMS = ms(steps.total)
	if err != nil {
		c.Detail = strings.TrimPrefix(c.Detail+", ", ", ") + err.Error()
		c.Fix = steps.fix
		d.urlOK = false
	} else {
		c.Status = checkOK
	}
	d.add(c)
}

type dialResult struct {
	parts []string
	total time.Duration
	fix   string
}

func dialSteps(ctx context.Context, scheme, host, port string) (dialResult, error) {
	var r dialResult
	start := time.Now()
	if net.ParseIP(host) == nil {
		t := time.Now()
		addrs, err := net.DefaultResolver.LookupHost(ctx, host)
		if err != nil {
			r.fix = "check the host name and the machine's DNS resolver"
			return r, fmt.Errorf("DNS: %w", err)
		}
		r.parts = append(r.parts, fmt.Sprintf("DNS %s → %s (%.0f ms)", host, addrs[0], ms(time.Since(t))))
	}
	t := time.Now()
	// Dial the name, not addrs[0]: the dialer falls back between the
	// addresses (IPv6/IPv4) the way the HTTP client will.
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", net.JoinHostPort(host, port))
	if err != nil {
		r.fix = "check firewalls and egress rules for " + net.JoinHostPort(host, port)
		return r, fmt.Errorf("TCP: %w", err)
	}
	defer func() { _ = conn.Close() }()
	r.parts = append(r.parts, fmt.Sprintf("TCP %.0f ms", ms(time.Since(t))))
	if scheme == "https" {
		t = time.Now()
		tc := tls.Client(conn, &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12})
		if err := tc.HandshakeContext(ctx); err != nil {
			r.fix = "check the system CA certificates and any TLS-intercepting proxy"
			return r, fmt.Errorf("TLS: %w", err)
		}
		r.parts = append(r.parts, fmt.Sprintf("TLS %.0f ms", ms(time.Since(t))))
	}
	r.total = time.Since(start)
	return r, nil
}

// checkToken asks for a token with no scope parameter, i.e. for every scope
// the client holds, so the answer's `scope` lists what it may do.
func (d *doctor) checkToken(ctx context.Context) {
	if !d.urlOK || d.secret == "" || d.opts.clientID == "" {
		d.add(checkResult{Name: "token", Status: checkSkip, Detail: "needs the URL, a reachable host, the client id and secret"})
		return
	}
	cc := clientcredentials.Config{
		ClientID:     d.opts.clientID,
		ClientSecret: d.secret,
		TokenURL:     strings.TrimRight(d.opts.apiURL, "/") + "/oauth/token",
		AuthStyle:    oauth2.AuthStyleInParams,
	}
	start := time.Now()
	tok, err := cc.Token(context.WithValue(ctx, oauth2.HTTPClient, d.httpc))
	c := checkResult{Name: "token", LatencyMS: ms(time.Since(start))}
	if err != nil {
		c.Status = checkFail
		c.Detail, c.Fix = tokenFailure(err)
		d.add(c)
		return
	}
	if s, ok := tok.Extra("scope").(string); ok {
		d.scopes = strings.Fields(s)
	}
	// The scope list ends with tenant=<tenant>: an API key of another tenant
	// gets a token but every call is refused.
	for _, s := range d.scopes {
		if t, ok := strings.CutPrefix(s, "tenant="); ok && t != d.opts.tenant {
			c.Status = checkFail
			c.Detail = fmt.Sprintf("the client belongs to tenant %q, not %q", t, d.opts.tenant)
			c.Fix = "set the tenant to " + t + ", or use the API key of tenant " + d.opts.tenant
			d.add(c)
			return
		}
	}
	d.tokenOK = true
	c.Status = checkOK
	c.Detail = fmt.Sprintf("granted to client %s", d.opts.clientID)
	if !tok.Expiry.IsZero() {
		c.Detail += fmt.Sprintf(", expires in %s", time.Until(tok.Expiry).Round(time.Minute))
	}
	d.add(c)
}

// tokenFailure explains a refused token request without the response body
// (it could echo credentials) and without the secret.
func tokenFailure(err error) (detail, fix string) {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		return "token request failed: " + strings.ReplaceAll(err.Error(), "oauth2: ", ""),
			"check that the API URL points at Emporix and the host is reachable"
	}
	code := re.ErrorCode
	status := 0
	if re.Response != nil {
		status = re.Response.StatusCode
	}
	detail = fmt.Sprintf("refused: %d %s", status, http.StatusText(status))
	if code != "" {
		detail += " (" + code + ")"
	}
	switch {
	case code == "invalid_client" || status == http.StatusUnauthorized:
		return "client id or client secret refused: " + strings.TrimPrefix(detail, "refused: "),
			"check client_id and the secret (file or EMPORIX_CLIENT_SECRET); regenerate the API key in Emporix if it was rotated"
	case code == "invalid_scope":
		return detail, "assign the customer scopes to the API key in Emporix"
	case status == http.StatusNotFound:
		return detail, "the API URL has no /oauth/token: check --api-url"
	}
	return detail, "retry later; if it persists check the API URL and the API key"
}

// checkScopes lists each needed scope against the token's scopes and confirms
// the read scope with one GET (pageSize=1). The manage scopes are not
// exercised: that would take a write.
func (d *doctor) checkScopes(ctx context.Context) {
	need := slices.Clone(scopesAlways)
	if d.passwords {
		need = append(need, scopesPassword...)
	}
	if !d.tokenOK {
		for _, s := range need {
			d.add(checkResult{Name: "scope", Status: checkSkip, Detail: s + ": needs a token"})
		}
		return
	}
	readTime, readErr := d.confirmRead(ctx)
	for _, s := range need {
		d.add(d.scopeLine(s, readErr, readTime))
	}
}

func (d *doctor) scopeLine(s string, readErr error, readTime time.Duration) checkResult {
	c := checkResult{Name: "scope", Status: checkOK, Detail: s}
	granted := slices.Contains(d.scopes, s)
	fix := "assign " + s + " to the API key (Emporix Developer Portal → API keys)"
	switch {
	case s == scopesAlways[0] && readErr != nil:
		c.Status, c.Detail = checkFail, fmt.Sprintf("%s: a read failed: %v", s, readErr)
		c.Fix = fix + "; check the tenant"
	case s == scopesAlways[0]:
		c.Detail, c.LatencyMS = s+": granted, confirmed by a read", ms(readTime)
	case d.scopes == nil:
		c.Status, c.Detail = checkWarn, s+": the token response names no scopes; cannot confirm without a write"
	case !granted:
		c.Status, c.Detail, c.Fix = checkFail, s+": not granted to this client", fix
	default:
		c.Detail = s + ": granted (not exercised: doctor never writes)"
	}
	return c
}

// confirmRead is the one harmless request that proves token, tenant and read
// scope together.
func (d *doctor) confirmRead(ctx context.Context) (time.Duration, error) {
	cl, err := emporix.New(emporix.Config{
		BaseURL: d.opts.apiURL, Tenant: d.opts.tenant, ClientID: d.opts.clientID, ClientSecret: d.secret,
		Scopes: []string{}, MaxRetries: 0, HTTPClient: d.httpc,
	})
	if err != nil {
		return 0, err
	}
	d.client = cl
	start := time.Now()
	_, err = cl.ListCustomers(ctx, emporix.ListOptions{PageSize: 1, PageNumber: 1})
	return time.Since(start), err
}

// checkRetention applies only when the mapping maps passwords: legacy hashes
// can only be imported inside an active password-migration retention window.
// Reading it is harmless (GET, customer.import_read).
func (d *doctor) checkRetention(ctx context.Context) {
	if !d.passwords {
		return
	}
	c := checkResult{Name: "retention", Status: checkFail}
	if d.client == nil {
		d.add(checkResult{Name: "retention", Status: checkSkip, Detail: "needs a token"})
		return
	}
	start := time.Now()
	r, err := d.client.GetRetention(ctx)
	c.LatencyMS = ms(time.Since(start))
	today := time.Now().UTC().Format(emporix.DateLayout)
	switch {
	case errors.Is(err, emporix.ErrRetentionNotSet):
		c.Detail = "no password-migration retention window: customers with legacy password hashes cannot be imported"
		c.Fix = "emporix-import password-migration set --end YYYY-MM-DD"
	case err != nil:
		c.Detail = "cannot read the retention window: " + err.Error()
		c.Fix = "assign customer.import_read to the API key"
	case r.RetentionEndDate < today: // YYYY-MM-DD compares as text
		c.Detail = "the retention window ended on " + r.RetentionEndDate
		c.Fix = "emporix-import password-migration set --end YYYY-MM-DD (a future date)"
	default:
		c.Status, c.Detail = checkOK, "password-migration window open until "+r.RetentionEndDate
	}
	d.add(c)
}
