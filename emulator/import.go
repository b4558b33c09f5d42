package emulator

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"slices"
	"strings"
)

// MaxImportBatch is the documented maximum of customers per import request.
const MaxImportBatch = 200

// dtoImport is CustomerImportDto without its account (handled apart).
var dtoImport = customerDTO{name: "CustomerImportDto", id: true}

// ImportItem is one entry of the 207 answer (CustomerBulkItemResponse).
type ImportItem struct {
	Index   int                `json:"index"`
	ID      string             `json:"id,omitempty"`
	Code    int                `json:"code"`
	Status  string             `json:"status"`
	Message string             `json:"message,omitempty"`
	Details []ImportItemDetail `json:"details,omitempty"`
}

// ImportItemDetail is an entry of ImportItem.details (message only, per the spec).
type ImportItemDetail struct {
	Message string `json:"message"`
}

// importCustomers serves POST /customer/{tenant}/customers/import. The batch
// is applied under one lock, items in order, so a later item that repeats an
// earlier one's id or e-mail gets 409.
func (s *Server) importCustomers(w http.ResponseWriter, r *http.Request) {
	items, err := readArray(w, r)
	if err != nil {
		return
	}
	switch {
	case len(items) == 0:
		validationError(w, []errorDetail{detail("", "missing_value", "The request body must hold at least one customer.")})
		return
	case len(items) > MaxImportBatch:
		validationError(w, []errorDetail{detail("", "invalid_value",
			"The maximum batch size is %d; the request holds %d customers.", MaxImportBatch, len(items))})
		return
	}
	s.mu.Lock()
	s.expireLegacy()
	active := s.retentionActive()
	out := make([]ImportItem, len(items))
	for i, raw := range items {
		out[i] = s.importOne(raw, active)
		out[i].Index = i
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusMultiStatus, out)
}

// readArray reads a required JSON array body.
func readArray(w http.ResponseWriter, r *http.Request) ([]json.RawMessage, error) {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, "payload_too_large", "The request body exceeds 10 MB.", nil)
		} else {
			writeError(w, http.StatusBadRequest, "bad_request", "The request body could not be read.", nil)
		}
		return nil, errAnswered
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); len(bytes.TrimSpace(data)) > 0 && mt != ctJSON {
		writeError(w, http.StatusUnsupportedMediaType, "unsupported_media_type",
			fmt.Sprintf("Content-Type %q is not supported; use %s.", mt, ctJSON), nil)
		return nil, errAnswered
	}
	var items []json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&items); err != nil || items == nil {
		writeError(w, http.StatusBadRequest, "bad_request", "Malformed JSON: the request body must be a JSON array of customers.", nil)
		return nil, errAnswered
	}
	if _, err := dec.Token(); err != io.EOF {
		writeError(w, http.StatusBadRequest, "bad_request", "Malformed JSON: trailing data after the array.", nil)
		return nil, errAnswered
	}
	return items, nil
}

// importOne validates and creates one customer. Caller holds s.mu. Messages
// never quote a hash: they name fields only.
func (s *Server) importOne(raw json.RawMessage, retentionActive bool) ImportItem {
	var body map[string]json.RawMessage
	if err := json.Unmarshal(raw, &body); err != nil || body == nil {
		return itemError(http.StatusBadRequest, []errorDetail{detail("", "invalid_type", "Each customer must be a JSON object.")})
	}
	acctRaw, hasAcct := body["account"]
	delete(body, "account")
	var acct *Account
	var errs []errorDetail
	if !hasAcct {
		errs = append(errs, detail("account", "missing_value", "account is required."))
	} else {
		acct, errs = parseImportAccount(acctRaw)
	}
	_, hasContact := body["contactEmail"]
	if !hasContact && acct != nil && acct.Email != "" {
		// An omitted contactEmail is the account e-mail.
		body["contactEmail"], _ = json.Marshal(acct.Email)
	}
	c := &Customer{}
	res, cerrs := applyCustomer(c, body, dtoImport, modeCreate)
	errs = append(errs, cerrs...)
	if acct != nil && acct.Email != "" && hasContact && c.ContactEmail != "" && !strings.EqualFold(c.ContactEmail, acct.Email) {
		errs = append(errs, detail("contactEmail", "invalid_value", "contactEmail must match account.email (case-insensitive)."))
	}
	if acct != nil && acct.Legacy != nil && !retentionActive {
		errs = append(errs, detail("account.legacyAuth", "invalid_value",
			"legacyAuth requires an active password migration retention configuration for the tenant "+
				"(POST /customer/{tenant}/config/password-migration-retention with a future retentionEndDate)."))
	}
	if len(errs) > 0 {
		return itemError(http.StatusBadRequest, errs)
	}
	n := res.id
	if n == "" {
		n = s.newCustomerNumber()
	}
	switch {
	case s.customers[n] != nil:
		return itemError(http.StatusConflict, []errorDetail{{Message: fmt.Sprintf("Customer with id '%s' already exists.", n)}})
	case s.deleted[n]:
		return itemError(http.StatusConflict, []errorDetail{{Message: fmt.Sprintf("Customer with id '%s' was deleted and cannot be recreated.", n)}})
	case s.emailTaken(c.ContactEmail, "") || s.emailTaken(acct.Email, ""):
		return itemError(http.StatusConflict, []errorDetail{{Message: fmt.Sprintf("Duplicate account '%s' for tenant '%s'.", acct.Email, s.cfg.Tenant)}})
	}
	c.CustomerNumber = n
	s.insertCustomer(c, false) // the import sends no e-mails
	c.Email = acct.Email
	if s.accounts == nil {
		s.accounts = map[string]*Account{}
	}
	s.accounts[n] = acct
	return ImportItem{ID: n, Code: http.StatusCreated, Status: http.StatusText(http.StatusCreated)}
}

