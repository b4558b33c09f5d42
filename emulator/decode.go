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
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/biter777/countries"
	"github.com/bojanz/currency"
)

// maxBody is the documented gateway limit for request bodies (10 MB).
const maxBody = 10 << 20

const (
	ctJSON       = "application/json"
	ctMergePatch = "application/merge-patch+json"
)

// errAnswered means the handler has already written the error response.
var errAnswered = errors.New("answered")

// readObject reads a JSON object body. An empty body is an empty object
// (the spec marks every create/update body required: false). accepted lists
// the allowed media types; it returns the one used.
func readObject(w http.ResponseWriter, r *http.Request, accepted ...string) (map[string]json.RawMessage, string, error) {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, "payload_too_large", "The request body exceeds 10 MB.", nil)
		} else {
			writeError(w, http.StatusBadRequest, "bad_request", "The request body could not be read.", nil)
		}
		return nil, "", errAnswered
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return map[string]json.RawMessage{}, ctJSON, nil
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if !slices.Contains(accepted, mt) {
		// strict: a body in any other media type is refused (the spec lists no 415,
		// but the real gateway is a Spring service that answers 415).
		writeError(w, http.StatusUnsupportedMediaType, "unsupported_media_type",
			fmt.Sprintf("Content-Type %q is not supported; use %s.", mt, strings.Join(accepted, " or ")), nil)
		return nil, "", errAnswered
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var obj map[string]json.RawMessage
	if err := dec.Decode(&obj); err != nil || obj == nil {
		writeError(w, http.StatusBadRequest, "bad_request", "Malformed JSON: the request body must be a JSON object.", nil)
		return nil, "", errAnswered
	}
	if _, err := dec.Token(); err != io.EOF {
		writeError(w, http.StatusBadRequest, "bad_request", "Malformed JSON: trailing data after the object.", nil)
		return nil, "", errAnswered
	}
	return obj, mt, nil
}

func validationError(w http.ResponseWriter, details []errorDetail) {
	writeError(w, http.StatusBadRequest, "validation_failure", "Request body validation failed.", details)
}

func isNull(raw json.RawMessage) bool { return bytes.Equal(bytes.TrimSpace(raw), []byte("null")) }

func detail(field, typ, format string, args ...any) errorDetail {
	return errorDetail{Field: field, Type: typ, Message: fmt.Sprintf(format, args...)}
}

// decodeAny decodes a JSON value keeping numbers as json.Number.
func decodeAny(raw json.RawMessage) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	return v, err
}

// decodeString decodes a string property. strict: the spec's strings are not
// nullable, not even in a merge-patch body; clients clear a field with "".
func decodeString(field string, raw json.RawMessage) (string, *errorDetail) {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil || isNull(raw) {
		d := detail(field, "invalid_type", "Field '%s' must be a string.", field)
		return "", &d
	}
	return s, nil
}

func decodeObjectField(field string, raw json.RawMessage) (map[string]any, *errorDetail) {
	v, err := decodeAny(raw)
	m, ok := v.(map[string]any)
	if err != nil || !ok {
		d := detail(field, "invalid_type", "Field '%s' must be an object.", field)
		return nil, &d
	}
	return m, nil
}

// mergePatch applies an RFC 7386 merge patch to target.
func mergePatch(target, patch map[string]any) map[string]any {
	if target == nil {
		target = map[string]any{}
	}
	for k, v := range patch {
		switch v := v.(type) {
		case nil:
			delete(target, k)
		case map[string]any:
			sub, _ := target[k].(map[string]any)
			target[k] = mergePatch(cloneJSONMap(sub), v)
		default:
			target[k] = v
		}
	}
	if len(target) == 0 {
		return nil
	}
	return target
}

// writeMode tells how a body is applied.
type writeMode int

const (
	modeCreate writeMode = iota // POST create: null is a type error
	modePut                     // keep omitted fields, null clears, objects are replaced
	modePatch                   // RFC 7386: keep omitted fields, null clears, objects are merged
)

