package emporix

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// ListOptions are the query parameters of the list and search endpoints.
type ListOptions struct {
	Q          string   // query language, e.g. `firstName:John`
	Expand     []string // addresses, accounts, mixin:*
	PageNumber int      // from 1; requires PageSize
	PageSize   int      // server default 60
	Sort       string   // e.g. metadataCreatedAt:DESC
}

func (o ListOptions) values(includeQ bool) (url.Values, error) {
	if o.PageNumber < 0 || o.PageSize < 0 {
		return nil, fmt.Errorf("emporix: negative page number or size")
	}
	if o.PageNumber > 0 && o.PageSize == 0 {
		return nil, fmt.Errorf("emporix: pageNumber requires pageSize")
	}
	v := url.Values{}
	if includeQ && o.Q != "" {
		v.Set("q", o.Q)
	}
	if len(o.Expand) > 0 {
		v.Set("expand", strings.Join(o.Expand, ","))
	}
	if o.PageNumber > 0 {
		v.Set("pageNumber", strconv.Itoa(o.PageNumber))
	}
	if o.PageSize > 0 {
		v.Set("pageSize", strconv.Itoa(o.PageSize))
	}
	if o.Sort != "" {
		v.Set("sort", o.Sort)
	}
	return v, nil
}

func customerPath(number string) string { return "/customers/" + url.PathEscape(number) }

// requireID guards path parameters: an empty one would address the collection.
func requireID(what, v string) error {
	if v == "" {
		return fmt.Errorf("emporix: empty %s", what)
	}
	return nil
}

// GetCustomer fetches one customer; expand takes addresses, accounts, mixin:*.
func (c *Client) GetCustomer(ctx context.Context, number string, expand ...string) (*Customer, error) {
	if err := requireID("customer number", number); err != nil {
		return nil, err
	}
	k := c.newCall(http.MethodGet, customerPath(number))
	if len(expand) > 0 {
		k.query = url.Values{"expand": {strings.Join(expand, ",")}}
	}
	r, err := c.do(ctx, k)
	if err != nil {
		return nil, err
	}
	var cust Customer
	if err := decode(k, r, &cust); err != nil {
		return nil, err
	}
	return &cust, nil
}

// ListCustomers returns one page of customers matching opts.
func (c *Client) ListCustomers(ctx context.Context, opts ListOptions) ([]Customer, error) {
	out, _, err := c.ListCustomersTotal(ctx, opts)
	return out, err
}

// ListCustomersTotal is ListCustomers that also returns the total number of
// matches from the Count header (the spec's; hybris-count as Emporix's own
// UI reads it, as a fallback), or -1 when the answer has neither. A total
// above the page's length means the page was cut.
func (c *Client) ListCustomersTotal(ctx context.Context, opts ListOptions) ([]Customer, int, error) {
	q, err := opts.values(true)
	if err != nil {
		return nil, -1, err
	}
	k := c.newCall(http.MethodGet, "/customers")
	k.query = q
	r, err := c.do(ctx, k)
	if err != nil {
		return nil, -1, err
	}
	var out []Customer
	if err := decode(k, r, &out); err != nil {
		return nil, -1, err
	}
	return out, countHeader(r.header), nil
}

// SearchCustomers is ListCustomers with q sent in a POST body
// (POST /customers/search {"q":...}); opts.Q is ignored. It only reads, so it
// is retried like a GET.
func (c *Client) SearchCustomers(ctx context.Context, q string, opts ListOptions) ([]Customer, error) {
	qv, err := opts.values(false)
	if err != nil {
		return nil, err
	}
	k, err := c.newCall(http.MethodPost, "/customers/search").withJSON(map[string]string{"q": q})
	if err != nil {
		return nil, err
	}
	k.query = qv
	k.idempotent = true
	return c.customers(ctx, k)
}

// FindByEmail lists customers whose contactEmail matches email, using the
// quoted form q=contactEmail:"<email>" so that '+' and other specials survive.
func (c *Client) FindByEmail(ctx context.Context, email string, expand ...string) ([]Customer, error) {
	if err := requireID("e-mail", email); err != nil {
		return nil, err
	}
	return c.ListCustomers(ctx, ListOptions{Q: "contactEmail:" + quoteQ(email), Expand: expand})
}

// Found is the answer of a batch finder: the customers the page held and
// whether that page is provably every match (the Count header equals its
// length). Only a complete answer proves that an absent value has no customer.
type Found struct {
	Customers []Customer
	Complete  bool
}

// FindByNumbers looks up many customers by number with one list request
// (q=id:("a","b",…)), expanded as asked.
func (c *Client) FindByNumbers(ctx context.Context, numbers []string, expand ...string) (Found, error) {
	return c.findIn(ctx, "id", numbers, expand)
}

// FindByEmails looks up many customers by contactEmail with one list request
// (q=contactEmail:("a","b",…)). The match may be case-sensitive on the
// server: callers compare case-insensitively themselves.
func (c *Client) FindByEmails(ctx context.Context, emails []string, expand ...string) (Found, error) {
	return c.findIn(ctx, "contactEmail", emails, expand)
}

