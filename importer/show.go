package importer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/emporix-import/emporix-import/emporix"
	"github.com/emporix-import/emporix-import/mapping"
	"github.com/emporix-import/emporix-import/sheet"
)

// Preview is one mapped customer as a create would send it.
type Preview struct {
	Rows []int `json:"rows"` // spreadsheet rows of the customer
	// AddressRows are the customer's rows in the address file of a two-file run.
	AddressRows []int                  `json:"addressRows,omitempty"`
	Number      string                 `json:"customerNumber,omitempty"` // the create's id; empty = Emporix assigns one
	Customer    *emporix.Customer      `json:"customer,omitempty"`       // the create body
	Account     *emporix.ImportAccount `json:"account,omitempty"`        // with a password hash: created by the bulk import
	Activation  map[string]any         `json:"activation,omitempty"`     // sent afterwards with PATCH
	Addresses   []*emporix.Address     `json:"addresses,omitempty"`      // each POSTed with its tags
	Errors      []string               `json:"errors,omitempty"`         // why nothing would be sent
	Warnings    []string               `json:"warnings,omitempty"`
}

var errShown = errors.New("shown enough")

// Show writes the first n customers of the input (offline) as JSON, as a run
// against an empty tenant would send them; invalid customers carry their
// errors instead. Secrets and hashes are redacted. It reads cfg.Input with
// cfg.MappingFile, and the address file of a two-file run.
func Show(ctx context.Context, cfg Config, n int, w io.Writer) error {
	m, err := loadMapping(cfg.MappingFile, cfg.Table)
	if err != nil {
		return err
	}
	shown := 0
	opts := m.SheetOptions()
	idx, err := mapping.Prepare(ctx, cfg.Input, func() (sheet.Reader, error) { return openInput(cfg.Input, opts, nil) }, m)
	if err != nil {
		return err
	}
	s := &session{cfg: cfg, inputs: []*mapping.Index{idx}}
	defer s.closeInputs()
	hasAddresses := len(m.Addresses) > 0
	if cfg.AddressesFile != "" {
		if _, err := s.prepareAddresses(ctx, m, idx.Rows); err != nil {
			return err
		}
		hasAddresses = true
	}
	err = s.emit(ctx, idx, func(g *mapping.Group) error {
		pv := preview(g, hasAddresses)
		if s.addr != nil {
			pv.Rows, pv.AddressRows = []int{}, nil
			for _, r := range g.Rows {
				if r.Seq >= s.addr.offset {
					pv.AddressRows = append(pv.AddressRows, r.Num)
				} else {
					pv.Rows = append(pv.Rows, r.Num)
				}
			}
		}
		if err := writePreview(w, pv); err != nil {
			return err
		}
		if shown++; shown >= n {
			return errShown
		}
		return nil
	})
	if errors.Is(err, errShown) {
		return nil
	}
	return err
}

func preview(g *mapping.Group, hasAddresses bool) Preview {
	pv := Preview{}
	for _, r := range g.Rows {
		pv.Rows = append(pv.Rows, r.Num)
		pv.Errors = append(pv.Errors, r.Errors...)
		pv.Warnings = append(pv.Warnings, r.Warnings...)
	}
	pv.Errors = append(pv.Errors, g.Errors...)
	if len(pv.Errors) > 0 {
		return pv
	}
	p := Decide(g, nil, Policy{HasAddresses: hasAddresses})
	if len(p.Invalid) > 0 {
		pv.Errors = p.Invalid // the service would refuse the create
		return pv
	}
	pv.Number, pv.Customer, pv.Activation = p.Number, p.Body, p.Activation
	pv.Account = importAccount(g.Customer)
	for _, a := range p.Addresses {
		pv.Addresses = append(pv.Addresses, a.Body)
	}
	return pv
}

// writePreview writes one indented JSON object, keeping the field order,
// with the values of secret-looking keys redacted.
func writePreview(w io.Writer, pv Preview) error {
	raw, err := json.Marshal(pv)
	if err != nil {
		return fmt.Errorf("show: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var red bytes.Buffer
	if err := redactValue(dec, &red); err != nil {
		return fmt.Errorf("show: %w", err)
	}
	var out bytes.Buffer
	if err := json.Indent(&out, red.Bytes(), "", "  "); err != nil {
		return fmt.Errorf("show: %w", err)
	}
	out.WriteByte('\n')
	_, err = out.WriteTo(w)
	return err
}

// redactValue copies one JSON value from dec to buf, replacing the values of
// keys that name credentials (password, hash, secret, token, salt).
func redactValue(dec *json.Decoder, buf *bytes.Buffer) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	d, ok := tok.(json.Delim)
	if !ok {
		b, err := json.Marshal(tok)
		buf.Write(b)
		return err
	}
	buf.WriteRune(rune(d))
	for i := 0; dec.More(); i++ {
		if i > 0 {
			buf.WriteByte(',')
		}
		if d == '{' {
			key, _ := dec.Token()
			k, _ := json.Marshal(key)
			buf.Write(k)
			buf.WriteByte(':')
			if s, _ := key.(string); isSecretKey(s) {
				var skip json.RawMessage
				if err := dec.Decode(&skip); err != nil {
					return err
				}
				buf.WriteString(`"[redacted]"`)
				continue
			}
		}
		if err := redactValue(dec, buf); err != nil {
			return err
		}
	}
	end, err := dec.Token() // the closing delimiter
	if err != nil {
		return err
	}
	buf.WriteRune(rune(end.(json.Delim)))
	return nil
}

func isSecretKey(k string) bool {
	k = strings.ToLower(k)
	for _, s := range []string{"password", "hash", "secret", "token", "salt"} {
		if strings.Contains(k, s) {
			return true
		}
	}
	return false
}
