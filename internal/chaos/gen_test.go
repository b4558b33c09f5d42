package chaos

import (
	"encoding/csv"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/emporix-import/emporix-import/mapping"
)

// custSpec is one generated customer and the state the tenant must end up in.
type custSpec struct {
	Number     string // "" in the match-by-e-mail scenario (Emporix assigns one)
	Email      string // as stored: lower case
	InputEmail string // as written in the file (mixed case and padded when matching by e-mail)
	Title      string
	FirstName  string
	LastName   string
	Phone      string
	Company    string
	Language   string
	Currency   string
	Active     bool
	Addresses  []addrSpec
}

type addrSpec struct {
	ContactName, Street, StreetNumber, ZipCode, City, Country string
	Tags                                                      []string // sorted
	Default                                                   bool
}

// inputRow is one data row of the generated file: one address of one customer.
type inputRow struct {
	Cust, Addr int
}

// dataset is a generated input file and its expectation.
type dataset struct {
	Customers []custSpec
	Rows      []inputRow // in file order; the file's row number is index+2
	// Scattered counts customers whose rows are not all adjacent.
	Scattered int
}

var (
	firstNames = []string{"Anna", "Jürgen", "Zoë", "Bob", "Carla", "Đorđe", "Eve", "Frank", "Grete", "Hélène", "Ivan", "Joana"}
	lastNames  = []string{"Schmidt", "Müller", "O'Brien", "Meyer", "Rossi", "Nguyễn", "Weiß", "García", "Kowalski", "Smith"}
	companies  = []string{"", "", "ACME GmbH", `Müller, Sohn & Co "KG"`, "Initech Ltd.", "Umbrella AG"}
	streets    = []string{"Hauptstraße", "Main St", "Rue de la Paix", "Lagerweg", "Bahnhofstr.", "Via Roma", "Ringstraße"}
	cities     = []struct{ city, country string }{
		{"Berlin", "DE"}, {"Hamburg", "DE"}, {"München", "DE"}, {"Wien", "AT"}, {"Zürich", "CH"},
		{"Paris", "FR"}, {"New York", "US"}, {"Milano", "IT"},
	}
	titles    = []string{"MR", "MRS", "MS", "DR"}
	languages = []string{"de_DE", "en", "fr_FR", "it"}
	curr      = []string{"EUR", "USD", "CHF"}
	tagSets   = [][]string{nil, {"BILLING"}, {"SHIPPING"}, {"BILLING", "SHIPPING"}}
)

// generate builds n customers with 1–3 addresses each, deterministically from
// seed. byEmail drops customer numbers and writes e-mails in mixed case with
// surrounding spaces (the mapping trims and lower-cases them).
func generate(n int, seed uint64, byEmail bool) *dataset {
	r := rand.New(rand.NewPCG(seed, 0xc4a05))
	ds := &dataset{Customers: make([]custSpec, n)}
	for i := range ds.Customers {
		first, last := pick(r, firstNames), pick(r, lastNames)
		c := custSpec{
			Email:     fmt.Sprintf("chaos.%05d.%s@example.com", i, strings.ToLower(asciiOnly(last))),
			Title:     pick(r, titles),
			FirstName: first,
			LastName:  last,
			Phone:     fmt.Sprintf("+49 30 %07d", r.IntN(10_000_000)),
			Company:   pick(r, companies),
			Language:  pick(r, languages),
			Currency:  pick(r, curr),
			Active:    r.IntN(3) > 0,
		}
		c.InputEmail = c.Email
		if byEmail {
			c.InputEmail = " " + strings.ToUpper(c.Email[:1]) + c.Email[1:] + " "
		} else {
			c.Number = fmt.Sprintf("CH-%05d", i)
		}
		for k := range 1 + r.IntN(3) {
			loc := cities[r.IntN(len(cities))]
			a := addrSpec{
				ContactName: first + " " + last,
				Street:      pick(r, streets),
				// Distinct per address of a customer, so no two share a content key.
				StreetNumber: strconv.Itoa(10*k + 1 + r.IntN(9)),
				ZipCode:      fmt.Sprintf("%05d", r.IntN(100_000)), // leading zeros must survive
				City:         loc.city,
				Country:      loc.country,
				Tags:         slices.Clone(pick(r, tagSets)),
				Default:      k == 0,
			}
			c.Addresses = append(c.Addresses, a)
		}
		ds.Customers[i] = c
	}

	// One row per address, customer by customer; then move the later rows of
	// about a quarter of the multi-address customers to random places.
	var moved []inputRow
	for i, c := range ds.Customers {
		ds.Rows = append(ds.Rows, inputRow{i, 0})
		scatter := len(c.Addresses) > 1 && r.IntN(4) == 0
		for k := 1; k < len(c.Addresses); k++ {
			if scatter {
				moved = append(moved, inputRow{i, k})
			} else {
				ds.Rows = append(ds.Rows, inputRow{i, k})
			}
		}
	}
	for _, m := range moved {
		at := r.IntN(len(ds.Rows) + 1)
		ds.Rows = slices.Insert(ds.Rows, at, m)
	}
	ds.Scattered = countScattered(ds)
	return ds
}

