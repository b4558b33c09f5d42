// Package emulator is an in-memory Emporix tenant: the OAuth token endpoint and
// the tenant-managed Customer Service (customers, addresses, address tags, bulk
// import with password hashes, the password-migration retention window) as an
// http.Handler, with fault injection (latency, 429, 503, dropped answers).
//
// It follows the official OpenAPI contract (the facts-only copy in
// internal/apispec/testdata): every status it sends is documented for the
// operation or on the commented allow-list there. Where the contract is silent
// it picks the strictest plausible behaviour, so that a client that works
// against the emulator also works against the real service; each such choice
// is marked "strict:" in a comment.
package emulator

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// Config configures a Server. Zero values take the defaults noted per field.
type Config struct {
	Tenant       string // default "demo"
	ClientID     string // default "demo-client"
	ClientSecret string // default "demo-secret"
	// Scopes assigned to the client; every token carries all of them. Default:
	// DefaultScopes.
	Scopes []string
	// Latency is added to every request, the token endpoint included.
	Latency time.Duration
	// Rate is the request rate (req/s) beyond which customer requests get 429 (0 = unlimited).
	Rate float64
	// FailRate is the probability of a 503 before processing (nothing applied).
	FailRate float64
	// ThrottleRate is the probability of a 429 with Retry-After: 1 regardless
	// of Rate (nothing applied): random throttling for retry tests.
	ThrottleRate float64
	// DropAfterCommit is the probability that a write is applied and the
	// connection then closed without an answer.
	DropAfterCommit float64
	// MaxPageSize is the largest pageSize a list or search serves; a larger
	// one is cut to it. Default 1000.
	MaxPageSize int
	// TokenTTL is the access token lifetime; default 4h.
	TokenTTL time.Duration
	// Seed seeds fault injection and generated ids.
	Seed int64
	// ReadTimeout bounds reading a whole request, body included, and
	// IdleTimeout an idle keep-alive connection (ListenAndServe only); defaults
	// 1 min and 2 min, so slow or idle clients cannot hold connections forever.
	ReadTimeout, IdleTimeout time.Duration
	// Restrictions is the tenant's list of valid customer restriction values;
	// a customer's restriction must be one of them (none by default).
	Restrictions []string
}

// DefaultScopes are the scopes assigned to the client by default: every scope
// of the contract.
func DefaultScopes() []string {
	return []string{ScopeCustomerRead, ScopeCustomerManage, ScopeCustomerReadOwn, ScopeCustomerManageOwn,
		ScopeImportRead, ScopeImportManage}
}

func (c Config) withDefaults() Config {
	if c.Tenant == "" {
		c.Tenant = "demo"
	}
	if c.ClientID == "" {
		c.ClientID = "demo-client"
	}
	if c.ClientSecret == "" {
		c.ClientSecret = "demo-secret"
	}
	if c.Scopes == nil {
		c.Scopes = DefaultScopes()
	}
	if c.TokenTTL <= 0 {
		c.TokenTTL = 4 * time.Hour
	}
	if c.MaxPageSize <= 0 {
		c.MaxPageSize = 1000
	}
	if c.ReadTimeout <= 0 {
		c.ReadTimeout = time.Minute
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = 2 * time.Minute
	}
	return c
}

// Stats are request counters since New or the last ResetStats.
type Stats struct {
	Requests int64
	ByMethod map[string]int64
	// Writes counts non-GET customer API requests other than search that got
	// past fault injection, i.e. that changed state or attempted to (a
	// rejected write counts too).
	Writes int64
	// Applied counts writes that changed state.
	Applied int64
	TooMany int64 // 429
	Failed  int64 // injected 503
	Dropped int64 // answers dropped after commit
	// TokensIssued counts successful token requests.
	TokensIssued int64
	// PasswordResets counts customers created with sendPasswordResetNotifications=true (the default).
	PasswordResets int64
}

// Server is the emulated tenant. It implements http.Handler and serves
// /oauth/token and /customer/{tenant}/... at its root.
type Server struct {
	cfg Config

	mu        sync.Mutex
	customers map[string]*Customer // by customer number
	deleted   map[string]bool      // numbers of deleted customers: reserved
	addrOwner map[string]string    // address id → customer number
	emails    map[string]string    // lower-cased contact and account e-mails → customer number
	seq       int64
	idRand    *rand.Rand
	tokens    map[string]*token
	gen       uint64    // bumped by every change of customer data (touch)
	lists     listCache // the last list query's matches, valid while gen holds
	mux       *http.ServeMux
	accounts  map[string]*Account // by customer number: imported credentials
	retention *Retention          // password-migration retention window; nil = unset

	faultMu  sync.Mutex
	faultRnd *rand.Rand
	limiter  *rate.Limiter // nil = unlimited
	failRate float64
	throttle float64
	dropRate float64

	statsMu                                    sync.Mutex
	byMethod                                   map[string]int64
	requests, writes, applied, tooMany, failed atomic.Int64
	dropped, tokensIssued, passwordResets      atomic.Int64
	now                                        func() time.Time
}

// New returns an empty tenant.
func New(cfg Config) *Server {
	cfg = cfg.withDefaults()
	seed := uint64(cfg.Seed)
	s := &Server{
		cfg:       cfg,
		customers: map[string]*Customer{},
		deleted:   map[string]bool{},
		addrOwner: map[string]string{},
		emails:    map[string]string{},
		tokens:    map[string]*token{},
		idRand:    rand.New(rand.NewPCG(seed, 0x1d5)),
		faultRnd:  rand.New(rand.NewPCG(seed, 0xfa17)),
		byMethod:  map[string]int64{},
		now:       time.Now,
	}
	s.mux = s.newMux()
	s.SetFaults(cfg.Rate, cfg.FailRate, cfg.DropAfterCommit)
	s.throttle = cfg.ThrottleRate
	return s
}

