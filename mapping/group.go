package mapping

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"math"
	"runtime"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/emporix-import/emporix-import/sheet"
	"golang.org/x/sync/errgroup"
)

// Opener opens the input. Prepare reads it once; Emit replays the rows kept
// in a temporary spool, so a slow parse (XLSX) is paid once.
type Opener func() (sheet.Reader, error)

// Index is the result of the first pass over an input: the bound header and
// where each customer group ends, enough to stream complete groups in the
// second pass while holding only the rows of groups not yet complete. The
// rows themselves wait in a spool on disk. Close removes it.
type Index struct {
	Input    string   // input file name, for messages
	Header   []string // the input's header, as read
	Binder   *Binder
	Unmapped []string // input columns no field uses (echoed in the report)
	Rows     int      // data rows
	Groups   int      // customer groups; each row without a match key is a group of its own

	spool *sheet.Spool
	seed  maphash.Seed
	// last maps a group key's 64-bit hash to the Seq of the group's last row:
	// ~12 bytes per customer plus map overhead, instead of the key strings.
	last map[uint64]int32
	// preflight holds group-level problems found in the first pass, by key hash.
	preflight map[uint64][]string
}

// identity is the first row that used an e-mail (or customer number).
type identity struct {
	key uint64 // hash of the group key
	num int32  // its spreadsheet row number
}

// Prepare reads the input once: binds the header and indexes the match keys so
// that Emit can hand out each group as soon as its last row is read. It also
// finds the pre-flight conflicts: one e-mail under two customer numbers (or,
// with match: contactEmail, one customer number under two e-mails).
// Config errors (*ConfigError from Bind) come back before any row is read.
func Prepare(ctx context.Context, input string, open Opener, m *Mapping) (*Index, error) {
	rd, err := open()
	if err != nil {
		return nil, inputError("open", input, err)
	}
	defer rd.Close()
	b, err := m.Bind(input, rd.Header())
	if err != nil {
		return nil, err
	}
	spool, err := sheet.NewSpool("", rd.Header())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", input, err)
	}
	p := &Index{
		Input: input, Header: b.Header(), Binder: b, Unmapped: b.Unmapped(),
		spool: spool, seed: maphash.MakeSeed(),
		last: make(map[uint64]int32),
	}
	if err := p.index(ctx, rd, m); err != nil {
		spool.Close()
		return nil, err
	}
	return p, nil
}

// index reads every row into the spool, counting rows and groups and noting
// each group's last row and the pre-flight conflicts. The reader runs in a
// goroutine of its own, a batch of rows ahead: parsing (CSV decoding, XLSX
// XML) and indexing share the CPUs.
func (p *Index) index(ctx context.Context, rd sheet.Reader, m *Mapping) error {
	eg, ectx := errgroup.WithContext(ctx)
	batches := make(chan []sheet.Row, 4)
	eg.Go(func() error {
		for {
			rows, err := readBatch(ectx, rd)
			if errors.Is(err, io.EOF) {
				close(batches) // only after the last batch: closed means complete
				return nil
			}
			if err != nil {
				if ectx.Err() == nil {
					err = inputError("read", p.Input, err)
				}
				return err
			}
			select {
			case batches <- rows:
			case <-ectx.Done():
				return ectx.Err()
			}
		}
	})
	eg.Go(func() error {
		ix := indexer{Index: p, m: m, others: make(map[uint64]identity), reported: make(map[[2]uint64]bool)}
		for {
			select {
			case rows, ok := <-batches:
				if !ok {
					return nil
				}
				for _, r := range rows {
					if err := ix.note(r); err != nil {
						return err
					}
				}
			case <-ectx.Done():
				return ectx.Err()
			}
		}
	})
	err := eg.Wait()
	p.Groups += len(p.last) // note counted the rows without a key
	return err
}

// readBatch reads the next batch of rows; io.EOF only when none is left.
func readBatch(ctx context.Context, rd sheet.Reader) ([]sheet.Row, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rows := make([]sheet.Row, 0, batchSize)
	for len(rows) < batchSize {
		r, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		rows = append(rows, r)
	}
	if len(rows) == 0 {
		return nil, io.EOF
	}
	return rows, nil
}

// batchSize is how many rows one goroutine hands to the next at a time.
const batchSize = 256

