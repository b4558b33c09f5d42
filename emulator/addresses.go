package emulator

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// findAddress returns the customer and the index of address a, answering 404
// (customer or address body) when either is missing. Caller holds s.mu.
func (s *Server) findAddress(w http.ResponseWriter, n, a string) (*Customer, int, bool) {
	c := s.customers[n]
	if c == nil {
		customerNotFound(w, n)
		return nil, 0, false
	}
	for i := range c.Addresses {
		if c.Addresses[i].ID == a {
			return c, i, true
		}
	}
	addressNotFound(w, n, a)
	return nil, 0, false
}

// commitAddress stores addr at index i (-1 appends), keeps a single default
// address, and bumps the address and customer versions. Caller holds s.mu.
func (s *Server) commitAddress(c *Customer, i int, addr Address) {
	addr.Version++
	if i < 0 {
		c.Addresses = append(c.Addresses, addr)
		i = len(c.Addresses) - 1
		s.addrOwner[addr.ID] = c.CustomerNumber
	} else {
		c.Addresses[i] = addr
	}
	if addr.IsDefault {
		// Undocumented; the customer carries a single defaultAddress, so
		// setting a new default clears the previous one.
		for j := range c.Addresses {
			if j != i && c.Addresses[j].IsDefault {
				c.Addresses[j].IsDefault = false
				c.Addresses[j].Version++
			}
		}
	}
	c.Version++ // the MD re-reads metadata.version after address writes
	s.applied.Add(1)
}

