package bench

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"iter"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/emporix-import/emporix-import/mapping"
)

// Customer is one synthetic customer with 1–2 addresses.
type Customer struct {
	Number, Email, Title, FirstName, LastName, Phone, Company string
	Language, Currency                                        string
	Addresses                                                 []Address
}

// Address is one synthetic address; Tags are Emporix address tags.
type Address struct {
	ContactName, Street, StreetNumber, ZipCode, City, Country string
	IsDefault                                                 bool
	Tags                                                      []string
}

var (
	firstNames = []string{"Anna", "Jürgen", "Sabine", "Klaus", "Monika", "Peter", "Ursula", "Thomas", "Petra", "Michael",
		"Renate", "Stefan", "Gabriele", "Andreas", "Karin", "Frank", "Brigitte", "Markus", "Heike", "Lukas"}
	lastNames = []string{"Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz",
		"Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Schwarz", "Zimmermann"}
	streets = []string{"Hauptstraße", "Bahnhofstraße", "Gartenweg", "Schulstraße", "Dorfstraße", "Lindenallee",
		"Kirchplatz", "Am Markt", "Bergstraße", "Waldweg"}
	cities = []struct{ zip, city, country string }{
		{"10119", "Berlin", "DE"}, {"01067", "Dresden", "DE"}, {"80802", "München", "DE"}, {"20095", "Hamburg", "DE"},
		{"1090", "Wien", "AT"}, {"5020", "Salzburg", "AT"}, {"8008", "Zürich", "CH"}, {"3011", "Bern", "CH"},
	}
	titles = []string{"MR", "MRS", "MS", "DR"}
)

// Generate returns n deterministic customers numbered B0000001…; about half
// have a second address, every address carries tags.
func Generate(n int, seed uint64) []Customer {
	return slices.Collect(Stream(n, seed))
}

// Stream yields the customers of Generate one by one, so that files of
// millions of rows need no memory.
func Stream(n int, seed uint64) iter.Seq[Customer] {
	return func(yield func(Customer) bool) {
		r := rand.New(rand.NewPCG(seed, 0xbe7c4))
		for i := range n {
			if !yield(newCustomer(i+1, r)) {
				return
			}
		}
	}
}

func newCustomer(num int, r *rand.Rand) Customer {
	first, last := firstNames[r.IntN(len(firstNames))], lastNames[r.IntN(len(lastNames))]
	c := Customer{
		Number:    fmt.Sprintf("B%07d", num),
		Email:     fmt.Sprintf("user%07d@example.com", num),
		Title:     titles[r.IntN(len(titles))],
		FirstName: first,
		LastName:  last,
		Phone:     fmt.Sprintf("+49 30 %07d", r.IntN(10_000_000)),
		Language:  "de_DE",
		Currency:  "EUR",
	}
	if r.IntN(4) == 0 {
		c.Company = last + " GmbH"
	}
	naddr := 1 + r.IntN(2)
	for j := range naddr {
		loc := cities[r.IntN(len(cities))]
		a := Address{
			ContactName:  first + " " + last,
			Street:       streets[r.IntN(len(streets))],
			StreetNumber: strconv.Itoa(1 + r.IntN(200)),
			ZipCode:      loc.zip,
			City:         loc.city,
			Country:      loc.country,
			IsDefault:    j == 0,
		}
		switch {
		case naddr == 1:
			a.Tags = []string{"BILLING", "SHIPPING"}
		case j == 0:
			a.Tags = []string{"BILLING"}
		default:
			a.Tags = []string{"SHIPPING"}
		}
		c.Addresses = append(c.Addresses, a)
	}
	return c
}

// WithChangedFirstNames returns a copy of cs in which k customers, spread
// evenly, have a different first name (and nothing else changed).
func WithChangedFirstNames(cs []Customer, k int) (out []Customer, changed []string) {
	out = append([]Customer(nil), cs...)
	if k <= 0 || len(cs) == 0 {
		return out, nil
	}
	k = min(k, len(cs))
	step := len(cs) / k
	for i := 0; i < k; i++ {
		c := &out[i*step]
		c.FirstName += "x"
		changed = append(changed, c.Number)
	}
	return out, changed
}

// Rows returns the number of input rows cs produces (one per address).
func Rows(cs []Customer) int {
	n := 0
	for _, c := range cs {
		n += max(1, len(c.Addresses))
	}
	return n
}

// records streams cs as canonical-column records: one row per address, the
// customer columns only on a customer's first row (as in samples/customers.csv).
func records(cs iter.Seq[Customer], emit func([]string) error) (rows int, err error) {
	if err := emit(mapping.CanonicalColumns()); err != nil {
		return 0, err
	}
	cols := mapping.CanonicalColumns()
	at := make(map[string]int, len(cols))
	for i, c := range cols {
		at[c] = i
	}
	rec := make([]string, len(cols))
	set := func(col, v string) { rec[at[col]] = v }
	for c := range cs {
		for j, a := range c.Addresses {
			clear(rec)
			set("customerNumber", c.Number)
			if j == 0 {
				set("contactEmail", c.Email)
				set("title", c.Title)
				set("firstName", c.FirstName)
				set("lastName", c.LastName)
				set("contactPhone", c.Phone)
				set("company", c.Company)
				set("preferredLanguage", c.Language)
				set("preferredCurrency", c.Currency)
				set("active", "true")
				set("onHold", "false")
			}
			set("address.contactName", a.ContactName)
			set("address.street", a.Street)
			set("address.streetNumber", a.StreetNumber)
			set("address.zipCode", a.ZipCode)
			set("address.city", a.City)
			set("address.country", a.Country)
			set("address.tags", strings.Join(a.Tags, ","))
			set("address.isDefault", strconv.FormatBool(a.IsDefault))
			if err := emit(rec); err != nil {
				return rows, err
			}
			rows++
		}
	}
	return rows, nil
}

// WriteCSV writes cs as a UTF-8 CSV with the canonical columns and returns
// the number of data rows.
func WriteCSV(path string, cs iter.Seq[Customer]) (rows int, err error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, fmt.Errorf("bench: %w", err)
	}
	defer func() { err = errors.Join(err, f.Close()) }()
	bw := bufio.NewWriterSize(f, 1<<16)
	w := csv.NewWriter(bw)
	if rows, err = records(cs, w.Write); err != nil {
		return rows, fmt.Errorf("bench: write %s: %w", path, err)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return rows, fmt.Errorf("bench: write %s: %w", path, err)
	}
	return rows, bw.Flush()
}

// WriteXLSX writes cs as an .xlsx workbook (string cells) with the canonical
// columns and returns the number of data rows.
func WriteXLSX(path string, cs iter.Seq[Customer]) (rows int, err error) {
	f := excelize.NewFile()
	defer func() { err = errors.Join(err, f.Close()) }()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		return 0, fmt.Errorf("bench: %w", err)
	}
	row := 1
	cells := make([]any, len(mapping.CanonicalColumns()))
	rows, err = records(cs, func(rec []string) error {
		for i, v := range rec {
			cells[i] = v
		}
		ref, err := excelize.CoordinatesToCellName(1, row)
		if err != nil {
			return err
		}
		row++
		return sw.SetRow(ref, cells)
	})
	if err != nil {
		return rows, fmt.Errorf("bench: write %s: %w", path, err)
	}
	if err := sw.Flush(); err != nil {
		return rows, fmt.Errorf("bench: write %s: %w", path, err)
	}
	return rows, f.SaveAs(path)
}
