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
// objects. Members this package does not model survive a read in Extra and
// are written back by Marshal, so a new field needs no change here.

type plainCustomer Customer
type plainAddress Address

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

// UnmarshalJSON decodes a customer, keeping unmodelled members in Extra.
func (c *Customer) UnmarshalJSON(b []byte) error {
	extra, err := unmarshalWithExtra(b, (*plainCustomer)(c), customerMembers)
	c.Extra = extra
	return err
}

// MarshalJSON encodes a customer, Extra included.
func (c Customer) MarshalJSON() ([]byte, error) {
	return marshalWithExtra(plainCustomer(c), c.Extra)
}

// UnmarshalJSON decodes an address, keeping unmodelled members in Extra.
func (a *Address) UnmarshalJSON(b []byte) error {
	extra, err := unmarshalWithExtra(b, (*plainAddress)(a), addressMembers)
	a.Extra = extra
	return err
}

// MarshalJSON encodes an address, Extra included.
func (a Address) MarshalJSON() ([]byte, error) {
	return marshalWithExtra(plainAddress(a), a.Extra)
}

func unmarshalWithExtra(b []byte, v any, known map[string]bool) (map[string]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber() // mixin numbers keep their digits
	if err := dec.Decode(v); err != nil {
		return nil, err
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return nil, err
	}
	for k := range all {
		if known[k] {
			delete(all, k)
		}
	}
	if len(all) == 0 {
		return nil, nil
	}
	return all, nil
}

func marshalWithExtra(v any, extra map[string]json.RawMessage) ([]byte, error) {
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

// Doc returns the customer as a decoded JSON object (numbers as json.Number).
func (c *Customer) Doc() map[string]any { return toDoc(c) }

// Doc returns the address as a decoded JSON object (numbers as json.Number).
func (a *Address) Doc() map[string]any { return toDoc(a) }

func toDoc(v any) map[string]any {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("emporix: encode %T: %v", v, err)) // only JSON values are ever stored
	}
	return decodeDoc(b)
}

func decodeDoc(b []byte) map[string]any {
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
	return c, fromDoc(doc, c)
}

// AddressFromDoc is the address a JSON object describes (a create body).
func AddressFromDoc(doc map[string]any) (*Address, error) {
	a := &Address{}
	return a, fromDoc(doc, a)
}

func fromDoc(doc map[string]any, v any) error {
	b, err := json.Marshal(doc)
	if err != nil {
		return fmt.Errorf("emporix: encode body: %w", err)
	}
	return json.Unmarshal(b, v)
}
