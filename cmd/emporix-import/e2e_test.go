package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/emporix-import/emporix-import/emporix"
	"github.com/emporix-import/emporix-import/emulator"
	"github.com/emporix-import/emporix-import/importer"
)

// tenant is an emulator served over HTTP for CLI tests.
type tenant struct {
	*emulator.Server
	url string
}

func newTenant(t *testing.T, cfg emulator.Config) *tenant {
	t.Helper()
	srv := emulator.New(cfg)
	return serveTenant(t, srv, srv)
}

// serveTenant serves h (srv, or a handler wrapping it) and points the CLI's
// connection environment at it.
func serveTenant(t *testing.T, srv *emulator.Server, h http.Handler) *tenant {
	t.Helper()
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)
	def := srv.Config()
	t.Setenv("EMPORIX_CLIENT_SECRET", def.ClientSecret)
	t.Setenv("EMPORIX_TENANT", def.Tenant)
	t.Setenv("EMPORIX_CLIENT_ID", def.ClientID)
	t.Setenv("EMPORIX_API_URL", hs.URL)
	t.Setenv("EMPORIX_IMPORT_LOCK_DIR", t.TempDir()) // test tenants leave no lock files behind
	return &tenant{Server: srv, url: hs.URL}
}

// cli runs the command line and returns the exit code and stderr.
func cli(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &stdout, &stderr)
	return code, stderr.String()
}

// readReport returns the report rows keyed by import_row, as header→value maps.
func readReport(t *testing.T, path string) []map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var rows []map[string]string
	for _, rec := range recs[1:] {
		m := map[string]string{}
		for i, h := range recs[0] {
			m[h] = rec[i]
		}
		rows = append(rows, m)
	}
	return rows
}

func statuses(rows []map[string]string) string {
	var s []string
	for _, r := range rows {
		s = append(s, r["import_row"]+":"+r["import_status"])
	}
	return strings.Join(s, " ")
}

// projection renders the tenant without generated ids and timestamps, sorted.
func projection(st emulator.State) string {
	var b strings.Builder
	for _, c := range st.Customers {
		fmt.Fprintf(&b, "%s email=%s title=%s name=%s %s company=%s lang=%s cur=%s active=%v onHold=%v\n",
			c.CustomerNumber, c.ContactEmail, c.Title, c.FirstName, c.LastName, c.Company,
			c.PreferredLanguage, c.PreferredCurrency, c.Active, c.OnHold)
		var addrs []string
		for _, a := range c.Addresses {
			tags := slices.Clone(a.Tags)
			sort.Strings(tags)
			addrs = append(addrs, fmt.Sprintf("  %s|%s %s|%s %s|%s default=%v tags=%s",
				a.ContactName, a.Street, a.StreetNumber, a.ZipCode, a.City, a.Country, a.IsDefault, strings.Join(tags, ",")))
		}
		sort.Strings(addrs)
		for _, a := range addrs {
			b.WriteString(a + "\n")
		}
	}
	return b.String()
}

const smallExpected = `C1 email=anna@example.com title=MRS name=Anna Schmidt company=ACME GmbH lang=de_DE cur=EUR active=true onHold=false
  Anna Schmidt|Hauptstraße 5|10115 Berlin|DE default=true tags=BILLING,SHIPPING
  Anna Schmidt|Lagerweg 12|20095 Hamburg|DE default=false tags=SHIPPING
C2 email=bob@example.com title=MR name=Bob Meyer company= lang=en_US cur=USD active=true onHold=false
  Bob Meyer|Main St 1|10001 New York|US default=false tags=BILLING
C3 email=carla@example.com title=MS name=Carla Rossi company= lang=it_IT cur=EUR active=true onHold=false
`