// SetFaults changes the rate limit, the 503 probability and the
// drop-after-commit probability at run time.
func (s *Server) SetFaults(rateLimit, failRate, dropAfterCommit float64) {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	s.limiter = nil
	if rateLimit > 0 {
		burst := max(1, int(rateLimit/10))
		s.limiter = rate.NewLimiter(rate.Limit(rateLimit), burst)
	}
	s.failRate, s.dropRate = failRate, dropAfterCommit
}

// Stats returns a copy of the counters.
func (s *Server) Stats() Stats {
	s.statsMu.Lock()
	bm := make(map[string]int64, len(s.byMethod))
	for k, v := range s.byMethod {
		bm[k] = v
	}
	s.statsMu.Unlock()
	return Stats{
		Requests:       s.requests.Load(),
		ByMethod:       bm,
		Writes:         s.writes.Load(),
		Applied:        s.applied.Load(),
		TooMany:        s.tooMany.Load(),
		Failed:         s.failed.Load(),
		Dropped:        s.dropped.Load(),
		TokensIssued:   s.tokensIssued.Load(),
		PasswordResets: s.passwordResets.Load(),
	}
}

// ResetStats zeroes the counters.
func (s *Server) ResetStats() {
	s.statsMu.Lock()
	s.byMethod = map[string]int64{}
	s.statsMu.Unlock()
	for _, c := range []*atomic.Int64{&s.requests, &s.writes, &s.applied, &s.tooMany, &s.failed,
		&s.dropped, &s.tokensIssued, &s.passwordResets} {
		c.Store(0)
	}
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	s.statsMu.Lock()
	s.byMethod[r.Method]++
	s.statsMu.Unlock()

	if s.cfg.Latency > 0 { // outside any lock, so that concurrent requests overlap
		t := time.NewTimer(s.cfg.Latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}

	path := r.URL.EscapedPath()
	if path == "/_emulator/login" {
		s.handleLogin(w, r)
		return
	}
	if path == "/oauth/token" {
		// The token endpoint is exempt from fault injection: golang.org/x/oauth2
		// reports any token error as final (no retry), and the product treats
		// "auth refused" as fatal, so an injected 429/503 there would test the
		// CLI's fatal path instead of its retry logic.
		s.handleToken(w, r)
		return
	}
	if !strings.HasPrefix(path, "/customer/") {
		writeError(w, http.StatusNotFound, "not_found", "No such resource.", nil)
		return
	}

	write := isWrite(r, path)
	drop, ok := s.injectFaults(w)
	if !ok {
		return
	}
	if write {
		s.writes.Add(1)
	}
	if !write || !drop {
		s.mux.ServeHTTP(w, r)
		return
	}
	// Drop after commit: apply the write, then close the connection unanswered.
	rec := &discardWriter{header: http.Header{}}
	s.mux.ServeHTTP(rec, r)
	s.dropped.Add(1)
	hijackAndClose(w)
}

// isWrite reports whether r is a state-changing customer API request
// (every non-GET except search).
func isWrite(r *http.Request, path string) bool {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	return !(r.Method == http.MethodPost && strings.HasSuffix(path, "/customers/search"))
}

// injectFaults applies the rate limit and the fail rate; it answers and
// returns ok=false when the request must not be processed. drop reports
// whether a write should be answered by closing the connection.
func (s *Server) injectFaults(w http.ResponseWriter) (drop, ok bool) {
	s.faultMu.Lock()
	var retryAfter time.Duration
	limited := false
	if s.limiter != nil {
		now := s.now()
		res := s.limiter.ReserveN(now, 1)
		if d := res.DelayFrom(now); !res.OK() || d > 0 {
			res.CancelAt(now)
			limited, retryAfter = true, d
		}
	}
	if !limited && s.throttle > 0 && s.faultRnd.Float64() < s.throttle {
		limited, retryAfter = true, time.Second
	}
	failed := !limited && s.failRate > 0 && s.faultRnd.Float64() < s.failRate
	if !limited && !failed && s.dropRate > 0 {
		drop = s.faultRnd.Float64() < s.dropRate
	}
	s.faultMu.Unlock()

	switch {
	case limited:
		s.tooMany.Add(1)
		secs := max(1, int64(math.Ceil(retryAfter.Seconds())))
		w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
		writeError(w, http.StatusTooManyRequests, "too_many_requests", "Too many requests.", nil)
		return false, false
	case failed:
		s.failed.Add(1)
		writeError(w, http.StatusServiceUnavailable, "service_unavailable",
			"The service is temporarily unavailable.", nil)
		return false, false
	}
	return drop, true
}

// hijackAndClose closes the client connection without writing a response.
func hijackAndClose(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			conn.Close()
			return
		}
	}
	// HTTP/2 or a wrapped writer: aborting the handler resets the stream.
	panic(http.ErrAbortHandler)
}

// discardWriter swallows the answer of a dropped write.
type discardWriter struct {
	header http.Header
}

func (d *discardWriter) Header() http.Header         { return d.header }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(int)             {}

// errorDetail is one entry of errorMessage.details.
type errorDetail struct {
	Field   string `json:"field,omitempty"`
	Type    string `json:"type,omitempty"`
	Message string `json:"message,omitempty"`
}

// errorMessage is the Customer Service error body.
type errorMessage struct {
	Status  int           `json:"status"`
	Type    string        `json:"type"`
	Message string        `json:"message"`
	Details []errorDetail `json:"details,omitempty"`
}

func writeError(w http.ResponseWriter, status int, typ, msg string, details []errorDetail) {
	writeJSON(w, status, errorMessage{Status: status, Type: typ, Message: msg, Details: details})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil { // only our own types are marshalled
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