func (s *Server) listAddresses(w http.ResponseWriter, r *http.Request) {
	n := r.PathValue("customerNumber")
	s.mu.Lock()
	c := s.customers[n]
	var out []any
	if c != nil {
		out = make([]any, 0, len(c.Addresses))
		for i := range c.Addresses {
			out = append(out, addressJSON(&c.Addresses[i]))
		}
	}
	s.mu.Unlock()
	if c == nil {
		// The contract documents this 404 without a body.
		w.WriteHeader(http.StatusNotFound)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getAddress(w http.ResponseWriter, r *http.Request) {
	n, a := r.PathValue("customerNumber"), r.PathValue("addressId")
	s.mu.Lock()
	defer s.mu.Unlock()
	c, i, ok := s.findAddress(w, n, a)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, addressJSON(&c.Addresses[i]))
}

// newAddressID returns 10 unused lowercase hex characters. Caller holds s.mu.
func (s *Server) newAddressID() string {
	for {
		id := fmt.Sprintf("%010x", s.idRand.Uint64()&(1<<40-1))
		if _, used := s.addrOwner[id]; !used {
			return id
		}
	}
}

// addressIDTaken reports whether id is used by any address of the tenant
// (strict, since the docs only say "409 if it is in use"), answering with
// status: 409 on the POST, the documented 400 on the PUT. Caller holds s.mu.
func (s *Server) addressIDTaken(w http.ResponseWriter, id string, status int) bool {
	if _, used := s.addrOwner[id]; used {
		writeError(w, status, "conflict_resource", fmt.Sprintf("Address with id '%s' already exists.", id), nil)
		return true
	}
	return false
}

func (s *Server) postAddress(w http.ResponseWriter, r *http.Request) {
	n := r.PathValue("customerNumber")
	body, _, err := readObject(w, r, ctJSON)
	if err != nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.customers[n]
	if c == nil {
		customerNotFound(w, n)
		return
	}
	var addr Address
	id, _, errs := applyAddress(&addr, body, modeCreate)
	if len(errs) > 0 {
		validationError(w, errs)
		return
	}
	if id != "" && s.addressIDTaken(w, id, http.StatusConflict) {
		return
	}
	if id == "" {
		id = s.newAddressID()
	}
	addr.ID = id
	s.commitAddress(c, -1, addr)
	writeJSON(w, http.StatusCreated, map[string]string{"id": id})
}

// putAddress upserts an address. strict: unlike the customer PUT, an address
// PUT replaces the address (omitted fields are cleared, tags included): the
// spec is silent and replace is the reading under which a partial PUT loses data.
func (s *Server) putAddress(w http.ResponseWriter, r *http.Request) {
	n, a := r.PathValue("customerNumber"), r.PathValue("addressId")
	body, _, err := readObject(w, r, ctJSON)
	if err != nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.customers[n]
	if c == nil {
		customerNotFound(w, n)
		return
	}
	idx := -1
	for i := range c.Addresses {
		if c.Addresses[i].ID == a {
			idx = i
		}
	}
	addr := Address{ID: a}
	if idx >= 0 {
		addr.Version = c.Addresses[idx].Version
	}
	_, version, errs := applyAddress(&addr, body, modePut)
	if idx < 0 && !customerIDRE.MatchString(a) {
		errs = append(errs, detail("addressId", "invalid_value", "addressId must match ^[\\w-]{1,66}$."))
	}
	if len(errs) > 0 {
		validationError(w, errs)
		return
	}
	if idx >= 0 {
		if !checkAddressVersion(w, &c.Addresses[idx], version) {
			return
		}
		s.commitAddress(c, idx, addr)
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if s.addressIDTaken(w, a, http.StatusBadRequest) { // belongs to another customer
		return
	}
	s.commitAddress(c, -1, addr)
	writeJSON(w, http.StatusCreated, map[string]string{"id": a})
}

// checkAddressVersion answers a version mismatch with 400: the address PUT
// and PATCH document no 409.
func checkAddressVersion(w http.ResponseWriter, cur *Address, version *int) bool {
	if version != nil && *version != cur.Version {
		writeError(w, http.StatusBadRequest, "optimistic_lock_failure", fmt.Sprintf(
			"Version mismatch for address %s: given %d, current %d.", cur.ID, *version, cur.Version), nil)
		return false
	}
	return true
}

func (s *Server) patchAddress(w http.ResponseWriter, r *http.Request) {
	n, a := r.PathValue("customerNumber"), r.PathValue("addressId")
	body, _, err := readObject(w, r, ctJSON, ctMergePatch)
	if err != nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, i, ok := s.findAddress(w, n, a)
	if !ok {
		return
	}
	addr := c.Addresses[i].clone()
	_, version, errs := applyAddress(&addr, body, modePatch)
	if len(errs) > 0 {
		validationError(w, errs)
		return
	}
	if !checkAddressVersion(w, &c.Addresses[i], version) {
		return
	}
	s.commitAddress(c, i, addr)
	w.WriteHeader(http.StatusOK)
}

func (s *Server) deleteAddress(w http.ResponseWriter, r *http.Request) {
	n, a := r.PathValue("customerNumber"), r.PathValue("addressId")
	if _, _, err := readObject(w, r, ctJSON); err != nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, i, ok := s.findAddress(w, n, a)
	if !ok {
		return
	}
	c.Addresses = append(c.Addresses[:i], c.Addresses[i+1:]...)
	delete(s.addrOwner, a)
	c.Version++
	s.applied.Add(1)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) postTags(w http.ResponseWriter, r *http.Request)   { s.tags(w, r, true) }
func (s *Server) deleteTags(w http.ResponseWriter, r *http.Request) { s.tags(w, r, false) }

// tags adds (POST) or removes (DELETE) ?tags=A,B with set semantics.
func (s *Server) tags(w http.ResponseWriter, r *http.Request, add bool) {
	n, a := r.PathValue("customerNumber"), r.PathValue("addressId")
	var list []string
	for _, t := range strings.Split(r.URL.Query().Get("tags"), ",") {
		if t = strings.TrimSpace(t); t != "" {
			list = append(list, t)
		}
	}
	if len(list) == 0 {
		writeError(w, http.StatusBadRequest, "bad_request", "Query parameter 'tags' is required.",
			[]errorDetail{{Field: "tags", Type: "missing_value", Message: "tags is required."}})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, i, ok := s.findAddress(w, n, a)
	if !ok {
		return
	}
	addr := c.Addresses[i].clone()
	if add {
		addr.Tags = addTags(addr.Tags, list)
	} else {
		kept := addr.Tags[:0]
		for _, t := range addr.Tags {
			if !slices.Contains(list, t) { // unknown tags are ignored
				kept = append(kept, t)
			}
		}
		addr.Tags = kept
	}
	s.commitAddress(c, i, addr)
	w.WriteHeader(http.StatusNoContent)
}