// applyObject sets an object-valued field (mixins, metadata.mixins) per mode.
func applyObject(cur map[string]any, field string, raw json.RawMessage, mode writeMode) (map[string]any, *errorDetail) {
	if isNull(raw) {
		if mode == modeCreate {
			d := detail(field, "invalid_type", "Field '%s' must be an object.", field)
			return cur, &d
		}
		return nil, nil
	}
	m, d := decodeObjectField(field, raw)
	if d != nil {
		return cur, d
	}
	if mode == modePatch {
		return mergePatch(cloneJSONMap(cur), m), nil
	}
	if len(m) == 0 {
		return nil, nil
	}
	return m, nil
}

// applyMetadata handles the metadata object: mixins always, version only where
// the DTO has it (updates). It returns the version precondition, if any.
func applyMetadata(cur map[string]any, raw json.RawMessage, mode writeMode, allowVersion bool) (map[string]any, *int, []errorDetail) {
	if isNull(raw) {
		if mode == modeCreate {
			return cur, nil, []errorDetail{detail("metadata", "invalid_type", "Field 'metadata' must be an object.")}
		}
		return cur, nil, nil // nothing to clear except mixin links, which stay (strict: metadata is not removable)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		return cur, nil, []errorDetail{detail("metadata", "invalid_type", "Field 'metadata' must be an object.")}
	}
	var errs []errorDetail
	var version *int
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		v := obj[k]
		switch {
		case k == "mixins":
			m, d := applyObject(cur, "metadata.mixins", v, mode)
			if d != nil {
				errs = append(errs, *d)
			}
			cur = m
		case k == "version" && allowVersion:
			if isNull(v) {
				continue // no optimistic locking requested
			}
			var n int
			if err := json.Unmarshal(v, &n); err != nil {
				errs = append(errs, detail("metadata.version", "invalid_type", "Field 'metadata.version' must be an integer."))
				continue
			}
			version = &n
		default:
			errs = append(errs, unknownField("metadata."+k))
		}
	}
	return cur, version, errs
}

func unknownField(field string) errorDetail {
	return detail(field, "unknown_field", "Unknown field '%s'.", field)
}

// lengthRule is a string property's minLength and maxLength in the contract.
type lengthRule struct{ min, max int }

// The lengths the contract states for string properties of request bodies. A
// "" is a value like any other and must satisfy them, so it cannot clear such a
// field (the customer id's 1-66 is checked with its pattern).
var (
	customerLengths = map[string]lengthRule{"preferredCurrency": {3, 3}}
	// strict: country's two letters hold for the update DTO too, which states
	// them only in prose.
	addressLengths = map[string]lengthRule{"country": {2, 2}}
)

func checkLength(field, v string, rules map[string]lengthRule) *errorDetail {
	r, ok := rules[field]
	if n := utf8.RuneCountInString(v); !ok || n >= r.min && n <= r.max {
		return nil
	}
	d := detail(field, "invalid_value", "Field '%s' must be %d to %d characters long.", field, r.min, r.max)
	if r.min == r.max {
		d = detail(field, "invalid_value", "Field '%s' must be exactly %d characters long.", field, r.min)
	}
	return &d
}

// Customer DTO field sets (customer-service.yml components.schemas).
var (
	customerStringFields = map[string]func(*Customer) *string{
		"title":             func(c *Customer) *string { return &c.Title },
		"firstName":         func(c *Customer) *string { return &c.FirstName },
		"middleName":        func(c *Customer) *string { return &c.MiddleName },
		"lastName":          func(c *Customer) *string { return &c.LastName },
		"contactPhone":      func(c *Customer) *string { return &c.ContactPhone },
		"company":           func(c *Customer) *string { return &c.Company },
		"preferredLanguage": func(c *Customer) *string { return &c.PreferredLanguage },
		"preferredCurrency": func(c *Customer) *string { return &c.PreferredCurrency },
		"preferredSite":     func(c *Customer) *string { return &c.PreferredSite },
		"type":              func(c *Customer) *string { return &c.Type },
		"photoUrl":          func(c *Customer) *string { return &c.PhotoURL },
		"contactEmail":      func(c *Customer) *string { return &c.ContactEmail },
	}
	// CustomerCreateDto's own fields beyond the strings above.
	createDTOExtra = []string{"b2b", "metadata", "mixins", "restriction"}
)

