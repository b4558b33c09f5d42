package emulator

import (
	"fmt"
	"strings"
)

// Seed adds customers to the tenant as if they had been created through the
// API, in argument order (the default list order): server defaults, account
// e-mail, version 1 and a creation time are applied; Active, OnHold, Mixins
// and Addresses are kept as given (an address without id gets one). It is
// for tests and benchmarks that need a large tenant fast: no request is
// counted. A customer number that is invalid, taken or deleted, or an e-mail
// in use, is an error, and nothing is added then.
func (s *Server) Seed(cs ...Customer) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	numbers := make(map[string]bool, len(cs))
	emails := make(map[string]bool, len(cs))
	addrs := map[string]bool{}
	for _, c := range cs {
		n, e := c.CustomerNumber, strings.ToLower(c.ContactEmail)
		switch {
		case !customerIDRE.MatchString(n):
			return fmt.Errorf("emulator: seed: invalid customer number %q", n)
		case numbers[n] || s.customers[n] != nil || s.deleted[n]:
			return fmt.Errorf("emulator: seed: customer number %q is taken", n)
		case e != "" && (emails[e] || s.emailTaken(e, "")):
			return fmt.Errorf("emulator: seed: e-mail %q is taken", c.ContactEmail)
		}
		for _, a := range c.Addresses {
			if _, used := s.addrOwner[a.ID]; a.ID != "" && (used || addrs[a.ID]) {
				return fmt.Errorf("emulator: seed: address id %q is taken", a.ID)
			}
			addrs[a.ID] = true
		}
		numbers[n], emails[e] = true, e != ""
	}
	for i := range cs {
		c := cs[i].clone()
		for j := range c.Addresses {
			if c.Addresses[j].ID == "" {
				c.Addresses[j].ID = s.newAddressID()
			}
			s.addrOwner[c.Addresses[j].ID] = c.CustomerNumber
		}
		s.store(&c)
	}
	return nil
}