// itemError builds a failed item: one problem is the message itself, several
// are listed in details.
func itemError(code int, errs []errorDetail) ImportItem {
	it := ImportItem{Code: code, Status: http.StatusText(code)}
	if len(errs) == 1 {
		it.Message = errs[0].Message
		return it
	}
	it.Message = "Customer validation failed."
	for _, e := range errs {
		it.Details = append(it.Details, ImportItemDetail{Message: e.Message})
	}
	return it
}

// parseImportAccount validates CustomerImportAccountDto. It returns the
// account (nil if unusable) and every problem found.
func parseImportAccount(raw json.RawMessage) (*Account, []errorDetail) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		return nil, []errorDetail{detail("account", "invalid_type", "Field 'account' must be an object.")}
	}
	a := &Account{}
	var errs []errorDetail
	hasHash, hasLegacy := false, false
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		v := obj[k]
		switch k {
		case "email":
			s, d := decodeString("account.email", v)
			if d != nil {
				errs = append(errs, *d)
				continue
			}
			a.Email = s
		case "passwordHash":
			hasHash = true
			s, d := decodeString("account.passwordHash", v)
			switch {
			case d != nil:
				errs = append(errs, *d)
			case s == "":
				errs = append(errs, detail("account.passwordHash", "invalid_value", "account.passwordHash must not be empty."))
			}
			a.PasswordHash = s
		case "legacyAuth":
			hasLegacy = true
			l, ds := parseLegacyAuth(v)
			errs = append(errs, ds...)
			a.Legacy = l
		default:
			errs = append(errs, unknownField("account."+k))
		}
	}
	switch {
	case a.Email == "":
		errs = append(errs, detail("account.email", "missing_value", "account.email is required."))
	case !emailRE.MatchString(a.Email):
		errs = append(errs, detail("account.email", "invalid_value", "account.email %q is not a valid e-mail address.", a.Email))
	}
	if hasHash == hasLegacy {
		errs = append(errs, detail("account", "invalid_value",
			"Exactly one of 'passwordHash' or 'legacyAuth' must be provided in the account"))
	}
	return a, errs
}

// parseLegacyAuth validates LegacyAuth. strict: hybris-sha512-uid-salt needs
// context.originalUid (the salt), so an import without it could never log in.
func parseLegacyAuth(raw json.RawMessage) (*LegacyAuth, []errorDetail) {
	const f = "account.legacyAuth"
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		return nil, []errorDetail{detail(f, "invalid_type", "Field '%s' must be an object.", f)}
	}
	l := &LegacyAuth{}
	var errs []errorDetail
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		v := obj[k]
		switch k {
		case "algorithm", "hash":
			s, d := decodeString(f+"."+k, v)
			if d != nil {
				errs = append(errs, *d)
			} else if k == "algorithm" {
				l.Algorithm = s
			} else {
				l.Hash = s
			}
		case "context":
			if err := json.Unmarshal(v, &l.Context); err != nil || isNull(v) {
				errs = append(errs, detail(f+".context", "invalid_type", "Field '%s.context' must be an object of strings.", f))
			}
		default:
			errs = append(errs, unknownField(f+"."+k))
		}
	}
	switch {
	case l.Algorithm == "":
		errs = append(errs, detail(f+".algorithm", "missing_value", "%s.algorithm is required.", f))
	case l.Algorithm != LegacyHybris:
		errs = append(errs, detail(f+".algorithm", "invalid_value", "%s.algorithm must be one of: %s.", f, LegacyHybris))
	case l.Context["originalUid"] == "":
		errs = append(errs, detail(f+".context", "missing_value", "%s.context.originalUid is required for %s.", f, LegacyHybris))
	}
	if l.Hash == "" {
		errs = append(errs, detail(f+".hash", "missing_value", "%s.hash is required.", f))
	}
	return l, errs
}