// customerDTO describes which fields one request body type accepts.
type customerDTO struct {
	name         string
	id, password bool // CustomerSignupBySellerDto
	activeOnHold bool // *BySellerDto updates
	version      bool // metadata.version (CustomerCommonDto)
}

var (
	dtoSignup        = customerDTO{name: "CustomerSignupBySellerDto", id: true, password: true}
	dtoUpdateSeller  = customerDTO{name: "CustomerUpdateBySellerDto", activeOnHold: true, version: true}
	dtoUpdate        = customerDTO{name: "CustomerUpdateDto", version: true}
	dtoPatchBySeller = customerDTO{name: "CustomerPatchBySellerDto", activeOnHold: true, version: true}
	dtoPatch         = customerDTO{name: "CustomerPatchDto", version: true}
)

func (d customerDTO) allows(field string) bool {
	if _, ok := customerStringFields[field]; ok {
		return true // contactEmail is in every DTO used here
	}
	switch field {
	case "id":
		return d.id
	case "password":
		return d.password
	case "active", "onHold":
		return d.activeOnHold
	}
	return slices.Contains(createDTOExtra, field)
}

var (
	customerIDRE = regexp.MustCompile(`^[\w-]{1,66}$`)
	currencyRE   = regexp.MustCompile(`^[A-Z]{3}$`)
	countryRE    = regexp.MustCompile(`^[A-Z]{2}$`)
	emailRE      = regexp.MustCompile(`^[^\s@"<>(),;:\\\[\]]+@[^\s@"<>(),;:\\\[\]]+\.[^\s@"<>(),;:\\\[\]]+$`)
)

// customerPatchResult carries what applyCustomer found besides field values.
type customerPatchResult struct {
	id      string // POST only
	version *int   // optimistic-locking precondition
}

// applyCustomer applies body to c (a working copy) per DTO and mode and
// validates every field; it returns every problem found.
func applyCustomer(c *Customer, body map[string]json.RawMessage, dto customerDTO, mode writeMode) (customerPatchResult, []errorDetail) {
	var res customerPatchResult
	var errs []errorDetail
	add := func(d *errorDetail) {
		if d != nil {
			errs = append(errs, *d)
		}
	}
	hadEmail := c.ContactEmail != ""
	for _, k := range slices.Sorted(maps.Keys(body)) {
		raw := body[k]
		if !dto.allows(k) {
			errs = append(errs, unknownField(k))
			continue
		}
		if get, ok := customerStringFields[k]; ok {
			v, d := decodeString(k, raw)
			if d == nil {
				d = checkLength(k, v, customerLengths)
			}
			add(d)
			if d == nil {
				*get(c) = v
			}
			continue
		}
		switch k {
		case "id":
			v, d := decodeString(k, raw)
			add(d)
			if d == nil && !customerIDRE.MatchString(v) {
				add(&errorDetail{Field: "id", Type: "invalid_value", Message: "Field 'id' must match ^[\\w-]{1,66}$."})
			}
			res.id = v
		case "password":
			// Accepted and discarded: the emulator never stores secrets.
			_, d := decodeString(k, raw)
			add(d)
		case "active", "onHold":
			var b bool
			if isNull(raw) || json.Unmarshal(raw, &b) != nil {
				// strict: a flag cannot be "removed" by a merge patch.
				add(&errorDetail{Field: k, Type: "invalid_type", Message: fmt.Sprintf("Field '%s' must be a boolean.", k)})
				continue
			}
			if k == "active" {
				c.Active = b
			} else {
				c.OnHold = b
			}
		case "b2b":
			add(applyB2B(c, raw, mode))
		case "mixins":
			m, d := applyObject(c.Mixins, "mixins", raw, mode)
			add(d)
			c.Mixins = m
		case "metadata":
			m, v, ds := applyMetadata(c.MetadataMixins, raw, mode, dto.version)
			errs = append(errs, ds...)
			c.MetadataMixins, res.version = m, v
		case "restriction":
			// The schema makes it nullable: null removes it. Whether the value is
			// in the tenant's list is checked by the server (checkRestriction).
			if isNull(raw) {
				c.Restriction = ""
				continue
			}
			v, d := decodeString(k, raw)
			add(d)
			if d == nil {
				c.Restriction = v
			}
		}
	}
	errs = append(errs, validateCustomer(c, hadEmail)...)
	return res, errs
}