func pick[T any](r *rand.Rand, s []T) T { return s[r.IntN(len(s))] }

func asciiOnly(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return r
		}
		return -1
	}, s)
}

// countScattered counts customers whose rows are not one contiguous block.
func countScattered(ds *dataset) int {
	first, last, count := map[int]int{}, map[int]int{}, map[int]int{}
	for i, row := range ds.Rows {
		if _, ok := first[row.Cust]; !ok {
			first[row.Cust] = i
		}
		last[row.Cust] = i
		count[row.Cust]++
	}
	n := 0
	for c := range first {
		if last[c]-first[c]+1 != count[c] {
			n++
		}
	}
	return n
}

// emailMapping is the mapping file of the match-by-e-mail scenario: canonical
// column names, but no customerNumber column at all.
const emailMapping = `match: contactEmail
customer:
  contactEmail: { column: contactEmail, transform: [trim, lower] }
  title: title
  firstName: firstName
  lastName: lastName
  contactPhone: contactPhone
  company: company
  preferredLanguage: preferredLanguage
  preferredCurrency: preferredCurrency
  active: active
addresses:
  - contactName: address.contactName
    street: address.street
    streetNumber: address.streetNumber
    zipCode: address.zipCode
    city: address.city
    country: address.country
    tags: { column: address.tags, split: "," }
    isDefault: address.isDefault
`

// writeCSV writes the dataset with the canonical header (without
// customerNumber when byEmail).
func writeCSV(t *testing.T, path string, ds *dataset, byEmail, passwords bool) {
	t.Helper()
	header := mapping.CanonicalColumns()
	if passwords {
		header = append(header, accountColumns...)
	}
	if byEmail {
		header = slices.DeleteFunc(header, func(h string) bool { return h == "customerNumber" })
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := csv.NewWriter(f)
	if err := w.Write(header); err != nil {
		t.Fatal(err)
	}
	for _, row := range ds.Rows {
		c := &ds.Customers[row.Cust]
		a := &c.Addresses[row.Addr]
		vals := map[string]string{
			"customerNumber":       c.Number,
			"contactEmail":         c.InputEmail,
			"title":                c.Title,
			"firstName":            c.FirstName,
			"lastName":             c.LastName,
			"contactPhone":         c.Phone,
			"company":              c.Company,
			"preferredLanguage":    c.Language,
			"preferredCurrency":    c.Currency,
			"active":               strconv.FormatBool(c.Active),
			"address.contactName":  a.ContactName,
			"address.street":       a.Street,
			"address.streetNumber": a.StreetNumber,
			"address.zipCode":      a.ZipCode,
			"address.city":         a.City,
			"address.country":      a.Country,
			"address.tags":         strings.Join(a.Tags, ","),
			"address.isDefault":    strconv.FormatBool(a.Default),
		}
		if passwords {
			maps.Copy(vals, accountCells(row.Cust, c))
		}
		rec := make([]string, len(header))
		for i, h := range header {
			rec[i] = vals[h]
		}
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestGenerateIsDeterministicAndScattered(t *testing.T) {
	a, b := generate(100, 7, false), generate(100, 7, false)
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Fatal("same seed, different data")
	}
	if a.Scattered == 0 {
		t.Error("no customer has non-adjacent rows")
	}
	rows := 0
	for _, c := range a.Customers {
		if n := len(c.Addresses); n < 1 || n > 3 {
			t.Errorf("%s has %d addresses", c.Number, n)
		}
		rows += len(c.Addresses)
	}
	if rows != len(a.Rows) {
		t.Errorf("%d rows for %d addresses", len(a.Rows), rows)
	}
}