// indexer is the state of the first pass beyond the Index itself.
type indexer struct {
	*Index
	m        *Mapping
	others   map[uint64]identity // first row of each other identity
	reported map[[2]uint64]bool  // conflicts already reported, by key pair
}

// note spools a row and indexes its keys.
func (ix *indexer) note(r sheet.Row) error {
	p := ix.Index
	if r.Seq != p.Rows || r.Seq >= math.MaxInt32 {
		return fmt.Errorf("read %s: row %d: unexpected sequence number %d", p.Input, r.Num, r.Seq)
	}
	if err := p.spool.Add(r); err != nil {
		return fmt.Errorf("%s: %w", p.Input, err)
	}
	p.Rows++
	key, other, ok := p.Binder.matchKey(r)
	if !ok {
		p.Groups++
		return nil
	}
	kh := p.hash(key)
	p.last[kh] = int32(r.Seq) // one map operation per row: index adds len(last) to Groups

	if other == "" {
		return nil
	}
	oh := p.hash(other)
	first, seen := ix.others[oh]
	if !seen {
		ix.others[oh] = identity{key: kh, num: int32(r.Num)}
		return nil
	}
	if first.key == kh || ix.reported[[2]uint64{first.key, kh}] {
		return nil
	}
	ix.reported[[2]uint64{first.key, kh}] = true
	msg := fmt.Sprintf("rows %d and %d: contactEmail %s is used under two customer numbers",
		first.num, r.Num, quote(other))
	if ix.m.Match == MatchContactEmail {
		msg = fmt.Sprintf("rows %d and %d: customerNumber %s is used with two e-mail addresses",
			first.num, r.Num, quote(other))
	}
	if p.preflight == nil {
		p.preflight = make(map[uint64][]string)
	}
	p.preflight[first.key] = append(p.preflight[first.key], msg)
	p.preflight[kh] = append(p.preflight[kh], msg)
	return nil
}

// inputError names the input in an error from opening or reading it, unless
// the error (a *sheet.Error) names it already.
func inputError(op, input string, err error) error {
	if _, ok := errors.AsType[*sheet.Error](err); ok {
		return err
	}
	return fmt.Errorf("%s %s: %w", op, input, err)
}

func (p *Index) hash(s string) uint64 { return maphash.String(p.seed, s) }

// Close removes the spooled rows.
func (p *Index) Close() error { return p.spool.Close() }

// Emit replays the rows of the first pass, maps every row and calls emit with
// each group as soon as its last row has been read: rows in input order,
// customer fields merged. Emission order is thus by a group's last row. An
// error from emit, or ctx ending, stops the pass and is returned as is.
//
// Mapping is most of the work: batches of replayed rows are mapped by one
// goroutine per CPU while the grouping and emit (which writes the report or
// feeds the sync) take the mapped batches in input order. emit is therefore
// called on a goroutine of Emit's own, one call at a time.
func (p *Index) Emit(ctx context.Context, emit func(*Group) error) error {
	rd, err := p.spool.Replay()
	if err != nil {
		return fmt.Errorf("%s: %w", p.Input, err)
	}
	defer rd.Close()
	workers := runtime.GOMAXPROCS(0)
	eg, ectx := errgroup.WithContext(ctx)
	jobs := make(chan mapJob, workers)
	order := make(chan chan []mappedRow, 2*workers)
	eg.Go(func() error {
		defer close(jobs)
		for {
			res, err := p.replayBatch(ectx, rd, jobs)
			if errors.Is(err, io.EOF) {
				close(order) // only after the last batch: closed means complete
				return nil
			}
			if err != nil {
				return err
			}
			select {
			case order <- res:
			case <-ectx.Done():
				return ectx.Err()
			}
		}
	})
	for range workers {
		eg.Go(func() error {
			for j := range jobs {
				j.out <- p.mapBatch(j.rows)
			}
			return nil
		})
	}
	eg.Go(func() error { return p.groupBatches(ectx, order, emit) })
	return eg.Wait()
}

