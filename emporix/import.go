package emporix

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// MaxImportBatch is the documented maximum of customers per import request.
const MaxImportBatch = 200

// ImportScopes are the extra scopes the import and migration endpoints need.
var ImportScopes = []string{"customer.import_read", "customer.import_manage"}

// LegacyHybris is the legacy password algorithm the spec lists.
const LegacyHybris = "hybris-sha512-uid-salt"

const redacted = "[redacted]"

// Secret is a credential (a password hash). It is sent as itself in JSON
// bodies, but prints, formats and logs as [redacted], so that it cannot leak
// through a %v, a %+v of an enclosing struct or a slog attribute.
type Secret string

func (Secret) String() string                  { return redacted }
func (Secret) GoString() string                { return `"` + redacted + `"` }
func (Secret) Format(f fmt.State, _ rune)      { _, _ = io.WriteString(f, redacted) }
func (Secret) LogValue() slog.Value            { return slog.StringValue(redacted) }
func (s Secret) MarshalJSON() ([]byte, error)  { return json.Marshal(string(s)) }
func (s *Secret) UnmarshalJSON(b []byte) error { return json.Unmarshal(b, (*string)(s)) }

// Reveal returns the secret's value.
func (s Secret) Reveal() string { return string(s) }

// LegacyAuth is a legacy password hash with what its verifier needs.
type LegacyAuth struct {
	Algorithm string            `json:"algorithm"`
	Hash      Secret            `json:"hash"`
	Context   map[string]string `json:"context,omitempty"`
}

// ImportAccount is CustomerImportAccountDto: the account e-mail and exactly
// one of a native hash or a legacy hash.
type ImportAccount struct {
	Email        string      `json:"email"`
	PasswordHash Secret      `json:"passwordHash,omitempty"`
	LegacyAuth   *LegacyAuth `json:"legacyAuth,omitempty"`
}

// CustomerImport is one item of a bulk import (CustomerImportDto): the create
// fields (Customer.ID is the optional custom customer number) plus the account.
type CustomerImport struct {
	Customer
	Account ImportAccount `json:"account"`
}

// ImportItemResult is the answer for the customer at the same index
// (CustomerBulkItemResponse): Code 201 with ID, or an error code and message.
type ImportItemResult struct {
	Index   int           `json:"index"`
	ID      string        `json:"id,omitempty"`
	Code    int           `json:"code"`
	Status  string        `json:"status,omitempty"`
	Message string        `json:"message,omitempty"`
	Details []ErrorDetail `json:"details,omitempty"`
}

// Created reports whether the customer was created.
func (r ImportItemResult) Created() bool { return r.Code == http.StatusCreated }

// Err returns nil for a created customer, else an *APIError for the item, so
// that IsConflict (the customer exists) and StatusOf apply to items too.
func (r ImportItemResult) Err() error {
	if r.Created() {
		return nil
	}
	return &APIError{Status: r.Code, Type: r.Status, Message: r.Message, Details: r.Details,
		Method: http.MethodPost, Path: fmt.Sprintf("%s[%d]", importPath, r.Index)}
}

const importPath = "/customers/import"

// Typed errors of the import and migration calls.
var (
	// ErrInvalidImport: the batch was refused by the client before sending.
	ErrInvalidImport = errors.New("invalid import batch")
	// ErrImportResponse: a 2xx answer whose items cannot be matched to the
	// batch. It always comes with ErrOutcomeUnknown.
	ErrImportResponse = errors.New("unusable import response")
	// ErrRetentionNotSet: the tenant has no password-migration retention window.
	ErrRetentionNotSet = errors.New("no password-migration retention window is set")
	// ErrMigrationPending: the retention window cannot be removed while
	// accounts still hold legacy hashes.
	ErrMigrationPending = errors.New("password migration not concluded: accounts still hold legacy password hashes")
)

// ImportCustomers creates up to MaxImportBatch customers with their password
// hashes in one request and returns one result per item, in order.
//
// The request is never re-sent once it may have reached the server: a lost
// answer or a 502/503/504 returns an error wrapping ErrOutcomeUnknown (some,
// all or none of the customers may exist; re-sending the same items is safe
// only because existing ones answer 409). A 429 is retried (not processed).
// Hashes never appear in errors: the server's messages are scrubbed of them.
func (c *Client) ImportCustomers(ctx context.Context, batch []CustomerImport) ([]ImportItemResult, error) {
	if err := checkImportBatch(batch); err != nil {
		return nil, err
	}
	k, err := c.newCall(http.MethodPost, importPath).withJSON(batch)
	if err != nil {
		return nil, fmt.Errorf("%s %s: encoding body: %w", http.MethodPost, importPath, ErrInvalidImport)
	}
	k.redact = secretReplacer(batch)
	r, err := c.do(ctx, k)
	if err != nil {
		return nil, err
	}
	var items []ImportItemResult
	if r.status != http.StatusMultiStatus || json.Unmarshal(r.body, &items) != nil {
		return nil, fmt.Errorf("%s %s: %w: %w: status %d, want 207 with an array", k.method, k.path,
			ErrOutcomeUnknown, ErrImportResponse, r.status)
	}
	if len(items) != len(batch) {
		return nil, fmt.Errorf("%s %s: %w: %w: %d items answered for %d sent", k.method, k.path,
			ErrOutcomeUnknown, ErrImportResponse, len(items), len(batch))
	}
	for i := range items {
		it := &items[i]
		if it.Index != i || it.Code == 0 || it.Created() && it.ID == "" {
			return nil, fmt.Errorf("%s %s: %w: %w: item %d has index %d, code %d", k.method, k.path,
				ErrOutcomeUnknown, ErrImportResponse, i, it.Index, it.Code)
		}
		it.Message = redactString(it.Message, k.redact)
		for j := range it.Details {
			it.Details[j].Message = redactString(it.Details[j].Message, k.redact)
			it.Details[j].Field = redactString(it.Details[j].Field, k.redact)
		}
	}
	return items, nil
}