func TestImportEndToEnd(t *testing.T) {
	ten := newTenant(t, emulator.Config{})
	dir := t.TempDir()
	input := filepath.Join("testdata", "small.csv")

	rep1 := filepath.Join(dir, "first.csv")
	code, stderr := cli(t, "import", input, "--activate", "--quiet", "--report", rep1)
	if code != importer.ExitRowsFailed {
		t.Fatalf("first import exit %d, want %d (one invalid row); stderr:\n%s", code, importer.ExitRowsFailed, stderr)
	}
	rows := readReport(t, rep1)
	if got, want := statuses(rows), "2:created 3:created 4:created 5:created 6:invalid"; got != want {
		t.Fatalf("statuses %q, want %q", got, want)
	}
	if !strings.Contains(rows[4]["import_message"], `row 6, column "contactEmail"`) {
		t.Errorf("invalid row message = %q", rows[4]["import_message"])
	}
	if ids := strings.Split(rows[0]["import_address_ids"], ";"); len(ids) != 1 || ids[0] == "" {
		t.Errorf("row 2 address ids = %q", rows[0]["import_address_ids"])
	}
	if got := projection(ten.State()); got != smallExpected {
		t.Fatalf("tenant after first import:\n%s\nwant:\n%s", got, smallExpected)
	}

	t.Run("same import again writes nothing", func(t *testing.T) {
		ten.ResetStats()
		rep := filepath.Join(dir, "second.csv")
		code, stderr := cli(t, "import", input, "--activate", "--quiet", "--report", rep)
		if code != importer.ExitRowsFailed {
			t.Fatalf("exit %d; stderr:\n%s", code, stderr)
		}
		if got, want := statuses(readReport(t, rep)), "2:unchanged 3:unchanged 4:unchanged 5:unchanged 6:invalid"; got != want {
			t.Errorf("statuses %q, want %q", got, want)
		}
		if w := ten.Stats().Writes; w != 0 {
			t.Errorf("re-import made %d writes, want 0", w)
		}
		// A token, the connection check and one batched list request for all customers.
		if r := ten.Stats().Requests; r != 3 {
			t.Errorf("re-import made %d requests, want 3", r)
		}
	})

	t.Run("a changed e-mail is exactly one customer write", func(t *testing.T) {
		changed := filepath.Join(dir, "changed.csv")
		data, _ := os.ReadFile(input)
		if err := os.WriteFile(changed, bytes.Replace(data, []byte("carla@example.com"), []byte("carla.rossi@example.com"), 1), 0o644); err != nil {
			t.Fatal(err)
		}
		ten.ResetStats()
		rep := filepath.Join(dir, "changed-report.csv")
		cli(t, "import", changed, "--quiet", "--report", rep)
		st := ten.Stats()
		if st.Writes != 1 || st.ByMethod["PATCH"] != 1 {
			t.Errorf("writes %d by method %v, want exactly one PATCH", st.Writes, st.ByMethod)
		}
		rows := readReport(t, rep)
		if rows[3]["import_status"] != "updated" || rows[3]["import_changes"] != `contactEmail: "carla@example.com" → "carla.rossi@example.com"` {
			t.Errorf("row 5 = %v", rows[3])
		}
	})

	t.Run("dry run never writes and reports the plan", func(t *testing.T) {
		changed := filepath.Join(dir, "dry.csv")
		data, _ := os.ReadFile(input)
		data = bytes.Replace(data, []byte("Bob,Meyer"), []byte("Robert,Meyer"), 1)
		data = append(data, []byte("C5,eve@example.com,,Eve,Stone,,,,,,,,,,,,\n")...)
		if err := os.WriteFile(changed, data, 0o644); err != nil {
			t.Fatal(err)
		}
		ten.ResetStats()
		rep := filepath.Join(dir, "dry-report.csv")
		cli(t, "import", changed, "--dry-run", "--quiet", "--report", rep)
		if w := ten.Stats().Writes; w != 0 {
			t.Fatalf("dry run made %d writes", w)
		}
		rows := readReport(t, rep)
		if rows[1]["import_status"] != "would_update" || rows[1]["import_changes"] != `firstName: "Bob" → "Robert"` {
			t.Errorf("row 3 = %v", rows[1])
		}
		if rows[5]["import_status"] != "would_create" {
			t.Errorf("row 7 = %v", rows[5])
		}
	})
}

