package importer_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emporix-import/emporix-import/emporix"
	"github.com/emporix-import/emporix-import/emulator"
	"github.com/emporix-import/emporix-import/importer"
	"github.com/emporix-import/emporix-import/internal/apispec"
	"github.com/emporix-import/emporix-import/mapping"
)

// writeLog records the write requests the tenant accepted (2xx), as
// "METHOD /path body": the ground truth the report is checked against.
type writeLog struct {
	next  http.RoundTripper
	mu    sync.Mutex
	log   []string
	reads []string // query strings of the reads, to check what they expand
}

var tenantPathRE = regexp.MustCompile(`^/customer/[^/]+`)

func (w *writeLog) RoundTrip(r *http.Request) (*http.Response, error) {
	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	res, err := w.next.RoundTrip(r)
	if r.Method == http.MethodGet {
		w.mu.Lock()
		w.reads = append(w.reads, r.URL.RawQuery)
		w.mu.Unlock()
	}
	if err == nil && r.Method != http.MethodGet && res.StatusCode < 300 && !strings.HasPrefix(r.URL.Path, "/oauth") &&
		!strings.HasSuffix(r.URL.Path, "/search") {
		w.mu.Lock()
		w.log = append(w.log, strings.TrimSpace(r.Method+" "+tenantPathRE.ReplaceAllString(r.URL.Path, "")+" "+string(body)))
		w.mu.Unlock()
	}
	return res, err
}

// expanded reports whether any read since the last call asked for mixins.
func (w *writeLog) expanded() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	reads := w.reads
	w.reads = nil
	return slices.ContainsFunc(reads, func(q string) bool { return strings.Contains(q, "mixin") })
}

func (w *writeLog) take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := w.log
	w.log = nil
	slices.Sort(out)
	return out
}

type fieldEnv struct {
	srv    *emulator.Server
	client *emporix.Client
	writes *writeLog
	dir    string
}

// newFieldEnv is an emulator behind a client whose every request and
// response is validated against the API contract.
func newFieldEnv(t *testing.T) *fieldEnv {
	t.Helper()
	srv := emulator.New(emulator.Config{Restrictions: []string{"DE", "AT"}})
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	wl := &writeLog{next: http.DefaultTransport}
	c := srv.Config()
	client, err := emporix.New(emporix.Config{
		BaseURL: hs.URL, Tenant: c.Tenant, ClientID: c.ClientID, ClientSecret: c.ClientSecret,
		HTTPClient: &http.Client{Transport: apispec.Load(t).Transport(t, wl), Timeout: 10 * time.Second},
	})
	if err != nil {
		t.Fatal(err)
	}
	return &fieldEnv{srv: srv, client: client, writes: wl, dir: t.TempDir()}
}