// checkImportBatch refuses what the spec forbids before anything is sent.
func checkImportBatch(batch []CustomerImport) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("emporix: %w: %s", ErrInvalidImport, fmt.Sprintf(format, args...))
	}
	if len(batch) == 0 || len(batch) > MaxImportBatch {
		return bad("%d customers; a batch holds 1 to %d", len(batch), MaxImportBatch)
	}
	for i := range batch {
		it := &batch[i]
		a := it.Account
		switch {
		case a.Email == "":
			return bad("item %d: account e-mail is required", i)
		case it.ContactEmail != "" && !strings.EqualFold(it.ContactEmail, a.Email):
			return bad("item %d: contactEmail must match the account e-mail (case-insensitive)", i)
		case (a.PasswordHash != "") == (a.LegacyAuth != nil):
			return bad("item %d: exactly one of passwordHash or legacyAuth is required", i)
		case a.LegacyAuth != nil && (a.LegacyAuth.Algorithm == "" || a.LegacyAuth.Hash == ""):
			return bad("item %d: legacyAuth needs an algorithm and a hash", i)
		case it.CustomerNumber != "" || it.Active != nil || it.OnHold != nil || it.Addresses != nil ||
			it.Accounts != nil || it.Metadata != nil && it.Metadata.Version != 0:
			return bad("item %d: customerNumber, active, onHold, addresses, accounts and metadata.version are not import fields", i)
		}
	}
	return nil
}

// secretReplacer replaces every hash of the batch by [redacted].
func secretReplacer(batch []CustomerImport) *strings.Replacer {
	var pairs []string
	for i := range batch {
		a := batch[i].Account
		if a.PasswordHash != "" {
			pairs = append(pairs, a.PasswordHash.Reveal(), redacted)
		}
		if a.LegacyAuth != nil && a.LegacyAuth.Hash != "" {
			pairs = append(pairs, a.LegacyAuth.Hash.Reveal(), redacted)
		}
	}
	return strings.NewReplacer(pairs...)
}

func redactString(s string, r *strings.Replacer) string {
	if r == nil || s == "" {
		return s
	}
	return r.Replace(s)
}

// redactAPIError scrubs an error answer in place.
func redactAPIError(e *APIError, r *strings.Replacer) {
	if r == nil || e == nil {
		return
	}
	e.Type, e.Message, e.MoreInfo = r.Replace(e.Type), r.Replace(e.Message), r.Replace(e.MoreInfo)
	for i := range e.Details {
		d := &e.Details[i]
		d.Field, d.Type, d.Message, d.MoreInfo = r.Replace(d.Field), r.Replace(d.Type), r.Replace(d.Message), r.Replace(d.MoreInfo)
	}
}

// ---- password-migration retention window ----

const retentionPath = "/config/password-migration-retention"

// DateLayout is the API's date format (format: date).
const DateLayout = "2006-01-02"

// Retention is the password-migration retention window. In a request,
// EmailReminderDate and EmailNotificationsEnabled may be left unset for the
// server's defaults (7 days before the end or tomorrow; notifications on).
type Retention struct {
	RetentionEndDate          string `json:"retentionEndDate"`
	EmailReminderDate         string `json:"emailReminderDate,omitempty"`
	EmailNotificationsEnabled *bool  `json:"emailNotificationsEnabled,omitempty"`
}

// GetRetention reads the window; ErrRetentionNotSet when there is none.
func (c *Client) GetRetention(ctx context.Context) (*Retention, error) {
	k := c.newCall(http.MethodGet, retentionPath)
	r, err := c.do(ctx, k)
	if err != nil {
		if IsNotFound(err) {
			return nil, fmt.Errorf("%w: %w", ErrRetentionNotSet, err)
		}
		return nil, err
	}
	var out Retention
	if err := decode(k, r, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// SetRetention creates or replaces the window and returns it as stored
// (defaults filled in). A refused date is an *APIError with status 400.
func (c *Client) SetRetention(ctx context.Context, cfg Retention) (*Retention, error) {
	for name, v := range map[string]string{"retentionEndDate": cfg.RetentionEndDate, "emailReminderDate": cfg.EmailReminderDate} {
		if v == "" && name == "emailReminderDate" {
			continue
		}
		if _, err := time.Parse(DateLayout, v); err != nil {
			return nil, fmt.Errorf("emporix: %s %q is not a date (YYYY-MM-DD)", name, v)
		}
	}
	k, err := c.newCall(http.MethodPost, retentionPath).withJSON(cfg)
	if err != nil {
		return nil, err
	}
	// The POST replaces the whole configuration: sending it twice is harmless.
	k.idempotent = true
	r, err := c.do(ctx, k)
	if err != nil {
		return nil, err
	}
	var out Retention
	if err := decode(k, r, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteRetention removes the window. While accounts still hold legacy
// hashes the server refuses (400): the error then wraps ErrMigrationPending.
func (c *Client) DeleteRetention(ctx context.Context) error {
	k := c.newCall(http.MethodDelete, retentionPath)
	if _, err := c.do(ctx, k); err != nil {
		if StatusOf(err) == http.StatusBadRequest {
			return fmt.Errorf("%w: %w", ErrMigrationPending, err)
		}
		return err
	}
	return nil
}
