package emulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

func customerNotFound(w http.ResponseWriter, n string) {
	writeError(w, http.StatusNotFound, "application/json", "Customer not Found", []errorDetail{
		{Message: fmt.Sprintf("Couldn't find a customer with customerNumber '%s'", n)},
	})
}

func addressNotFound(w http.ResponseWriter, n, a string) {
	writeError(w, http.StatusNotFound, "resource_not_found", fmt.Sprintf("Address %s of customer %s not found.", a, n), nil)
}

// duplicateEmail answers a taken e-mail: 409 where the operation documents
// it (POST, PUT), else the documented 400 (PATCH) with the same type.
func duplicateEmail(w http.ResponseWriter, status int, email, tenant string) {
	writeError(w, status, "conflict_resource",
		fmt.Sprintf("Duplicate account '%s' for tenant '%s'.", email, tenant), nil)
}

// expandOpts is the parsed expand parameter.
type expandOpts struct {
	addresses, accounts bool
	mixins              []string // "*" or names
}

func parseExpand(v string) (expandOpts, error) {
	var e expandOpts
	for _, p := range strings.Split(v, ",") {
		p = strings.TrimSpace(p)
		switch {
		case p == "":
		case p == "addresses":
			e.addresses = true
		case p == "accounts":
			e.accounts = true
		case strings.HasPrefix(p, "mixin:") && len(p) > len("mixin:"):
			e.mixins = append(e.mixins, strings.TrimPrefix(p, "mixin:"))
		default:
			// strict: unknown expand values are refused rather than ignored.
			return e, fmt.Errorf("unknown expand value %q (use addresses, accounts, mixin:*)", p)
		}
	}
	return e, nil
}

func createdAt(c *Customer) string { return c.CreatedAt.UTC().Format("2006-01-02T15:04:05.000Z") }

// customerJSON renders CustomerForSellerDto.
func customerJSON(c *Customer, e expandOpts) map[string]any {
	m := map[string]any{
		"id":                c.CustomerNumber,
		"customerNumber":    c.CustomerNumber,
		"active":            c.Active,
		"onHold":            c.OnHold,
		"businessModel":     "B2C", // the emulator has no companies
		"metadataCreatedAt": createdAt(c),
	}
	for name, get := range customerStringFields {
		if v := *get(c); v != "" {
			m[name] = v
		}
	}
	if c.Email != "" {
		m["email"] = c.Email
	}
	if c.Restriction != "" {
		m["restriction"] = c.Restriction
	}
	if c.B2B != nil {
		m["b2b"] = map[string]any{"companyRegistrationId": c.B2B.CompanyRegistrationID}
	}
	meta := map[string]any{"version": c.Version}
	if c.MetadataMixins != nil {
		meta["mixins"] = cloneJSONMap(c.MetadataMixins)
	}
	m["metadata"] = meta
	for i := range c.Addresses {
		if c.Addresses[i].IsDefault {
			m["defaultAddress"] = addressJSON(&c.Addresses[i])
		}
	}
	if e.addresses {
		list := make([]any, 0, len(c.Addresses))
		for i := range c.Addresses {
			list = append(list, addressJSON(&c.Addresses[i]))
		}
		m["addresses"] = list
	}
	if e.accounts {
		accts := []any{}
		if c.Email != "" {
			accts = append(accts, map[string]any{"id": c.Email})
		}
		m["accounts"] = accts
	}
	if len(e.mixins) > 0 && c.Mixins != nil {
		if slices.Contains(e.mixins, "*") {
			m["mixins"] = cloneJSONMap(c.Mixins)
		} else {
			sub := map[string]any{}
			for _, name := range e.mixins {
				if v, ok := c.Mixins[name]; ok {
					sub[name] = cloneJSON(v)
				}
			}
			m["mixins"] = sub
		}
	}
	return m
}

