package bench

import (
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"time"

	"github.com/emporix-import/emporix-import/emporix"
	"github.com/emporix-import/emporix-import/emulator"
)

// Tenant is an emulated tenant served over loopback TCP, counting the
// connections clients open (connection reuse matters at hundreds of req/s).
type Tenant struct {
	*emulator.Server
	URL   string
	hs    *httptest.Server
	conns atomic.Int64
}

// NewTenant starts an emulator with cfg; Close stops it.
func NewTenant(cfg emulator.Config) *Tenant {
	return newTenantWith(cfg, nil)
}

// newTenantWith is NewTenant with the emulator's handler wrapped (nil = not),
// for diagnostics that watch every request.
func newTenantWith(cfg emulator.Config, wrap func(http.Handler) http.Handler) *Tenant {
	t := &Tenant{Server: emulator.New(cfg)}
	var h http.Handler = t.Server
	if wrap != nil {
		h = wrap(h)
	}
	t.hs = httptest.NewUnstartedServer(h)
	t.hs.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			t.conns.Add(1)
		}
	}
	t.hs.Start()
	t.URL = t.hs.URL
	return t
}

// Close stops the server.
func (t *Tenant) Close() { t.hs.Close() }

// Conns returns the number of TCP connections accepted so far.
func (t *Tenant) Conns() int64 { return t.conns.Load() }

// ClientOptions shape the API client of a run.
type ClientOptions struct {
	// Rate is the client's request ceiling in req/s (0 = unlimited, adaptive on 429), like --rate.
	Rate float64
	// Transport replaces the base transport; nil = http.DefaultTransport, as the CLI uses.
	Transport http.RoundTripper
	// Scopes the token asks for; nil = the CLI's default (the import scopes
	// are added when the mapping maps passwords).
	Scopes []string
}

// Client returns an API client for the tenant configured the way
// cmd/emporix-import configures it (60 s timeout, default retries, adaptive limiter).
func (t *Tenant) Client(o ClientOptions) (*emporix.Client, error) {
	def := t.Config()
	return emporix.New(emporix.Config{
		BaseURL:      t.URL,
		Tenant:       def.Tenant,
		ClientID:     def.ClientID,
		ClientSecret: def.ClientSecret,
		MaxRetries:   emporix.DefaultMaxRetries,
		Limiter:      emporix.NewAdaptiveLimiter(o.Rate),
		HTTPClient:   &http.Client{Timeout: 60 * time.Second, Transport: o.Transport},
		Scopes:       o.Scopes,
	})
}
