package emporix

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
)

// The sync compares and writes fields by their JSON path (one field table
// drives it), so customers and addresses are also available as decoded JSON
// objects. Members this package does not model survive a read in Extra
// (filled by decode) and a create sends them (bodyOf), so a new field needs
// no change here. Customer has no JSON methods of its own on purpose: types
// embedding it (CustomerImport) would otherwise marshal as a bare Customer.

var (
	customerMembers = jsonNames(reflect.TypeFor[Customer]())
	addressMembers  = jsonNames(reflect.TypeFor[Address]())
)

func jsonNames(t reflect.Type) map[string]bool {
	out := map[string]bool{}
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			out[name] = true
		}
	}
	return out
}

// keepExtra fills Extra of the customers or addresses v was decoded into.
func keepExtra(body []byte, v any) error {
	switch v := v.(type) {
	case *Customer:
		return extraOf(body, customerMembers, &v.Extra, v.Addresses)
	case *[]Customer:
		var raws []json.RawMessage
		if err := json.Unmarshal(body, &raws); err != nil || len(raws) != len(*v) {
			return err
		}
		for i := range *v {
			c := &(*v)[i]
			if err := extraOf(raws[i], customerMembers, &c.Extra, c.Addresses); err != nil {
				return err
			}
		}
	case *Address:
		return extraOf(body, addressMembers, &v.Extra, nil)
	case *[]Address:
		return extraOf(body, nil, nil, *v)
	}
	return nil
}

// extraOf keeps the unmodelled members of one object (known != nil) and of
// the addresses it holds (or, with known == nil, of the address array body).
func extraOf(body []byte, known map[string]bool, extra *map[string]json.RawMessage, addrs []Address) error {
	var obj map[string]json.RawMessage
	var list []json.RawMessage
	if known == nil {
		if err := json.Unmarshal(body, &list); err != nil {
			return err
		}
	} else {
		if err := json.Unmarshal(body, &obj); err != nil {
			return err
		}
		if raw, ok := obj["addresses"]; ok {
			_ = json.Unmarshal(raw, &list)
		}
		for k := range obj {
			if known[k] {
				delete(obj, k)
			}
		}
		if len(obj) > 0 {
			*extra = obj
		}
	}
	for i := range addrs {
		if i < len(list) {
			if err := extraOf(list[i], addressMembers, &addrs[i].Extra, nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// bodyOf encodes v (a *Customer or *Address) with its Extra members.
func bodyOf(v any, extra map[string]json.RawMessage) (json.RawMessage, error) {
	b, err := json.Marshal(v)
	if err != nil || len(extra) == 0 {
		return b, err
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return nil, err
	}
	for k, raw := range extra {
		if _, modelled := all[k]; !modelled {
			all[k] = raw
		}
	}
	return json.Marshal(all)
}

// Doc returns the customer as a decoded JSON object (numbers as json.Number),
// Extra included.
func (c *Customer) Doc() map[string]any {
	b, err := bodyOf(c, c.Extra)
	return decodeDoc(b, err)
}

// Doc returns the address as a decoded JSON object (numbers as json.Number),
// Extra included.
func (a *Address) Doc() map[string]any {
	b, err := bodyOf(a, a.Extra)
	return decodeDoc(b, err)
}

func decodeDoc(b []byte, err error) map[string]any {
	if err != nil {
		panic(fmt.Sprintf("emporix: encode: %v", err)) // only JSON values are ever stored
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		panic(fmt.Sprintf("emporix: decode own encoding: %v", err))
	}
	return doc
}

// CustomerFromDoc is the customer a JSON object describes (a create body).
func CustomerFromDoc(doc map[string]any) (*Customer, error) {
	c := &Customer{}
	return c, fromDoc(doc, c, customerMembers, &c.Extra)
}

// AddressFromDoc is the address a JSON object describes (a create body).
func AddressFromDoc(doc map[string]any) (*Address, error) {
	a := &Address{}
	return a, fromDoc(doc, a, addressMembers, &a.Extra)
}

func fromDoc(doc map[string]any, v any, known map[string]bool, extra *map[string]json.RawMessage) error {
	b, err := json.Marshal(doc)
	if err != nil {
		return fmt.Errorf("emporix: encode body: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("emporix: decode body: %w", err)
	}
	// The unmodelled members come from doc itself: parsing b again would
	// cost as much as the decode (the sync builds a body per create).
	for k, val := range doc {
		if known[k] {
			continue
		}
		raw, err := json.Marshal(val)
		if err != nil {
			return fmt.Errorf("emporix: encode body: %w", err)
		}
		if *extra == nil {
			*extra = map[string]json.RawMessage{}
		}
		(*extra)[k] = raw
	}
	return nil
}