func addressJSON(a *Address) map[string]any {
	m := map[string]any{"id": a.ID, "isDefault": a.IsDefault, "tags": append([]string{}, a.Tags...)}
	for name, get := range addressStringFields {
		if v := *get(a); v != "" {
			m[name] = v
		}
	}
	meta := map[string]any{"version": a.Version}
	if a.MetadataMixins != nil {
		meta["mixins"] = cloneJSONMap(a.MetadataMixins)
	}
	m["metadata"] = meta
	if a.Mixins != nil {
		m["mixins"] = cloneJSONMap(a.Mixins)
	}
	return m
}

// ---- list / search ----

func (s *Server) listCustomers(w http.ResponseWriter, r *http.Request) {
	s.list(w, r, r.URL.Query().Get("q"))
}

// list answers a list or search: q filters (blank = all), the query
// parameters sort, page and expand.
func (s *Server) list(w http.ResponseWriter, r *http.Request, q string) {
	var qry query
	if strings.TrimSpace(q) != "" {
		var err error
		if qry, err = parseQuery(q); err != nil {
			writeError(w, http.StatusBadRequest, "bad_request", err.Error(), []errorDetail{{Field: "q", Type: "invalid_value", Message: err.Error()}})
			return
		}
	}
	params := r.URL.Query()
	exp, err := parseExpand(params.Get("expand"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", err.Error(), nil)
		return
	}
	sorter, err := parseSort(params.Get("sort"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", err.Error(), nil)
		return
	}
	page, size, err := parsePaging(params)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", err.Error(), nil)
		return
	}
	// strict: the contract documents no maximum page size; a larger one is
	// cut to MaxPageSize without an error (and pages are counted in the size
	// actually served), so a client must notice a short page itself.
	size = min(size, s.cfg.MaxPageSize)
	s.mu.Lock()
	matches := s.matches(qry, q+"\x00"+params.Get("sort"), sorter)
	total := len(matches)
	from := min(total, (page-1)*size)
	to := min(total, from+size)
	out := make([]any, 0, to-from)
	for _, c := range matches[from:to] {
		out = append(out, customerJSON(c, exp))
	}
	s.mu.Unlock()
	// Count is the number of matches (all pages); the Management Dashboard
	// reads the same number from hybris-count.
	w.Header().Set("Count", strconv.Itoa(total))
	w.Header().Set("hybris-count", strconv.Itoa(total))
	writeJSON(w, http.StatusOK, out)
}

// listCache keeps the sorted matches of the last list query, so that paging
// through a large tenant costs O(page) per request instead of a filter and
// sort of the whole tenant each time. Any customer write invalidates it.
type listCache struct {
	key     string // q and sort
	gen     uint64 // s.gen when filled
	matches []*Customer
}

// touch records a change of customer data: cached list results are stale.
// Caller holds s.mu.
func (s *Server) touch() { s.gen++ }

// matches returns the customers matching qry in sorter's order. Caller holds s.mu.
func (s *Server) matches(qry query, key string, sorter func(a, b *Customer) int) []*Customer {
	if c := &s.lists; c.matches != nil && c.key == key && c.gen == s.gen {
		return c.matches
	}
	matches := make([]*Customer, 0)
	for _, c := range s.candidates(qry) {
		if qry.match(c) {
			matches = append(matches, c)
		}
	}
	slices.SortFunc(matches, sorter)
	s.lists = listCache{key: key, gen: s.gen, matches: matches}
	return matches
}

func (s *Server) searchCustomers(w http.ResponseWriter, r *http.Request) {
	body, _, err := readObject(w, r, ctJSON)
	if err != nil {
		return
	}
	q := ""
	var errs []errorDetail
	for k, v := range body {
		if k != "q" {
			errs = append(errs, unknownField(k))
			continue
		}
		if isNull(v) {
			continue
		}
		str, d := decodeString("q", v)
		if d != nil {
			errs = append(errs, *d)
		}
		q = str
	}
	if len(errs) > 0 {
		validationError(w, errs)
		return
	}
	s.list(w, r, q)
}

func parsePaging(v url.Values) (page, size int, err error) {
	page, size = 1, 60
	if v.Has("pageNumber") && !v.Has("pageSize") {
		return 0, 0, fmt.Errorf("pageSize is required when pageNumber is given")
	}
	for _, p := range []struct {
		name string
		dst  *int
	}{{"pageNumber", &page}, {"pageSize", &size}} {
		if !v.Has(p.name) {
			continue
		}
		n, err := strconv.Atoi(v.Get(p.name))
		if err != nil || n < 1 {
			return 0, 0, fmt.Errorf("%s must be an integer >= 1", p.name)
		}
		*p.dst = n
	}
	return page, size, nil
}

// parseSort parses "field[:asc|desc],..." into a comparison; the default order
// (and the tie-break) is creation order.
func parseSort(v string) (func(a, b *Customer) int, error) {
	type key struct {
		get  func(*Customer) string
		desc bool
	}
	var keys []key
	for _, part := range strings.Split(v, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		field, dir, _ := strings.Cut(part, ":")
		get, ok := queryField(field)
		if !ok {
			return nil, fmt.Errorf("unknown sort field %q", field)
		}
		switch strings.ToLower(dir) {
		case "", "asc":
			keys = append(keys, key{get, false})
		case "desc":
			keys = append(keys, key{get, true})
		default:
			return nil, fmt.Errorf("sort direction must be asc or desc, got %q", dir)
		}
	}
	return func(a, b *Customer) int {
		for _, k := range keys {
			c := strings.Compare(k.get(a), k.get(b))
			if k.desc {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		switch {
		case a.seq < b.seq:
			return -1
		case a.seq > b.seq:
			return 1
		}
		return 0
	}, nil
}

// ---- single customer ----

func (s *Server) getCustomer(w http.ResponseWriter, r *http.Request) {
	n := r.PathValue("customerNumber")
	exp, err := parseExpand(r.URL.Query().Get("expand"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", err.Error(), nil)
		return
	}
	s.mu.Lock()
	c := s.customers[n]
	var out map[string]any
	if c != nil {
		out = customerJSON(c, exp)
	}
	s.mu.Unlock()
	if c == nil {
		customerNotFound(w, n)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// sendReset parses sendPasswordResetNotifications (default true).
func sendReset(w http.ResponseWriter, r *http.Request) (bool, bool) {
	v := r.URL.Query()
	if !v.Has("sendPasswordResetNotifications") {
		return true, true
	}
	b, err := strconv.ParseBool(v.Get("sendPasswordResetNotifications"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", "sendPasswordResetNotifications must be true or false.", nil)
		return false, false
	}
	return b, true
}

// emailTaken reports whether another live customer uses email (case-insensitive)
// as contact or account e-mail. Caller holds s.mu.
func (s *Server) emailTaken(email, except string) bool {
	owner, ok := s.emails[strings.ToLower(email)]
	return ok && owner != except
}

// indexEmails replaces the e-mail index entries of c (old is its previous
// version, nil for a new customer). Caller holds s.mu.
func (s *Server) indexEmails(old, c *Customer) {
	if old != nil {
		for _, e := range []string{old.ContactEmail, old.Email} {
			if k := strings.ToLower(e); k != "" && s.emails[k] == old.CustomerNumber {
				delete(s.emails, k)
			}
		}
	}
	if c != nil {
		for _, e := range []string{c.ContactEmail, c.Email} {
			if e != "" {
				s.emails[strings.ToLower(e)] = c.CustomerNumber
			}
		}
	}
}

// newCustomerNumber returns an unused 8-digit number like "47718865". Caller holds s.mu.
func (s *Server) newCustomerNumber() string {
	for {
		n := strconv.Itoa(10_000_000 + s.idRand.IntN(90_000_000))
		if s.customers[n] == nil && !s.deleted[n] {
			return n
		}
	}
}

// insertCustomer stores a new customer created by a request. Caller holds s.mu.
func (s *Server) insertCustomer(c *Customer, reset bool) {
	c.PasswordResetNotification = reset
	s.store(c)
	if reset {
		s.passwordResets.Add(1)
	}
	s.applied.Add(1)
}

// store adds a new customer with the server-side values of a create. Caller holds s.mu.
func (s *Server) store(c *Customer) {
	s.seq++
	c.seq = s.seq
	c.CreatedAt = s.now().UTC()
	c.Email = c.ContactEmail
	c.Version = 1
	// Server-side defaults of CustomerCreateDto.
	for _, d := range []struct {
		p *string
		v string
	}{{&c.PreferredLanguage, "en_US"}, {&c.PreferredCurrency, "USD"}, {&c.PreferredSite, "main"}} {
		if *d.p == "" {
			*d.p = d.v
		}
	}
	s.customers[c.CustomerNumber] = c
	s.touch()
	s.indexEmails(nil, c)
}

// checkCreate validates id reuse and e-mail uniqueness for a new customer. Caller holds s.mu.
func (s *Server) checkCreate(w http.ResponseWriter, n, email string) bool {
	switch {
	case s.customers[n] != nil:
		writeError(w, http.StatusConflict, "conflict_resource", fmt.Sprintf("Customer with id '%s' already exists.", n), nil)
		return false
	case s.deleted[n]:
		// enableRecreationOfDeletedCustomer is off in the emulated tenant; the
		// status is undocumented, 409 is the plausible one.
		writeError(w, http.StatusConflict, "conflict_resource",
			fmt.Sprintf("Customer with id '%s' was deleted and cannot be recreated.", n), nil)
		return false
	case s.emailTaken(email, ""):
		duplicateEmail(w, http.StatusConflict, email, s.cfg.Tenant)
		return false
	}
	return true
}

func (s *Server) createCustomer(w http.ResponseWriter, r *http.Request) {
	reset, ok := sendReset(w, r)
	if !ok {
		return
	}
	body, _, err := readObject(w, r, ctJSON)
	if err != nil {
		return
	}
	c := &Customer{}
	res, errs := applyCustomer(c, body, dtoSignup, modeCreate)
	errs = append(errs, s.checkRestriction(c, "")...)
	if len(errs) > 0 {
		validationError(w, errs)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c.CustomerNumber = res.id
	if c.CustomerNumber == "" {
		c.CustomerNumber = s.newCustomerNumber()
	}
	if !s.checkCreate(w, c.CustomerNumber, c.ContactEmail) {
		return
	}
	s.insertCustomer(c, reset)
	writeJSON(w, http.StatusCreated, map[string]string{"id": c.CustomerNumber})
}

// putCustomer upserts. On update it keeps omitted profile fields: the
// tutorial's final GET still shows title, contactPhone and company after a PUT
// that omitted them.
func (s *Server) putCustomer(w http.ResponseWriter, r *http.Request) {
	n := r.PathValue("customerNumber")
	reset, ok := sendReset(w, r)
	if !ok {
		return
	}
	body, ct, err := readObject(w, r, ctJSON, ctMergePatch)
	if err != nil {
		return
	}
	dto, mode := dtoUpdateSeller, modePut
	if ct == ctMergePatch {
		dto, mode = dtoUpdate, modePatch // RFC 7386: nested objects merge
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.customers[n]
	if cur == nil {
		if !customerIDRE.MatchString(n) {
			validationError(w, []errorDetail{detail("customerNumber", "invalid_value", "customerNumber must match ^[\\w-]{1,66}$.")})
			return
		}
		c := &Customer{CustomerNumber: n}
		// A version on the create path is ignored: there is nothing to lock.
		_, errs := applyCustomer(c, body, dto, mode)
		if errs = append(errs, s.checkRestriction(c, "")...); len(errs) > 0 {
			validationError(w, errs)
			return
		}
		if !s.checkCreate(w, n, c.ContactEmail) {
			return
		}
		s.insertCustomer(c, reset)
		writeJSON(w, http.StatusCreated, map[string]string{"id": n})
		return
	}
	if s.updateCustomer(w, cur, body, dto, mode, http.StatusConflict) {
		w.WriteHeader(http.StatusNoContent)
	}
}

func (s *Server) patchCustomer(w http.ResponseWriter, r *http.Request) {
	n := r.PathValue("customerNumber")
	body, ct, err := readObject(w, r, ctJSON, ctMergePatch)
	if err != nil {
		return
	}
	// strict: application/merge-patch+json uses CustomerPatchDto, which has no active/onHold.
	dto := dtoPatchBySeller
	if ct == ctMergePatch {
		dto = dtoPatch
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.customers[n]
	if cur == nil {
		customerNotFound(w, n)
		return
	}
	// The PATCH documents no 409: its conflicts are answered with its 400.
	if s.updateCustomer(w, cur, body, dto, modePatch, http.StatusBadRequest) {
		// 200 with no documented body: send none, so clients cannot rely on one.
		w.WriteHeader(http.StatusOK)
	}
}

// updateCustomer applies an update to cur atomically; conflict is the status
// for a version mismatch or a taken e-mail. Caller holds s.mu.
func (s *Server) updateCustomer(w http.ResponseWriter, cur *Customer, body map[string]json.RawMessage, dto customerDTO, mode writeMode, conflict int) bool {
	work := cur.clone()
	work.Addresses = cur.Addresses // not touched by profile updates
	res, errs := applyCustomer(&work, body, dto, mode)
	errs = append(errs, s.checkRestriction(&work, cur.Restriction)...)
	if len(errs) > 0 {
		validationError(w, errs)
		return false
	}
	if res.version != nil && *res.version != cur.Version {
		// The PUT documents 409 (other Emporix services use it for a version mismatch).
		writeError(w, conflict, "optimistic_lock_failure", fmt.Sprintf(
			"Version mismatch for customer %s: given %d, current %d.", cur.CustomerNumber, *res.version, cur.Version), nil)
		return false
	}
	if work.ContactEmail != cur.ContactEmail && s.emailTaken(work.ContactEmail, cur.CustomerNumber) {
		duplicateEmail(w, conflict, work.ContactEmail, s.cfg.Tenant)
		return false
	}
	work.Version = cur.Version + 1 // every write bumps the version, even without changes
	s.indexEmails(cur, &work)
	*cur = work
	s.touch()
	s.applied.Add(1)
	return true
}

func (s *Server) deleteCustomer(w http.ResponseWriter, r *http.Request) {
	n := r.PathValue("customerNumber")
	if _, _, err := readObject(w, r, ctJSON); err != nil { // optional {} body
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.customers[n]
	if c == nil {
		customerNotFound(w, n)
		return
	}
	for _, a := range c.Addresses {
		delete(s.addrOwner, a.ID)
	}
	s.indexEmails(c, nil)
	delete(s.customers, n)
	s.touch()
	s.deleted[n] = true // the number stays reserved
	s.applied.Add(1)
	w.WriteHeader(http.StatusAccepted)
}

// candidates narrows a query through the indexes when one of its terms is an
// exact id, customerNumber or contactEmail match, so that a lookup per imported
// row stays O(1) on large tenants; Match still filters the result exactly.
// Caller holds s.mu.
func (s *Server) candidates(q query) map[string]*Customer {
	for _, t := range q {
		if t.Field != "id" && t.Field != "customerNumber" && t.Field != "contactEmail" {
			continue
		}
		if slices.ContainsFunc(t.Alts, func(a queryAlt) bool { return a.Pred != "" || a.Regex != nil }) {
			continue
		}
		out := map[string]*Customer{}
		for _, a := range t.Alts {
			n := a.Value
			if t.Field == "contactEmail" {
				n = s.emails[strings.ToLower(a.Value)]
			}
			if c := s.customers[n]; c != nil {
				out[n] = c
			}
		}
		return out
	}
	return s.customers
}

// checkRestriction refuses a restriction that is not in the tenant's list
// (Config.Restrictions); an unchanged one (was) is not re-checked.
func (s *Server) checkRestriction(c *Customer, was string) []errorDetail {
	if c.Restriction == "" || c.Restriction == was || slices.Contains(s.cfg.Restrictions, c.Restriction) {
		return nil
	}
	return []errorDetail{detail("restriction", "invalid_value",
		"Restriction %q is not in the tenant's list of valid restrictions.", c.Restriction)}
}