func TestImportReplaceModes(t *testing.T) {
	ten := newTenant(t, emulator.Config{})
	dir := t.TempDir()
	input := filepath.Join("testdata", "small.csv")
	if code, stderr := cli(t, "import", input, "--quiet", "--report", filepath.Join(dir, "r1.csv")); code != importer.ExitRowsFailed {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	// Someone adds an address and a tag by hand in the tenant.
	api := apiClient(t, ten)
	ctx := context.Background()
	if _, err := api.AddAddress(ctx, "C1", &emporix.Address{ContactName: "Anna Schmidt", Street: "Alter Weg", City: "Köln", Country: "DE"}); err != nil {
		t.Fatal(err)
	}
	c1, err := api.GetCustomer(ctx, "C1", "addresses")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range c1.Addresses {
		if a.City == "Berlin" {
			if err := api.AddTags(ctx, "C1", a.ID, []string{"PRIMARY_CONTACT"}); err != nil {
				t.Fatal(err)
			}
		}
	}

	t.Run("merge keeps what the sheet does not mention", func(t *testing.T) {
		ten.ResetStats()
		cli(t, "import", input, "--quiet", "--report", filepath.Join(dir, "r2.csv"))
		if w := ten.Stats().Writes; w != 0 {
			t.Errorf("merge re-import wrote %d times", w)
		}
	})
	t.Run("tags replace removes the extra tag only", func(t *testing.T) {
		ten.ResetStats()
		cli(t, "import", input, "--quiet", "--tags", "replace", "--report", filepath.Join(dir, "r3.csv"))
		st := ten.Stats()
		if st.Writes != 1 || st.ByMethod["DELETE"] != 1 {
			t.Errorf("writes %d %v, want one DELETE of the tag", st.Writes, st.ByMethod)
		}
		if got := projection(ten.State()); !strings.Contains(got, "Berlin|DE default=true tags=BILLING,SHIPPING\n") {
			t.Errorf("state:\n%s", got)
		}
	})
	t.Run("addresses replace deletes the hand-made address", func(t *testing.T) {
		ten.ResetStats()
		cli(t, "import", input, "--quiet", "--addresses", "replace", "--report", filepath.Join(dir, "r4.csv"))
		got := projection(ten.State())
		if strings.Contains(got, "Köln") || !strings.Contains(got, "Hamburg") || !strings.Contains(got, "New York") {
			t.Errorf("state after replace:\n%s", got)
		}
		if w := ten.Stats().Writes; w != 1 {
			t.Errorf("replace wrote %d times, want 1 (the delete)", w)
		}
	})
}

func TestImportMatchByEmail(t *testing.T) {
	ten := newTenant(t, emulator.Config{})
	dir := t.TempDir()
	args := []string{"import", filepath.Join("testdata", "by-email.csv"), "--mapping", filepath.Join("testdata", "by-email.yaml"), "--quiet"}
	for i := range 2 {
		ten.ResetStats()
		rep := filepath.Join(dir, fmt.Sprintf("r%d.csv", i))
		if code, stderr := cli(t, append(args, "--report", rep)...); code != 0 {
			t.Fatalf("run %d: exit %d: %s", i, code, stderr)
		}
		want := "2:created 3:created 4:created"
		if i == 1 {
			want = "2:unchanged 3:unchanged 4:unchanged"
			if w := ten.Stats().Writes; w != 0 {
				t.Errorf("second run wrote %d times", w)
			}
		}
		if got := statuses(readReport(t, rep)); got != want {
			t.Errorf("run %d: %s, want %s", i, got, want)
		}
	}
	st := ten.State()
	if len(st.Customers) != 2 {
		t.Fatalf("%d customers, want 2:\n%s", len(st.Customers), projection(st))
	}
	if ten.Stats().ByMethod["PUT"] != 0 {
		t.Errorf("match by e-mail must create with POST")
	}
	for _, c := range st.Customers {
		if c.ContactEmail == "jana.weber@example.de" {
			if len(c.Addresses) != 1 || strings.Join(c.Addresses[0].Tags, ",") != "BILLING,SHIPPING" {
				t.Errorf("Jana's addresses: %+v", c.Addresses)
			}
		}
	}
}

func apiClient(t *testing.T, ten *tenant) *emporix.Client {
	t.Helper()
	cfg := ten.Config()
	c, err := emporix.New(emporix.Config{BaseURL: ten.url, Tenant: cfg.Tenant, ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestFatalRunStillWritesSummaryJSON(t *testing.T) {
	newTenant(t, emulator.Config{})
	t.Setenv("EMPORIX_CLIENT_SECRET", "wrong-secret")
	path := filepath.Join(t.TempDir(), "summary.json")
	code, _ := cli(t, "import", filepath.Join("testdata", "small.csv"), "--quiet", "--summary-json", path,
		"--report", filepath.Join(t.TempDir(), "r.csv"))
	if code != importer.ExitFatal {
		t.Fatalf("exit %d, want %d", code, importer.ExitFatal)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var sum struct {
		ExitCode int    `json:"exit_code"`
		Error    string `json:"error"`
		Command  string `json:"command"`
	}
	if err := json.Unmarshal(data, &sum); err != nil || sum.ExitCode != 1 || sum.Command != "import" || !strings.Contains(sum.Error, "401") {
		t.Errorf("summary = %s (%v)", data, err)
	}
	if strings.Contains(string(data), "wrong-secret") {
		t.Error("the secret is in the summary")
	}
}