// groupBatches takes the mapped batches in input order and emits each group
// as soon as it is complete.
func (p *Index) groupBatches(ctx context.Context, order <-chan chan []mappedRow, emit func(*Group) error) error {
	pending := make(map[uint64]*Group)
	rows := 0
	for {
		var batch []mappedRow
		select {
		case res, ok := <-order:
			if !ok {
				if rows != p.Rows || len(pending) > 0 {
					return fmt.Errorf("%s: internal error: %d rows replayed, %d in the first pass", p.Input, rows, p.Rows)
				}
				return nil
			}
			select {
			case batch = <-res:
			case <-ctx.Done():
				return ctx.Err()
			}
		case <-ctx.Done():
			return ctx.Err()
		}
		for _, m := range batch {
			if err := ctx.Err(); err != nil {
				return err
			}
			rows++
			if err := p.add(pending, m, emit); err != nil {
				return err
			}
		}
	}
}

// mapJob is a batch of replayed rows to map; the mapped batch goes to out.
type mapJob struct {
	rows []sheet.Row
	out  chan []mappedRow
}

// replayBatch reads the next batch of rows from the spool and hands it to a
// mapper; the returned channel will carry the mapped batch. io.EOF: no rows left.
func (p *Index) replayBatch(ctx context.Context, rd sheet.Reader, jobs chan<- mapJob) (chan []mappedRow, error) {
	rows, err := readBatch(ctx, rd)
	if err != nil {
		if !errors.Is(err, io.EOF) && ctx.Err() == nil {
			err = fmt.Errorf("%s: %w", p.Input, err)
		}
		return nil, err
	}
	j := mapJob{rows: rows, out: make(chan []mappedRow, 1)}
	select {
	case jobs <- j:
		return j.out, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (p *Index) mapBatch(rows []sheet.Row) []mappedRow {
	out := make([]mappedRow, len(rows))
	for i, r := range rows {
		row, key, ok := p.Binder.mapKeyed(r)
		out[i] = mappedRow{row: row, seq: r.Seq, key: key, ok: ok}
	}
	return out
}

// mappedRow is a replayed row, mapped, with its group key (ok=false: none).
type mappedRow struct {
	row *Row
	seq int
	key string
	ok  bool
}

// add puts a mapped row into its group and emits the group if the row is its last.
func (p *Index) add(pending map[uint64]*Group, m mappedRow, emit func(*Group) error) error {
	schema := p.Binder.schema
	if !m.ok {
		return emit(&Group{Schema: schema, Rows: []*Row{m.row}, Customer: m.row.Customer})
	}
	kh := p.hash(m.key)
	last, known := p.last[kh]
	if !known {
		return fmt.Errorf("%s: internal error: row %d has a key the first pass did not see", p.Input, m.row.Num)
	}
	g := pending[kh]
	if g == nil {
		g = &Group{Schema: schema, Key: m.key}
		pending[kh] = g
	} else if g.Key != m.key {
		// Two keys with one 64-bit hash: astronomically rare, but never merge them silently.
		return fmt.Errorf("%s: internal hash collision between keys %q and %q", p.Input, g.Key, m.key)
	}
	g.Rows = append(g.Rows, m.row)
	if m.seq < int(last) {
		return nil
	}
	delete(pending, kh)
	g.finish(p.preflight[kh])
	return emit(g)
}

// finish merges the rows' customer fields (first value wins) and records a
// conflict, naming both rows, wherever two rows disagree.
func (g *Group) finish(preflight []string) {
	g.Errors = append(g.Errors, preflight...)
	g.checkDefaults()
	if g.firstRowHasAll() {
		// Typical: later rows repeat the key (and maybe other fields) and add
		// nothing; the merge is the first row's fields, shared as for one row.
		g.Customer = g.Rows[0].Customer
		return
	}
	g.Customer = make(Fields, len(g.Rows[0].Customer))
	for _, def := range g.Fields().Customer { // fixed order: deterministic messages
		field := def.Name
		for _, r := range g.Rows {
			v, ok := r.Customer[field]
			if !ok {
				continue
			}
			have, seen := g.Customer[field]
			if !seen {
				g.Customer[field] = v
				continue
			}
			if !sameValue(def, have, v) {
				a, b := showValue(have), showValue(v)
				if def.Secret {
					a, b = redacted, redacted
				}
				g.Errors = append(g.Errors, fmt.Sprintf("rows %d and %d: conflicting %s %s vs %s",
					g.firstWith(field), r.Num, field, a, b))
			}
		}
	}
}

// firstRowHasAll reports whether every customer field of the later rows is
// also in the first row, with the same value: then the merge is the first
// row's fields and there is no conflict.
func (g *Group) firstRowHasAll() bool {
	if len(g.Rows) == 1 {
		return true
	}
	first := g.Rows[0].Customer
	for _, def := range g.Fields().Customer {
		have, inFirst := first[def.Name]
		for _, r := range g.Rows[1:] {
			if v, ok := r.Customer[def.Name]; ok && (!inFirst || !sameValue(def, have, v)) {
				return false
			}
		}
	}
	return true
}

// firstWith is the number of the first row that has the customer field.
func (g *Group) firstWith(field string) int {
	for _, r := range g.Rows {
		if _, ok := r.Customer[field]; ok {
			return r.Num
		}
	}
	return 0
}

// checkDefaults refuses two different default addresses for one customer:
// Emporix keeps one default, so every sync would flip it back and forth.
// Content keys are built only once a second default address appears.
func (g *Group) checkDefaults() {
	var first *Address
	firstKey, firstRow := "", 0
	for _, r := range g.Rows {
		for i := range r.Addresses {
			a := &r.Addresses[i]
			if v := a.Fields["isDefault"]; v.Clear || v.S != "true" {
				continue
			}
			if first == nil {
				first, firstRow = a, r.Num
				continue
			}
			if firstKey == "" {
				firstKey = first.Key()
			}
			if a.Key() != firstKey {
				g.Errors = append(g.Errors, fmt.Sprintf("rows %d and %d: two different addresses have address.isDefault true", firstRow, r.Num))
				return
			}
		}
	}
}

// AddressKeyFields identify an unkeyed address by content.
var AddressKeyFields = []string{"contactName", "street", "streetNumber", "zipCode", "city", "country"}

// ContentKey is an address's identity: the key fields, case and space
// insensitive (each lower-cased, its white-space runs made one space and
// trimmed; fields joined by \x1f). Built in one buffer: it runs for every
// address of every row.
func ContentKey(get func(field string) string) string {
	var buf [8]string // on the stack while AddressKeyFields has at most 8 names
	vals := buf[:0]
	n := len(AddressKeyFields) - 1
	for _, f := range AddressKeyFields {
		vals = append(vals, get(f))
		n += len(vals[len(vals)-1])
	}
	var b strings.Builder
	b.Grow(n) // one allocation unless lower-casing grows the text
	for i := range AddressKeyFields {
		if i > 0 {
			b.WriteByte('\x1f')
		}
		appendFolded(&b, vals[i])
	}
	return b.String()
}

// appendFolded writes strings.Join(strings.Fields(strings.ToLower(s)), " ").
func appendFolded(b *strings.Builder, s string) {
	space := false // a space is pending: written before the next non-space
	start := b.Len()
	for _, r := range s { // invalid UTF-8 reads as U+FFFD, as strings.ToLower writes it
		if r < utf8.RuneSelf && asciiSpace[r] || r >= utf8.RuneSelf && unicode.IsSpace(r) {
			space = b.Len() > start
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		if 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		} else if r >= utf8.RuneSelf {
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
}

// asciiSpace are the ASCII characters unicode.IsSpace accepts.
var asciiSpace = [utf8.RuneSelf]bool{'\t': true, '\n': true, '\v': true, '\f': true, '\r': true, ' ': true}

// Key is the content key of a sheet address.
func (a Address) Key() string {
	return ContentKey(func(f string) string {
		if v, ok := a.Fields[f]; ok && !v.Clear {
			return v.S
		}
		return ""
	})
}

func sameValue(def *Field, a, b Value) bool {
	if a.Clear || b.Clear {
		return a.Clear == b.Clear
	}
	if def.Fold {
		return strings.EqualFold(a.S, b.S)
	}
	return a.S == b.S && slices.Equal(a.List, b.List)
}

func showValue(v Value) string {
	if v.Clear {
		return "(clear)"
	}
	if v.List != nil {
		return quote(strings.Join(v.List, ","))
	}
	return quote(v.S)
}

// Email returns the group's merged contactEmail, or "" if none was given. For
// a new customer the importer must require it (only checkable online).
func (g *Group) Email() string {
	if v, ok := g.Customer[MatchContactEmail]; ok && !v.Clear {
		return v.S
	}
	return ""
}