func applyB2B(c *Customer, raw json.RawMessage, mode writeMode) *errorDetail {
	if isNull(raw) {
		if mode == modeCreate {
			d := detail("b2b", "invalid_type", "Field 'b2b' must be an object.")
			return &d
		}
		c.B2B = nil
		return nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		d := detail("b2b", "invalid_type", "Field 'b2b' must be an object.")
		return &d
	}
	b := B2B{}
	if c.B2B != nil && mode == modePatch {
		b = *c.B2B
	}
	for k, v := range obj {
		if k != "companyRegistrationId" { // legalEntities is read-only
			d := unknownField("b2b." + k)
			return &d
		}
		s, d := decodeString("b2b.companyRegistrationId", v)
		if d != nil {
			return d
		}
		b.CompanyRegistrationID = s
	}
	c.B2B = &b
	if b.CompanyRegistrationID == "" {
		c.B2B = nil
	}
	return nil
}

// validateCustomer checks the resulting profile.
func validateCustomer(c *Customer, hadEmail bool) []errorDetail {
	var errs []errorDetail
	switch {
	case c.ContactEmail == "" && hadEmail:
		errs = append(errs, detail("contactEmail", "invalid_value", "contactEmail cannot be unset once a value is present."))
	case c.ContactEmail == "":
		// strict: the MD treats contactEmail as mandatory; the emulator requires it on create.
		errs = append(errs, detail("contactEmail", "missing_value", "contactEmail is required."))
	case !emailRE.MatchString(c.ContactEmail):
		errs = append(errs, detail("contactEmail", "invalid_value", "contactEmail %q is not a valid e-mail address.", c.ContactEmail))
	}
	if c.PreferredCurrency != "" && (!currencyRE.MatchString(c.PreferredCurrency) || !currency.IsValid(c.PreferredCurrency)) {
		// strict: an upper-case, existing ISO 4217 code.
		errs = append(errs, detail("preferredCurrency", "invalid_value",
			"preferredCurrency %q is not an ISO 4217 currency code.", c.PreferredCurrency))
	}
	if c.Type != "" && c.Type != "CUSTOMER" && c.Type != "CONTACT" {
		errs = append(errs, detail("type", "invalid_value", "type must be CUSTOMER or CONTACT."))
	}
	if c.B2B != nil && c.B2B.CompanyRegistrationID != "" {
		// strict: the customer-managed spec's rule applied here too.
		for _, f := range []struct{ name, v string }{{"firstName", c.FirstName}, {"lastName", c.LastName}, {"company", c.Company}} {
			if f.v == "" {
				errs = append(errs, detail(f.name, "missing_value",
					"%s is required when b2b.companyRegistrationId is set.", f.name))
			}
		}
	}
	return errs
}