func (c *Client) findIn(ctx context.Context, field string, vals []string, expand []string) (Found, error) {
	if len(vals) == 0 {
		return Found{Complete: true}, nil
	}
	quoted := make([]string, len(vals))
	for i, v := range vals {
		if err := requireID(field, v); err != nil {
			return Found{}, err
		}
		quoted[i] = quoteQ(v)
	}
	out, total, err := c.ListCustomersTotal(ctx, ListOptions{
		Q:      field + ":(" + strings.Join(quoted, ",") + ")",
		Expand: expand, PageNumber: 1, PageSize: len(vals),
	})
	if err != nil {
		return Found{}, err
	}
	return Found{Customers: out, Complete: total >= 0 && total == len(out)}, nil
}

// quoteQ quotes a value for the q query language.
func quoteQ(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

func (c *Client) customers(ctx context.Context, k *call) ([]Customer, error) {
	r, err := c.do(ctx, k)
	if err != nil {
		return nil, err
	}
	var out []Customer
	if err := decode(k, r, &out); err != nil {
		return nil, err
	}
	return out, nil
}

type idBody struct {
	ID string `json:"id"`
}

// CreateCustomer creates a customer with POST and returns its number. A
// cust.ID asks for that number: the service answers 409 when it is in use, so
// a create never overwrites an existing customer. The POST is not idempotent: if its outcome is unknown the error wraps
// ErrOutcomeUnknown and the caller must look the customer up before trying
// again. A 409 (duplicate e-mail or id) satisfies IsConflict.
func (c *Client) CreateCustomer(ctx context.Context, cust *Customer, sendPasswordReset bool) (string, error) {
	body, err := bodyOf(cust, cust.Extra)
	if err != nil {
		return "", fmt.Errorf("create customer: encoding body: %w", err)
	}
	k, err := c.newCall(http.MethodPost, "/customers").withJSON(body)
	if err != nil {
		return "", err
	}
	k.query = url.Values{"sendPasswordResetNotifications": {strconv.FormatBool(sendPasswordReset)}}
	r, err := c.do(ctx, k)
	if err != nil {
		return "", err
	}
	var id idBody
	if err := decode(k, r, &id); err != nil {
		return "", err
	}
	return id.ID, nil
}

// UpsertCustomer PUTs body (a *Customer or a map) to /customers/{number}.
// created reports 201 (the id is returned) versus 204 (updated; id = number).
// Beware: PUT may replace the whole profile; never send a partial profile of
// an existing customer. The importer never calls it: it creates with
// CreateCustomer (POST with id, 409 when taken) and updates with PATCH.
func (c *Client) UpsertCustomer(ctx context.Context, number string, body any, sendPasswordReset bool) (created bool, id string, err error) {
	if err := requireID("customer number", number); err != nil {
		return false, "", err
	}
	k, err := c.newCall(http.MethodPut, customerPath(number)).withJSON(body)
	if err != nil {
		return false, "", err
	}
	k.query = url.Values{"sendPasswordResetNotifications": {strconv.FormatBool(sendPasswordReset)}}
	r, err := c.do(ctx, k)
	if err != nil {
		return false, "", err
	}
	return upserted(k, r, number)
}

// upserted interprets a PUT upsert answer: 201 {id} created, 204 updated.
func upserted(k *call, r *result, id string) (bool, string, error) {
	if r.status != http.StatusCreated {
		return false, id, nil
	}
	if len(strings.TrimSpace(string(r.body))) > 0 {
		var b idBody
		if err := decode(k, r, &b); err != nil {
			return true, id, err
		}
		if b.ID != "" {
			id = b.ID
		}
	}
	return true, id, nil
}

// PatchCustomer applies a partial update. It does not create: a missing
// customer is a 404.
//
// The spec gives two bodies: application/merge-patch+json (CustomerPatchDto)
// without active/onHold, and application/json (CustomerPatchBySellerDto) with
// them, so a patch touching active or onHold goes as application/json. The
// schemas' strings are not nullable: clear a field with "", never nil.
func (c *Client) PatchCustomer(ctx context.Context, number string, patch map[string]any) error {
	if err := requireID("customer number", number); err != nil {
		return err
	}
	k, err := c.newCall(http.MethodPatch, customerPath(number)).withJSON(patch)
	if err != nil {
		return err
	}
	k.contentType = "application/merge-patch+json"
	for f, v := range patch {
		// restriction is the one nullable member of the patch schemas.
		if v == nil && f != "restriction" {
			return fmt.Errorf("patch customer %s: %s: null is not allowed by the spec; clear with \"\"", number, f)
		}
	}
	_, activation := patch["active"]
	_, onHold := patch["onHold"]
	if activation || onHold {
		k.contentType = "application/json"
	}
	_, err = c.do(ctx, k)
	return err
}

// DeleteCustomer deletes a customer (202, asynchronous). A 404 after an
// attempt whose answer was lost counts as success.
func (c *Client) DeleteCustomer(ctx context.Context, number string) error {
	if err := requireID("customer number", number); err != nil {
		return err
	}
	k := c.newCall(http.MethodDelete, customerPath(number))
	k.goneOK = true
	_, err := c.do(ctx, k)
	return err
}
