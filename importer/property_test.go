package importer_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/emporix-import/emporix-import/emporix"
	"github.com/emporix-import/emporix-import/emulator"
	"github.com/emporix-import/emporix-import/importer"
)

// setPropertyChecks sets how many random scenarios each property test runs:
// a few in `make test`, many under `make chaos` (PROPERTY_CHECKS), unless
// -rapid.checks was given.
func setPropertyChecks(t *testing.T) {
	n := "20"
	if testing.Short() {
		n = "5"
	}
	if v, err := strconv.Atoi(os.Getenv("PROPERTY_CHECKS")); err == nil && v > 0 {
		n = strconv.Itoa(v)
	}
	explicit := false
	flag.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "rapid.checks" })
	if !explicit {
		if err := flag.Set("rapid.checks", n); err != nil {
			t.Fatal(err)
		}
	}
}

// writeCounter counts, per customer number, the write requests the emulator
// accepted (2xx): the ground truth a report must match.
type writeCounter struct {
	next http.Handler
	mu   sync.Mutex
	n    map[string]int
}

var customerPathRE = regexp.MustCompile(`^/customer/[^/]+/customers/([^/?]+)`)

func (wc *writeCounter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet || strings.HasSuffix(r.URL.Path, "/customers/search") || strings.HasPrefix(r.URL.Path, "/oauth") {
		wc.next.ServeHTTP(w, r)
		return
	}
	number := ""
	if m := customerPathRE.FindStringSubmatch(r.URL.Path); m != nil {
		number = m[1]
	} else if r.Method == http.MethodPost {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		var c struct{ ID string }
		_ = json.Unmarshal(body, &c)
		number = c.ID
	}
	rec := httptest.NewRecorder()
	wc.next.ServeHTTP(rec, r)
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
	if rec.Code >= 200 && rec.Code < 300 {
		wc.mu.Lock()
		wc.n[number]++
		wc.mu.Unlock()
	}
}

func (wc *writeCounter) reset() {
	wc.mu.Lock()
	wc.n = map[string]int{}
	wc.mu.Unlock()
}

type propEnv struct {
	srv    *emulator.Server
	count  *writeCounter
	client *emporix.Client
	hs     *httptest.Server
}