// Address DTO handling.
var addressStringFields = map[string]func(*Address) *string{
	"contactName":    func(a *Address) *string { return &a.ContactName },
	"companyName":    func(a *Address) *string { return &a.CompanyName },
	"street":         func(a *Address) *string { return &a.Street },
	"streetNumber":   func(a *Address) *string { return &a.StreetNumber },
	"streetAppendix": func(a *Address) *string { return &a.StreetAppendix },
	"extraLine1":     func(a *Address) *string { return &a.ExtraLine1 },
	"extraLine2":     func(a *Address) *string { return &a.ExtraLine2 },
	"extraLine3":     func(a *Address) *string { return &a.ExtraLine3 },
	"extraLine4":     func(a *Address) *string { return &a.ExtraLine4 },
	"zipCode":        func(a *Address) *string { return &a.ZipCode },
	"city":           func(a *Address) *string { return &a.City },
	"country":        func(a *Address) *string { return &a.Country },
	"state":          func(a *Address) *string { return &a.State },
	"contactPhone":   func(a *Address) *string { return &a.ContactPhone },
}

// applyAddress applies an Address_2 (POST, withID) or AddressUpdateDto body.
// It returns the custom id (POST) and the version precondition (updates).
func applyAddress(a *Address, body map[string]json.RawMessage, mode writeMode) (id string, version *int, errs []errorDetail) {
	add := func(d *errorDetail) {
		if d != nil {
			errs = append(errs, *d)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(body)) {
		raw := body[k]
		if get, ok := addressStringFields[k]; ok {
			v, d := decodeString(k, raw)
			if d == nil {
				d = checkLength(k, v, addressLengths)
			}
			add(d)
			if d == nil {
				*get(a) = v
			}
			continue
		}
		switch k {
		case "id":
			if mode != modeCreate { // not in AddressUpdateDto
				errs = append(errs, unknownField(k))
				continue
			}
			v, d := decodeString(k, raw)
			add(d)
			if d == nil && !customerIDRE.MatchString(v) {
				// strict: the customer-number rule, as the spec gives none for address ids.
				add(&errorDetail{Field: "id", Type: "invalid_value", Message: "Field 'id' must match ^[\\w-]{1,66}$."})
			}
			id = v
		case "isDefault":
			var b bool
			if isNull(raw) || json.Unmarshal(raw, &b) != nil {
				add(&errorDetail{Field: k, Type: "invalid_type", Message: "Field 'isDefault' must be a boolean."})
				continue
			}
			a.IsDefault = b
		case "tags":
			var tags []string
			if err := json.Unmarshal(raw, &tags); err != nil || tags == nil {
				add(&errorDetail{Field: k, Type: "invalid_type", Message: "Field 'tags' must be an array of strings."})
				continue
			}
			a.Tags = nil
			a.Tags = addTags(a.Tags, tags)
		case "mixins":
			m, d := applyObject(a.Mixins, "mixins", raw, mode)
			add(d)
			a.Mixins = m
		case "metadata":
			// Address_2.metadata has additionalProperties:false and no version.
			m, v, ds := applyMetadata(a.MetadataMixins, raw, mode, mode != modeCreate)
			errs = append(errs, ds...)
			a.MetadataMixins, version = m, v
		default:
			errs = append(errs, unknownField(k))
		}
	}
	if a.ContactName == "" {
		errs = append(errs, detail("contactName", "missing_value", "contactName is required."))
	}
	if a.Country != "" && (!countryRE.MatchString(a.Country) || !isISOCountry(a.Country)) {
		// strict: an upper-case, assigned ISO 3166-1 alpha-2 code.
		errs = append(errs, detail("country", "invalid_value",
			"country %q is not an ISO 3166-1 alpha-2 code.", a.Country))
	}
	return id, version, errs
}

// addTags adds tags with set semantics, keeping first-seen order; empty tags are ignored.
func addTags(cur, add []string) []string {
	for _, t := range add {
		if t != "" && !slices.Contains(cur, t) {
			cur = append(cur, t)
		}
	}
	return cur
}

func isISOCountry(code string) bool {
	cc := countries.ByName(code) // also resolves names and aliases such as "UK": require the exact code back
	return cc.IsValid() && cc.Alpha2() == code
}
