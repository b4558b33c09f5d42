package emporix

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

func addressesPath(number string) string { return customerPath(number) + "/addresses" }

func addressPath(number, id string) string { return addressesPath(number) + "/" + url.PathEscape(id) }

func requireIDs(number, id string) error {
	if err := requireID("customer number", number); err != nil {
		return err
	}
	return requireID("address id", id)
}

// ListAddresses returns all addresses of a customer.
func (c *Client) ListAddresses(ctx context.Context, number string) ([]Address, error) {
	if err := requireID("customer number", number); err != nil {
		return nil, err
	}
	k := c.newCall(http.MethodGet, addressesPath(number))
	r, err := c.do(ctx, k)
	if err != nil {
		return nil, err
	}
	var out []Address
	if err := decode(k, r, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// GetAddress fetches one address.
func (c *Client) GetAddress(ctx context.Context, number, id string) (*Address, error) {
	if err := requireIDs(number, id); err != nil {
		return nil, err
	}
	k := c.newCall(http.MethodGet, addressPath(number, id))
	r, err := c.do(ctx, k)
	if err != nil {
		return nil, err
	}
	var a Address
	if err := decode(k, r, &a); err != nil {
		return nil, err
	}
	return &a, nil
}

// AddAddress creates an address (POST, 201 {id}). Not idempotent: an unknown
// outcome wraps ErrOutcomeUnknown; list the addresses before trying again.
func (c *Client) AddAddress(ctx context.Context, number string, a *Address) (string, error) {
	if err := requireID("customer number", number); err != nil {
		return "", err
	}
	body, err := bodyOf(a, a.Extra)
	if err != nil {
		return "", fmt.Errorf("add address: encoding body: %w", err)
	}
	k, err := c.newCall(http.MethodPost, addressesPath(number)).withJSON(body)
	if err != nil {
		return "", err
	}
	r, err := c.do(ctx, k)
	if err != nil {
		return "", err
	}
	var b idBody
	if err := decode(k, r, &b); err != nil {
		return "", err
	}
	return b.ID, nil
}

// UpsertAddress PUTs an address: created reports 201 versus 204 (updated).
func (c *Client) UpsertAddress(ctx context.Context, number, id string, a *Address) (bool, error) {
	if err := requireIDs(number, id); err != nil {
		return false, err
	}
	k, err := c.newCall(http.MethodPut, addressPath(number, id)).withJSON(a)
	if err != nil {
		return false, err
	}
	r, err := c.do(ctx, k)
	if err != nil {
		return false, err
	}
	created, _, err := upserted(k, r, id)
	return created, err
}

// PatchAddress applies a merge patch to an address (200).
func (c *Client) PatchAddress(ctx context.Context, number, id string, patch map[string]any) error {
	if err := requireIDs(number, id); err != nil {
		return err
	}
	k, err := c.newCall(http.MethodPatch, addressPath(number, id)).withJSON(patch)
	if err != nil {
		return err
	}
	// The spec offers only application/json for address PATCH (AddressUpdateDto).
	_, err = c.do(ctx, k)
	return err
}

// DeleteAddress deletes an address (204). A 404 after an attempt whose answer
// was lost counts as success.
func (c *Client) DeleteAddress(ctx context.Context, number, id string) error {
	if err := requireIDs(number, id); err != nil {
		return err
	}
	k := c.newCall(http.MethodDelete, addressPath(number, id))
	k.goneOK = true
	_, err := c.do(ctx, k)
	return err
}

// AddTags adds tags to an address (POST .../tags?tags=A,B, 204). Adding a
// set of tags is idempotent, so unlike other POSTs it is retried normally.
func (c *Client) AddTags(ctx context.Context, number, id string, tags []string) error {
	return c.tags(ctx, http.MethodPost, number, id, tags)
}

// RemoveTags removes tags from an address (DELETE .../tags?tags=A,B, 204).
func (c *Client) RemoveTags(ctx context.Context, number, id string, tags []string) error {
	return c.tags(ctx, http.MethodDelete, number, id, tags)
}

func (c *Client) tags(ctx context.Context, method, number, id string, tags []string) error {
	if err := requireIDs(number, id); err != nil {
		return err
	}
	if len(tags) == 0 {
		return nil // the parameter is required; nothing to do
	}
	for _, t := range tags {
		if t == "" || strings.Contains(t, ",") {
			return fmt.Errorf("emporix: invalid tag %q: empty or containing a comma", t)
		}
	}
	k := c.newCall(method, addressPath(number, id)+"/tags")
	k.query = url.Values{"tags": {strings.Join(tags, ",")}}
	k.idempotent = true
	_, err := c.do(ctx, k)
	return err
}