func newPropEnv(t interface{ Fatal(...any) }) *propEnv {
	srv := emulator.New(emulator.Config{})
	wc := &writeCounter{next: srv, n: map[string]int{}}
	hs := httptest.NewServer(wc)
	c := srv.Config()
	client, err := emporix.New(emporix.Config{BaseURL: hs.URL, Tenant: c.Tenant, ClientID: c.ClientID, ClientSecret: c.ClientSecret,
		MaxRetries: emporix.DefaultMaxRetries, RetryInitial: time.Millisecond, RetryMax: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return &propEnv{srv: srv, count: wc, client: client, hs: hs}
}

// Generated data: a few customers, names and addresses drawn from small pools
// so that files and tenants overlap often.
var (
	propNames  = []string{"", "Ann", "Bob", "Cleo"}
	propLast   = []string{"", "Lee", "Ng"}
	propCompan = []string{"", "ACME"}
	propStreet = []struct{ name, street, num, zip, city, country string }{
		{"Ann Lee", "Main St", "1", "10001", "New York", "US"},
		{"Ann Lee", "Ring", "2", "80331", "München", "DE"},
		{"Bob Ng", "Hauptstraße", "5", "10115", "Berlin", "DE"},
		{"Cleo", "Rue Neuve", "9", "75001", "Paris", "FR"},
	}
	propTags = [][]string{nil, {"BILLING"}, {"SHIPPING"}, {"BILLING", "SHIPPING"}}
)

type propAddr struct {
	pool int // index into propStreet; -1 = blank cells; -2 = only a contact name
	zip  string
	tags []string
}

type propCustomer struct {
	number, email, first, last, company, regID string
	active                                     bool
	addrs                                      []propAddr
}

func drawAddr(t *rapid.T, label string, allowBlank bool) propAddr {
	lo := 0
	if allowBlank {
		lo = -2
	}
	a := propAddr{pool: rapid.IntRange(lo, len(propStreet)-1).Draw(t, label+".pool")}
	if a.pool >= 0 {
		a.zip = propStreet[a.pool].zip
		if rapid.IntRange(0, 4).Draw(t, label+".zipChanged") == 0 {
			a.zip = "99999"
		}
	}
	a.tags = propTags[rapid.IntRange(0, len(propTags)-1).Draw(t, label+".tags")]
	return a
}

func drawCustomer(t *rapid.T, label, number string, file bool) propCustomer {
	c := propCustomer{
		number:  number,
		email:   strings.ToLower(number) + "@example.com",
		first:   rapid.SampledFrom(propNames).Draw(t, label+".first"),
		last:    rapid.SampledFrom(propLast).Draw(t, label+".last"),
		company: rapid.SampledFrom(propCompan).Draw(t, label+".company"),
		active:  rapid.Bool().Draw(t, label+".active"),
	}
	if file && rapid.IntRange(0, 4).Draw(t, label+".noEmail") == 0 {
		c.email = "" // fine for an update, invalid for a create
	}
	if rapid.IntRange(0, 5).Draw(t, label+".b2b") == 0 {
		c.regID = "ATU123"
	}
	n := rapid.IntRange(0, 3).Draw(t, label+".addresses")
	for i := range n {
		c.addrs = append(c.addrs, drawAddr(t, fmt.Sprintf("%s.addr%d", label, i), file))
	}
	return c
}

// seed creates the tenant customers through the API (valid ones only).
func (e *propEnv) seed(t *rapid.T, cs []propCustomer) {
	ctx := context.Background()
	for _, c := range cs {
		body := &emporix.Customer{ID: c.number, ContactEmail: c.email, FirstName: c.first, LastName: c.last, Company: c.company}
		if c.regID != "" && c.first != "" && c.last != "" && c.company != "" {
			body.B2B = &emporix.B2B{CompanyRegistrationID: c.regID}
		}
		if _, err := e.client.CreateCustomer(ctx, body, false); err != nil {
			t.Fatalf("seed %s: %v", c.number, err)
		}
		if c.active {
			if err := e.client.PatchCustomer(ctx, c.number, map[string]any{"active": true}); err != nil {
				t.Fatal(err)
			}
		}
		for _, a := range c.addrs {
			p := propStreet[a.pool]
			if _, err := e.client.AddAddress(ctx, c.number, &emporix.Address{ContactName: p.name, Street: p.street,
				StreetNumber: p.num, ZipCode: a.zip, City: p.city, Country: p.country, Tags: a.tags}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

var propHeader = []string{"customerNumber", "contactEmail", "firstName", "lastName", "company", "b2b.companyRegistrationId",
	"active", "address.contactName", "address.street", "address.streetNumber", "address.zipCode", "address.city",
	"address.country", "address.tags"}

// writeFile writes one row per address (at least one per customer), rows of
// different customers interleaved as drawn.
func writeFile(t *rapid.T, path string, cs []propCustomer) {
	var rows [][]string
	for _, c := range cs {
		addrs := c.addrs
		if len(addrs) == 0 {
			addrs = []propAddr{{pool: -1}}
		}
		for _, a := range addrs {
			row := []string{c.number, c.email, c.first, c.last, c.company, c.regID, strconv.FormatBool(c.active)}
			switch {
			case a.pool >= 0:
				p := propStreet[a.pool]
				row = append(row, p.name, p.street, p.num, a.zip, p.city, p.country)
			case a.pool == -2:
				row = append(row, "Only A Name", "", "", "", "", "")
			default:
				row = append(row, "", "", "", "", "", "")
			}
			rows = append(rows, append(row, strings.Join(a.tags, ",")))
		}
	}
	perm := rapid.Permutation(rows).Draw(t, "rowOrder")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := csv.NewWriter(f)
	_ = w.Write(propHeader)
	_ = w.WriteAll(perm)
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

type propScenario struct {
	tenant, file []propCustomer
	byEmail      bool // match: contactEmail (the file always has the e-mail)
	replaceAddr  bool
	replaceTags  bool
	activate     bool
}

func drawScenario(t *rapid.T) propScenario {
	var sc propScenario
	for i := 1; i <= 6; i++ {
		n := "C" + strconv.Itoa(i)
		if rapid.Bool().Draw(t, n+".inTenant") {
			sc.tenant = append(sc.tenant, drawCustomer(t, n+".tenant", n, false))
		}
		if rapid.Bool().Draw(t, n+".inFile") {
			sc.file = append(sc.file, drawCustomer(t, n+".file", n, true))
		}
	}
	if len(sc.file) == 0 {
		sc.file = append(sc.file, drawCustomer(t, "C9.file", "C9", true))
	}
	sc.byEmail = rapid.Bool().Draw(t, "matchByEmail")
	if sc.byEmail {
		for i := range sc.file {
			sc.file[i].email = strings.ToLower(sc.file[i].number) + "@example.com"
		}
	}
	sc.replaceAddr = rapid.Bool().Draw(t, "replaceAddresses")
	sc.replaceTags = rapid.Bool().Draw(t, "replaceTags")
	sc.activate = rapid.Bool().Draw(t, "activate")
	return sc
}

func (e *propEnv) importFile(t *rapid.T, dir, input string, sc propScenario, dryRun bool, name string) ([]map[string]string, error) {
	cfg := importer.Config{Input: input, Report: filepath.Join(dir, name+".csv"), Quiet: true, Client: e.client,
		Concurrency: 3, RetryInitial: time.Millisecond, JournalDir: filepath.Join(dir, name+"-journal"),
		DryRun: dryRun, ReplaceAddresses: sc.replaceAddr, ReplaceTags: sc.replaceTags, Activate: sc.activate}
	if sc.byEmail {
		cfg.MappingFile = filepath.Join(dir, "by-email.yaml")
		if err := os.WriteFile(cfg.MappingFile, []byte("match: contactEmail\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	_, err := importer.Import(context.Background(), cfg)
	if err != nil && !errors.Is(err, importer.ErrRowsFailed) {
		return nil, err
	}
	return readRows(t, cfg.Report), nil
}

func readRows(t *rapid.T, path string) []map[string]string {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]string
	for _, r := range recs[1:] {
		m := map[string]string{}
		for i, h := range recs[0] {
			m[strings.TrimPrefix(h, "\ufeff")] = r[i]
		}
		out = append(out, m)
	}
	return out
}

// requestsOf turns a customer's import_changes (the union over its rows)
// into the number of requests they stand for.
func requestsOf(changes map[string]bool) int {
	n := 0
	profile, activation := false, false
	perAddr := map[string]bool{}
	for c := range changes {
		name, _, _ := strings.Cut(c, ":")
		switch {
		case c == "customer.create", strings.HasPrefix(c, "address.create:"), strings.HasSuffix(c, "].delete"):
			n++
		case strings.HasPrefix(name, "address["):
			id, rest, _ := strings.Cut(strings.TrimPrefix(name, "address["), "]")
			kind := "patch"
			if strings.HasPrefix(rest, ".tags.") {
				kind = rest
			}
			perAddr[id+kind] = true
		case name == "active" || name == "onHold":
			activation = true
		default:
			profile = true
		}
	}
	for _, b := range []bool{profile, activation} {
		if b {
			n++
		}
	}
	return n + len(perAddr)
}

// TestPropertyReportEqualsWrites: for random tenant states and files, the
// report of each customer names exactly the writes the emulator accepted for
// it, and a row is unchanged if and only if its customer got none.
func TestPropertyReportEqualsWrites(t *testing.T) {
	setPropertyChecks(t)
	rapid.Check(t, func(t *rapid.T) {
		sc := drawScenario(t)
		e := newPropEnv(t)
		defer e.hs.Close()
		e.seed(t, sc.tenant)
		e.count.reset()
		dir, err := os.MkdirTemp("", "prop")
		if err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(dir)
		input := filepath.Join(dir, "in.csv")
		writeFile(t, input, sc.file)
		rows, err := e.importFile(t, dir, input, sc, false, "real")
		if err != nil {
			t.Fatal(err)
		}
		changes := map[string]map[string]bool{}
		status := map[string]map[string]bool{}
		for _, r := range rows {
			n := r["import_customer_number"]
			if changes[n] == nil {
				changes[n], status[n] = map[string]bool{}, map[string]bool{}
			}
			status[n][r["import_status"]] = true
			for _, c := range strings.Split(r["import_changes"], ";") {
				if c != "" {
					changes[n][c] = true
				}
			}
			if (r["import_status"] == "unchanged") != (r["import_changes"] == "" && e.count.n[n] == 0) && r["import_status"] != "invalid" {
				t.Errorf("row %s (%s): status %s, changes %q, %d writes at the emulator", r["import_row"], n, r["import_status"], r["import_changes"], e.count.n[n])
			}
			if r["import_status"] == "failed" {
				t.Errorf("row %s failed: %s", r["import_row"], r["import_message"])
			}
		}
		for n, cs := range changes {
			if got, want := requestsOf(cs), e.count.n[n]; got != want {
				t.Errorf("customer %s: report stands for %d writes %v, the emulator accepted %d", n, got, slices.Sorted(mapKeys(cs)), want)
			}
		}
		for n, w := range e.count.n {
			if _, ok := changes[n]; !ok && w > 0 {
				t.Errorf("customer %s got %d writes but has no report row", n, w)
			}
		}
	})
}

func mapKeys(m map[string]bool) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// TestPropertyDryRunPredictsRealRun: on the same tenant state the dry run's
// statuses equal the real run's, row for row.
func TestPropertyDryRunPredictsRealRun(t *testing.T) {
	setPropertyChecks(t)
	dry := map[string]string{"would_create": "created", "would_update": "updated"}
	rapid.Check(t, func(t *rapid.T) {
		sc := drawScenario(t)
		e := newPropEnv(t)
		defer e.hs.Close()
		e.seed(t, sc.tenant)
		dir, err := os.MkdirTemp("", "prop")
		if err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(dir)
		input := filepath.Join(dir, "in.csv")
		writeFile(t, input, sc.file)
		e.count.reset()
		planned, err := e.importFile(t, dir, input, sc, true, "dry")
		if err != nil {
			t.Fatal(err)
		}
		if len(e.count.n) != 0 {
			t.Fatalf("dry run wrote: %v", e.count.n)
		}
		real, err := e.importFile(t, dir, input, sc, false, "real")
		if err != nil {
			t.Fatal(err)
		}
		for i := range real {
			want := planned[i]["import_status"]
			if m, ok := dry[want]; ok {
				want = m
			}
			if got := real[i]["import_status"]; got != want {
				t.Errorf("row %s: dry run %s, real run %s (%s)", real[i]["import_row"], planned[i]["import_status"], got, real[i]["import_message"])
			}
		}
	})
}