// run imports rows (header first, ";"-separated) and returns the report
// rows and the writes made.
func (e *fieldEnv) run(t *testing.T, name, mappingSrc string, table mapping.Table, rows ...string) ([]map[string]string, []string) {
	t.Helper()
	input := filepath.Join(e.dir, name+".csv")
	if err := os.WriteFile(input, []byte(strings.Join(rows, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := importer.Config{Input: input, Report: filepath.Join(e.dir, name+"-report.csv"), Quiet: true, Client: e.client,
		Concurrency: 2, RetryInitial: time.Millisecond, JournalDir: filepath.Join(e.dir, name+"-journal"), Table: table}
	if mappingSrc != "" {
		cfg.MappingFile = filepath.Join(e.dir, name+".yaml")
		if err := os.WriteFile(cfg.MappingFile, []byte(mappingSrc), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	e.writes.take()
	if _, err := importer.Import(context.Background(), cfg); err != nil && !errors.Is(err, importer.ErrRowsFailed) {
		t.Fatal(err)
	}
	return readReport(t, cfg.Report), e.writes.take()
}

// readReport reads the report rows (its delimiter follows the input's).
func readReport(t *testing.T, path string) []map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r := csv.NewReader(bytes.NewReader(b))
	if first, _, _ := strings.Cut(string(b), "\n"); strings.Contains(first, ";") {
		r.Comma = ';'
	}
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]string
	for _, rec := range recs[1:] {
		row := map[string]string{}
		for i, h := range recs[0] {
			row[h] = rec[i]
		}
		out = append(out, row)
	}
	return out
}

// fieldSamples are two valid values per field, for the round trip. The
// identity fields are exercised elsewhere: a customer number or an address
// key that changes names another customer or address.
var fieldSamples = map[string][2]string{
	"contactEmail": {"ann@example.com", "ann.lee@example.com"}, "title": {"MR", "DR"},
	"firstName": {"Ann", "Anna"}, "middleName": {"M", "N"}, "lastName": {"Lee", "Li"},
	"contactPhone": {"+49 30 1", "+49 30 2"}, "company": {"ACME", "ACME AG"},
	"preferredLanguage": {"de_DE", "en"}, "preferredCurrency": {"EUR", "USD"}, "preferredSite": {"main", "b2b"},
	"b2b.companyRegistrationId": {"DE1", "DE2"}, "type": {"CUSTOMER", "CONTACT"},
	"photoUrl": {"https://cdn.example.com/a.png", "https://cdn.example.com/b.png"}, "restriction": {"DE", "AT"},
	"active": {"true", "false"}, "onHold": {"true", "false"},
	"address.contactName": {"Ann Lee", "Anna Lee"}, "address.companyName": {"ACME", "ACME AG"},
	"address.street": {"Torstraße", "Torstr."}, "address.streetNumber": {"1", "1a"},
	"address.streetAppendix": {"Hof", "Haus 2"}, "address.extraLine1": {"c/o A", "c/o B"},
	"address.extraLine2": {"x", "y"}, "address.extraLine3": {"x", "y"}, "address.extraLine4": {"x", "y"},
	"address.zipCode": {"10119", "10117"}, "address.city": {"Berlin", "Berlin-Mitte"}, "address.state": {"BE", "BB"},
	"address.country": {"DE", "AT"}, "address.contactPhone": {"+49 30 1", "+49 30 2"},
	"address.tags": {"BILLING", "BILLING,SHIPPING"}, "address.isDefault": {"false", "true"},
}

// TestFieldTableRoundTrip walks the field table: each field goes file →
// tenant, a re-run writes nothing, and a changed cell makes exactly one
// write naming that field.
func TestFieldTableRoundTrip(t *testing.T) {
	base := []string{"customerNumber", "contactEmail", "firstName", "lastName", "company",
		"address.contactName", "address.street", "address.zipCode", "address.city", "address.country"}
	baseVals := map[string]string{"customerNumber": "C1", "contactEmail": "ann@example.com", "firstName": "Ann",
		"lastName": "Lee", "company": "ACME", "address.contactName": "Ann Lee", "address.street": "Torstraße",
		"address.zipCode": "10119", "address.city": "Berlin", "address.country": "DE"}
	for _, f := range mapping.Std() {
		col := f.Column()
		if f.Role == mapping.RoleIdentity || f.Role == mapping.RoleAccount {
			// Account fields are written once, by the bulk create, and never
			// changed (bulk_test.go covers them).
			continue
		}
		t.Run(col, func(t *testing.T) {
			t.Parallel()
			sample, ok := fieldSamples[col]
			if !ok {
				t.Fatalf("no sample values for %s: add them to fieldSamples", col)
			}
			header := base
			if !slices.Contains(header, col) {
				header = append(slices.Clone(base), col)
			}
			line := func(v string) string {
				var cells []string
				for _, h := range header {
					cells = append(cells, cmpOr(h == col, v, baseVals[h]))
				}
				return strings.Join(cells, ";")
			}
			e := newFieldEnv(t)
			h := strings.Join(header, ";")
			if rep, _ := e.run(t, "first", "", nil, h, line(sample[0])); rep[0]["import_status"] != "created" {
				t.Fatalf("first import: %v", rep)
			}
			if rep, w := e.run(t, "again", "", nil, h, line(sample[0])); rep[0]["import_status"] != "unchanged" || len(w) != 0 {
				t.Fatalf("re-run: %v, writes %q", rep, w)
			}
			if e.writes.expanded() {
				t.Errorf("reads asked for mixins although none is mapped")
			}
			rep, w := e.run(t, "changed", "", nil, h, line(sample[1]))
			name := f.Name
			if f.Role == mapping.RoleTags {
				name = "tags.add"
			}
			if rep[0]["import_status"] != "updated" || len(w) != 1 || !strings.Contains(rep[0]["import_changes"], name+": ") {
				t.Fatalf("changed cell: %v, writes %q", rep, w)
			}
		})
	}
}

func cmpOr(cond bool, a, b string) string {
	if cond {
		return a
	}
	return b
}

// TestThrowawayTableField: a field added to the table, with no other change,
// is mapped from its column, validated offline, created, compared and
// patched. (It lives in a mixin because the emulator, like the service,
// refuses members the contract does not know.)
func TestThrowawayTableField(t *testing.T) {
	tier := &mapping.Field{Name: "loyaltyTier", Path: []string{"mixins", "loyalty", "tier"}, Mixin: "loyalty", Canonical: true,
		Check: func(s string) (string, error) {
			if u := strings.ToUpper(s); u == "GOLD" || u == "SILVER" {
				return u, nil
			}
			return "", fmt.Errorf("invalid tier %q (want gold or silver)", s)
		}}
	table := append(mapping.Std(), tier)
	e := newFieldEnv(t)
	h := "customerNumber;contactEmail;loyaltyTier"
	if rep, _ := e.run(t, "bad", "", table, h, "C1;a@example.com;bronze"); rep[0]["import_status"] != "invalid" ||
		!strings.Contains(rep[0]["import_message"], `invalid tier "bronze"`) {
		t.Fatalf("validation: %v", rep)
	}
	rep, w := e.run(t, "first", "", table, h, "C1;a@example.com;gold")
	if rep[0]["import_status"] != "created" || len(w) != 1 || !strings.Contains(w[0], `"mixins":{"loyalty":{"tier":"GOLD"}}`) {
		t.Fatalf("create: %v, writes %q", rep, w)
	}
	if rep, w := e.run(t, "again", "", table, h, "C1;a@example.com;Gold"); rep[0]["import_status"] != "unchanged" || len(w) != 0 {
		t.Fatalf("re-run: %v, writes %q", rep, w)
	}
	rep, w = e.run(t, "changed", "", table, h, "C1;a@example.com;silver")
	if want := []string{`PATCH /customers/C1 {"mixins":{"loyalty":{"tier":"SILVER"}}}`}; !slices.Equal(w, want) ||
		rep[0]["import_changes"] != `loyaltyTier: "GOLD" → "SILVER"` {
		t.Fatalf("patch: %v, writes %q", rep, w)
	}
}

const erpMapping = `input: { delimiter: ";" }
customer:
  customerNumber: Kundennr
  contactEmail: Mail
  firstName: Vorname
  lastName: Nachname
  type: { value: CUSTOMER }
  mixins.erp.account.id: Konto
  mixins.erp.creditLimit: { column: Limit, kind: number }
  mixins.erp.vip: { column: VIP, kind: boolean, values: { ja: true, nein: false } }
  mixins.erp.since: { column: Seit, kind: date, transform: ["date:02.01.2006"] }
  mixins.erp.groups: { column: Gruppen, kind: list, split: "," }
mixin_schemas: { erp: "https://schemas.example.com/erp.v1.json" }
addresses:
  - id: AdrNr
    contactName: { columns: [Vorname, Nachname] }
    street: Strasse
    zipCode: PLZ
    city: Ort
    country: { value: DE }
    extraLine1: Zusatz
    tags: { column: Art, values: { L: SHIPPING, R: BILLING } }
`

const erpHeader = "Kundennr;Mail;Vorname;Nachname;Konto;Limit;VIP;Seit;Gruppen;AdrNr;Strasse;PLZ;Ort;Zusatz;Art"

// TestAcceptanceMixinsAndKeys is the acceptance scenario.
func TestAcceptanceMixinsAndKeys(t *testing.T) {
	e := newFieldEnv(t)
	cust := "C1;j@example.com;Jürgen;Meier;K-1;1500;ja;31.01.2020;A,B;"
	first := []string{erpHeader, cust + "A-1;Torstraße 1;10119;Berlin;Hinterhaus;L", cust + "A-2;Alt 2;10115;Berlin;;R"}
	rep, w := e.run(t, "first", erpMapping, nil, first...)
	if len(w) != 3 || rep[0]["import_status"] != "created" || rep[1]["import_status"] != "created" {
		t.Fatalf("first import: %v, writes %q", rep, w)
	}
	// Data the file does not map: another member of the mixin, another mixin.
	if err := e.client.PatchCustomer(context.Background(), "C1", map[string]any{
		"mixins": map[string]any{"erp": map[string]any{"note": "keep"}, "crm": map[string]any{"score": 7}}}); err != nil {
		t.Fatal(err)
	}
	e.writes.expanded()
	if rep, w := e.run(t, "again", erpMapping, nil, first...); len(w) != 0 || rep[0]["import_status"] != "unchanged" {
		t.Fatalf("re-run: %v, writes %q", rep, w)
	}
	if !e.writes.expanded() {
		t.Errorf("reads did not ask for mixins (expand=mixin:*)")
	}
	changed := strings.Replace(cust, ";1500;", ";2000;", 1)
	second := []string{erpHeader, changed + "A-1;Torstraße 1;10117;Berlin;Hinterhaus;L", changed + "A-2;Alt 2;10115;Berlin;;R",
		changed + ";Seeweg 3;14467;Potsdam;;L"}
	rep, w = e.run(t, "second", erpMapping, nil, second...)
	wantWrites := []string{
		`PATCH /customers/C1 {"mixins":{"erp":{"creditLimit":2000}}}`,
		`PATCH /customers/C1/addresses/A-1 {"zipCode":"10117"}`,
		`POST /customers/C1/addresses {"contactName":"Jürgen Meier","street":"Seeweg 3","zipCode":"14467","city":"Potsdam","country":"DE","tags":["SHIPPING"]}`,
	}
	if !slices.Equal(w, wantWrites) {
		t.Fatalf("writes\n%s\nwant\n%s", strings.Join(w, "\n"), strings.Join(wantWrites, "\n"))
	}
	var changes []string
	for _, r := range rep {
		if r["import_status"] != "updated" {
			t.Errorf("row %v, want updated", r)
		}
		for _, c := range strings.Split(r["import_changes"], ";") {
			if !slices.Contains(changes, c) {
				changes = append(changes, c)
			}
		}
	}
	slices.Sort(changes)
	wantChanges := []string{`address.create: "Jürgen Meier, Seeweg 3, 14467 Potsdam, DE"`, `address[A-1].zipCode: "10119" → "10117"`,
		`mixins.erp.creditLimit: 1500 → 2000`}
	if !slices.Equal(changes, wantChanges) {
		t.Errorf("changes %q, want %q", changes, wantChanges)
	}
	c, err := e.client.GetCustomer(context.Background(), "C1", "addresses", "mixin:*")
	if err != nil {
		t.Fatal(err)
	}
	mixins, _ := json.Marshal(c.Mixins)
	if want := `{"crm":{"score":7},"erp":{"account":{"id":"K-1"},"creditLimit":2000,"groups":["A","B"],"note":"keep","since":"2020-01-31","vip":true}}`; string(mixins) != want {
		t.Errorf("mixins %s\nwant    %s", mixins, want)
	}
	if len(c.Addresses) != 3 || c.Type != "CUSTOMER" || c.Metadata == nil || c.Metadata.Mixins["erp"] != "https://schemas.example.com/erp.v1.json" {
		t.Errorf("customer %+v", c)
	}
}

// TestAcceptanceCorrectedName: an unkeyed ERP file whose first name is
// corrected (and joined into contactName) patches the customer and the
// address; it creates nothing.
func TestAcceptanceCorrectedName(t *testing.T) {
	m := strings.Replace(erpMapping, "  - id: AdrNr\n    contactName", "  - contactName", 1)
	e := newFieldEnv(t)
	row := func(first string) string {
		return "C1;j@example.com;" + first + ";Meier;K-1;1500;ja;31.01.2020;A,B;;Torstraße 1;10119;Berlin;;L"
	}
	if _, w := e.run(t, "first", m, nil, erpHeader, row("Jürgen")); len(w) != 2 {
		t.Fatalf("first import writes %q", w)
	}
	rep, w := e.run(t, "fixed", m, nil, erpHeader, row("Jörg"))
	addrs, err := e.client.ListAddresses(context.Background(), "C1")
	if err != nil {
		t.Fatal(err)
	}
	id := addrs[0].ID
	want := []string{`PATCH /customers/C1 {"firstName":"Jörg"}`, `PATCH /customers/C1/addresses/` + id + ` {"contactName":"Jörg Meier"}`}
	if !slices.Equal(w, want) || len(addrs) != 1 || rep[0]["import_status"] != "updated" {
		t.Fatalf("writes %q (want %q), addresses %d, report %v", w, want, len(addrs), rep)
	}
	if want := `firstName: "Jürgen" → "Jörg";address[` + id + `].contactName: "Jürgen Meier" → "Jörg Meier"`; rep[0]["import_changes"] != want {
		t.Errorf("changes %q\nwant    %q", rep[0]["import_changes"], want)
	}
}

// TestKeyUnderAnotherCustomer: an address key in use under another customer
// fails the row with a clear message.
func TestKeyUnderAnotherCustomer(t *testing.T) {
	e := newFieldEnv(t)
	row := func(n, mail, key string) string {
		return n + ";" + mail + ";Jürgen;Meier;K-1;1500;ja;31.01.2020;A;" + key + ";Torstraße 1;10119;Berlin;;L"
	}
	e.run(t, "first", erpMapping, nil, erpHeader, row("C1", "a@example.com", "A-1"))
	rep, _ := e.run(t, "second", erpMapping, nil, erpHeader, row("C2", "b@example.com", "A-1"))
	if rep[0]["import_status"] != "failed" || !strings.Contains(rep[0]["import_message"], `address id "A-1" is already used by another customer's address`) {
		t.Fatalf("report %v", rep)
	}
}
