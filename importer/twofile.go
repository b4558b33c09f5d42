package importer

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/emporix-import/emporix-import/mapping"
	"github.com/emporix-import/emporix-import/presets"
	"github.com/emporix-import/emporix-import/report"
	"github.com/emporix-import/emporix-import/sheet"
)

// addressInput is the address file of a two-file run (customers in one file,
// their addresses in another, joined by the match key). Its rows are read and
// grouped by customer before the customer file streams, and each customer
// group takes the address rows of its key; the rest are reported invalid.
// The address file's rows thus live in memory for the run.
type addressInput struct {
	file   string
	idx    *mapping.Index
	offset int // Seq of its first row: after the customer file's rows
}

// addressesMapping picks the address file's mapping: --addresses-mapping,
// else the "<preset>-addresses" companion of a customer preset, else the
// canonical columns. Its match must be the customer mapping's: that is the join.
func addressesMapping(cfg Config, m *mapping.Mapping) (*mapping.Mapping, error) {
	file := addressesMappingFile(cfg)
	am, err := loadMapping(file, cfg.Table)
	if err != nil {
		return nil, err
	}
	if file == "" {
		am.Match = m.Match // the canonical columns, keyed like the customer file
	}
	if am.Match != m.Match {
		return nil, &mapping.ConfigError{File: file, Msg: fmt.Sprintf(
			"the address file's mapping matches by %s, the customer mapping by %s: both files must carry the same key", am.Match, m.Match)}
	}
	return am, nil
}

// prepareAddresses makes the first pass over the address file; the returned
// option adds its rows to the report.
func (s *session) prepareAddresses(ctx context.Context, m *mapping.Mapping, customerRows int) (report.Option, error) {
	am, err := addressesMapping(s.cfg, m)
	if err != nil {
		return nil, err
	}
	file := s.cfg.AddressesFile
	if filepath.Clean(file) == filepath.Clean(s.cfg.Input) {
		return nil, UsageError{Err: fmt.Errorf("--addresses-file %s is the customer file itself", file)}
	}
	opts := am.SheetOptions()
	var detected sheet.Options
	idx, err := mapping.Prepare(ctx, file, func() (sheet.Reader, error) {
		return openInput(file, opts, &detected)
	}, am)
	if err != nil {
		return nil, err
	}
	s.inputs = append(s.inputs, idx)
	s.addr = &addressInput{file: file, idx: idx, offset: customerRows}
	return report.WithSecondInput(s.cfg.Input, file, "addresses", idx.Header, detected), nil
}

// emit hands out the customer groups, each joined with its address rows from
// the address file, then the address rows no customer took.
func (s *session) emit(ctx context.Context, plan *mapping.Index, fn func(*mapping.Group) error) error {
	if s.addr == nil {
		return plan.Emit(ctx, fn)
	}
	byKey := make(map[string]*mapping.Group)
	var loose []*mapping.Group // rows without a key: invalid on their own
	err := s.addr.idx.Emit(ctx, func(g *mapping.Group) error {
		for _, r := range g.Rows {
			r.Seq += s.addr.offset
		}
		if g.Key == "" {
			loose = append(loose, g)
		} else {
			byKey[g.Key] = g
		}
		return nil
	})
	if err != nil {
		return err
	}
	err = plan.Emit(ctx, func(g *mapping.Group) error {
		if ag := byKey[g.Key]; g.Key != "" && ag != nil {
			delete(byKey, g.Key)
			joinAddresses(g, ag)
		}
		return fn(g)
	})
	if err != nil {
		return err
	}
	return s.emitUnjoined(plan, byKey, loose, fn)
}

// emitUnjoined reports the address rows whose key no customer row has, in
// file order: an address needs its customer in the customer file.
func (s *session) emitUnjoined(plan *mapping.Index, byKey map[string]*mapping.Group, loose []*mapping.Group, fn func(*mapping.Group) error) error {
	rest := loose
	for _, g := range byKey {
		g.Errors = append(g.Errors, fmt.Sprintf("no customer with %s %q in %s",
			plan.Binder.Mapping().Match, g.Key, filepath.Base(s.cfg.Input)))
		rest = append(rest, g)
	}
	slices.SortFunc(rest, func(a, b *mapping.Group) int { return a.Rows[0].Seq - b.Rows[0].Seq })
	for _, g := range rest {
		if err := fn(g); err != nil {
			return err
		}
	}
	return nil
}

// joinAddresses adds a customer's rows of the address file to its group: they
// contribute addresses only (their customer fields other than the key are not
// merged). Two different default addresses across the files are refused, as
// within one file.
func joinAddresses(g, ag *mapping.Group) {
	g.Rows = append(g.Rows, ag.Rows...)
	g.Errors = append(g.Errors, ag.Errors...)
	g.Schema = g.Fields().Join(ag.Fields()) // the address fields come from the address file's mapping
	first, firstRow := "", 0
	for _, r := range g.Rows {
		for _, a := range r.Addresses {
			if v := a.Fields["isDefault"]; v.Clear || v.S != "true" {
				continue
			}
			switch k := a.Key(); {
			case firstRow == 0:
				first, firstRow = k, r.Num
			case k != first:
				msg := fmt.Sprintf("rows %d and %d: two different addresses have address.isDefault true", firstRow, r.Num)
				if !slices.Contains(g.Errors, msg) {
					g.Errors = append(g.Errors, msg)
				}
				return
			}
		}
	}
}

// fileOf names the input a result's row comes from.
func (s *session) fileOf(seq int) string {
	if s.addr != nil && seq >= s.addr.offset {
		return s.addr.file
	}
	return s.cfg.Input
}

// addrMappingFile is the address file's mapping file, for the journal.
func (s *session) addrMappingFile() string { return addressesMappingFile(s.cfg) }

// addressesMappingFile is the address file's mapping file: --addresses-mapping,
// else the "<preset>-addresses" companion of a customer preset, else "" (the
// canonical columns).
func addressesMappingFile(cfg Config) string {
	if cfg.AddressesFile == "" {
		return ""
	}
	file := cfg.AddressesMapping
	if name, ok := strings.CutPrefix(cfg.MappingFile, "preset:"); ok && file == "" {
		if _, ok := presets.Get(name + "-addresses"); ok {
			file = "preset:" + name + "-addresses"
		}
	}
	return file
}
