package emulator

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"maps"
	"net/http"
	"strconv"
	"strings"
)

// LegacyHybris is the only legacy algorithm the spec lists.
const LegacyHybris = "hybris-sha512-uid-salt"

// Account is the stored credential of an imported customer. It is never part
// of State (hashes are credentials); tests read it through Server.Account.
type Account struct {
	Email string
	// PasswordHash is the native hash: imported as such, or the rehash of a
	// legacy hash after the first successful login.
	PasswordHash string
	Legacy       *LegacyAuth // nil once rehashed or cleared
	Rehashed     bool        // a legacy hash was replaced on a successful login
	// NeedsReset: the retention window ended before the customer logged in;
	// the legacy hash was cleared and only a password reset helps.
	NeedsReset bool
}

// LegacyAuth is an imported legacy password verifier.
type LegacyAuth struct {
	Algorithm string
	Hash      string
	Context   map[string]string
}

func (a *Account) clone() Account {
	out := *a
	if a.Legacy != nil {
		l := *a.Legacy
		l.Context = maps.Clone(a.Legacy.Context)
		out.Legacy = &l
	}
	return out
}

// Account returns the credential stored for an imported customer.
func (s *Server) Account(customerNumber string) (Account, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireLegacy()
	a := s.accounts[customerNumber]
	if a == nil || s.customers[customerNumber] == nil {
		return Account{}, false
	}
	return a.clone(), true
}

// legacyRemaining reports whether a live customer still holds a legacy hash.
// Caller holds s.mu.
func (s *Server) legacyRemaining() bool {
	for n, a := range s.accounts {
		if a.Legacy != nil && s.customers[n] != nil {
			return true
		}
	}
	return false
}

// Native hashes, as the emulator defines them: "1:<iterations>:<salt>:<key>"
// with key = base64(PBKDF2-HMAC-SHA256(password, salt, iterations, 32)). The
// real format is Emporix's to tell; this one only has the documented shape.
const nativeIterations = 10000

// NativeHash returns the emulator's native hash of password with salt.
func NativeHash(password, salt string) string {
	key, err := pbkdf2.Key(sha256.New, password, []byte(salt), nativeIterations, 32)
	if err != nil { // only for FIPS-forbidden parameters, which these are not
		panic(err)
	}
	return "1:" + strconv.Itoa(nativeIterations) + ":" + salt + ":" + base64.StdEncoding.EncodeToString(key)
}

func verifyNative(hash, password string) bool {
	parts := strings.Split(hash, ":")
	if len(parts) != 4 || parts[0] != "1" {
		return false
	}
	iter, err := strconv.Atoi(parts[1])
	if err != nil || iter < 1 || iter > 1_000_000 {
		return false
	}
	key, err := pbkdf2.Key(sha256.New, password, []byte(parts[2]), iter, 32)
	if err != nil {
		return false
	}
	want := base64.StdEncoding.EncodeToString(key)
	return subtle.ConstantTimeCompare([]byte(want), []byte(parts[3])) == 1
}

// HybrisLegacyHash returns the emulator's hybris-sha512-uid-salt hash:
// base64(SHA-512(password + "{" + originalUid + "}")), the salted-digest
// layout SAP Commerce inherited from Spring Security.
func HybrisLegacyHash(password, originalUID string) string {
	sum := sha512.Sum512([]byte(password + "{" + originalUID + "}"))
	return base64.StdEncoding.EncodeToString(sum[:])
}

func verifyLegacy(l *LegacyAuth, password string) bool {
	if l.Algorithm != LegacyHybris {
		return false
	}
	want := HybrisLegacyHash(password, l.Context["originalUid"])
	return subtle.ConstantTimeCompare([]byte(want), []byte(l.Hash)) == 1
}

// ErrLoginFailed is the answer to unknown e-mails and wrong passwords alike.
var ErrLoginFailed = errors.New("emulator: invalid e-mail or password")

// LoginResult tells what a successful login did.
type LoginResult struct {
	CustomerNumber string `json:"customerNumber"`
	Rehashed       bool   `json:"rehashed"` // a legacy hash was replaced by a native one
}

// Login simulates a storefront login with an account e-mail and password. A
// legacy hash is verified and replaced by a native hash on the first success,
// as the retention endpoint describes.
func (s *Server) Login(email, password string) (LoginResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireLegacy()
	n := s.emails[strings.ToLower(email)]
	a := s.accounts[n]
	if n == "" || a == nil || s.customers[n] == nil || !strings.EqualFold(a.Email, email) {
		return LoginResult{}, ErrLoginFailed
	}
	if a.Legacy != nil {
		if !verifyLegacy(a.Legacy, password) {
			return LoginResult{}, ErrLoginFailed
		}
		a.PasswordHash = NativeHash(password, randomSalt())
		a.Legacy, a.Rehashed = nil, true
		return LoginResult{CustomerNumber: n, Rehashed: true}, nil
	}
	if a.PasswordHash == "" || !verifyNative(a.PasswordHash, password) {
		return LoginResult{}, ErrLoginFailed
	}
	return LoginResult{CustomerNumber: n}, nil
}

func randomSalt() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// loginRequest is the body of POST /_emulator/login.
type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// handleLogin serves POST /_emulator/login, a test hook outside the Emporix
// paths: no token, no fault injection.
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", "Method not allowed.", nil)
		return
	}
	body, _, err := readObject(w, r, ctJSON)
	if err != nil {
		return
	}
	var req loginRequest
	for k, dst := range map[string]*string{"email": &req.Email, "password": &req.Password} {
		raw, ok := body[k]
		if !ok {
			continue
		}
		v, d := decodeString(k, raw)
		if d != nil {
			validationError(w, []errorDetail{*d})
			return
		}
		*dst = v
	}
	res, err := s.Login(req.Email, req.Password)
	if err != nil {
		writeError(w, http.StatusUnauthorized, "unauthorized", "Invalid e-mail or password.", nil)
		return
	}
	writeJSON(w, http.StatusOK, res)
}
