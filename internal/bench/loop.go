package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// CurlLoop imports cs the way a user scripts the Emporix seed tutorial with
// curl: one token, then per customer one request after another — PUT create,
// PUT upsert of e-mail and language, POST each address (with its tags), POST
// the first address's tags, PATCH active/onHold — over plain net/http with
// no concurrency. It returns the number of requests sent.
//
// It is kinder than a real curl script: connections are kept alive and no
// process is started per request.
type CurlLoop struct {
	HTTP                        *http.Client
	BaseURL, Tenant, ID, Secret string
	requests                    int
	token                       string
}

// Run imports cs and returns the number of HTTP requests sent.
func (l *CurlLoop) Run(ctx context.Context, cs []Customer) (int, error) {
	l.requests = 0
	if err := l.fetchToken(ctx); err != nil {
		return l.requests, err
	}
	for _, c := range cs {
		if err := l.customer(ctx, c); err != nil {
			return l.requests, fmt.Errorf("customer %s: %w", c.Number, err)
		}
	}
	return l.requests, nil
}

func (l *CurlLoop) fetchToken(ctx context.Context) error {
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {l.ID}, "client_secret": {l.Secret}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, l.BaseURL+"/oauth/token", strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := l.send(req, http.StatusOK, &tok); err != nil {
		return fmt.Errorf("token: %w", err)
	}
	l.token = tok.AccessToken
	return nil
}

func (l *CurlLoop) customer(ctx context.Context, c Customer) error {
	cust := "/customers/" + url.PathEscape(c.Number)
	create := map[string]any{"contactEmail": c.Email, "title": c.Title, "firstName": c.FirstName,
		"lastName": c.LastName, "contactPhone": c.Phone}
	if c.Company != "" {
		create["company"] = c.Company
	}
	if err := l.json(ctx, http.MethodPut, cust+"?sendPasswordResetNotifications=false", create, nil); err != nil {
		return err
	}
	upsert := map[string]any{"contactEmail": c.Email, "preferredLanguage": c.Language, "preferredCurrency": c.Currency}
	if err := l.json(ctx, http.MethodPut, cust, upsert, nil); err != nil {
		return err
	}
	var first string
	for i, a := range c.Addresses {
		body := map[string]any{"contactName": a.ContactName, "street": a.Street, "streetNumber": a.StreetNumber,
			"zipCode": a.ZipCode, "city": a.City, "country": a.Country, "isDefault": a.IsDefault, "tags": a.Tags}
		var id struct {
			ID string `json:"id"`
		}
		if err := l.json(ctx, http.MethodPost, cust+"/addresses", body, &id); err != nil {
			return err
		}
		if i == 0 {
			first = id.ID
		}
	}
	if first != "" {
		tags := url.QueryEscape(strings.Join(c.Addresses[0].Tags, ","))
		if err := l.json(ctx, http.MethodPost, cust+"/addresses/"+url.PathEscape(first)+"/tags?tags="+tags, nil, nil); err != nil {
			return err
		}
	}
	return l.json(ctx, http.MethodPatch, cust, map[string]any{"active": true, "onHold": false}, nil)
}

// json sends one customer API request with an optional JSON body; any 2xx is success.
func (l *CurlLoop) json(ctx context.Context, method, path string, body, out any) error {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, l.BaseURL+"/customer/"+l.Tenant+path, r)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+l.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return l.send(req, 0, out)
}

// send performs req; want 0 accepts any 2xx.
func (l *CurlLoop) send(req *http.Request, want int, out any) error {
	l.requests++
	resp, err := l.HTTP.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if (want != 0 && resp.StatusCode != want) || resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("%s %s: status %d: %.200s", req.Method, req.URL.Path, resp.StatusCode, b)
	}
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("%s %s: decoding answer: %w", req.Method, req.URL.Path, err)
		}
	}
	return nil
}
