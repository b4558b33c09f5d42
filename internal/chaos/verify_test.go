package chaos

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/emporix-import/emporix-import/emulator"
)

// verdict is what the final tenant state and report look like against the expectation.
type verdict struct {
	Missing      int // expected customers not in the tenant
	Duplicates   int // extra customers with an expected e-mail
	Extra        int // customers nobody asked for
	DupAddresses int // extra addresses with the same normalised content in one customer
	Mismatched   int // customers whose fields, addresses or tags differ
	ReportOK     int // report rows with an ok status, once each
	ReportRows   int // data rows in the report
	WrongHash    int // customers that cannot log in with their row's password (passwords scenario)
	problems     []string
}

func (v *verdict) problem(format string, args ...any) {
	if len(v.problems) < 30 {
		v.problems = append(v.problems, fmt.Sprintf(format, args...))
	}
}

func (v *verdict) clean(rows int) bool {
	return v.Missing+v.Duplicates+v.Extra+v.DupAddresses+v.Mismatched == 0 && v.ReportOK == rows && v.ReportRows == rows
}

func readState(t *testing.T, path string) emulator.State {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("state dump: %v", err)
	}
	var st emulator.State
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatalf("state dump: %v", err)
	}
	return st
}

// normKey is the content identity of an address: contactName, street, streetNumber,
// zipCode, city, country, case and space insensitive.
func normKey(parts ...string) string {
	for i, p := range parts {
		parts[i] = strings.Join(strings.Fields(strings.ToLower(p)), " ")
	}
	return strings.Join(parts, "\x1f")
}

func stateAddrKey(a *emulator.Address) string {
	return normKey(a.ContactName, a.Street, a.StreetNumber, a.ZipCode, a.City, a.Country)
}

func specAddrKey(a *addrSpec) string {
	return normKey(a.ContactName, a.Street, a.StreetNumber, a.ZipCode, a.City, a.Country)
}

// renderCustomer renders the fields the import maps (preferredSite is not
// mapped: the tenant's default stays).
func renderCustomer(number, email, title, first, middle, last, phone, company, lang, cur, regID string, active, onHold bool) string {
	return fmt.Sprintf("number=%s email=%s title=%s name=%s|%s|%s phone=%s company=%s lang=%s cur=%s regid=%s active=%v onHold=%v",
		number, email, title, first, middle, last, phone, company, lang, cur, regID, active, onHold)
}

func renderSpecAddr(a *addrSpec) string {
	return fmt.Sprintf("%s|%s|%s %s||%s %s||%s|phone=|default=%v|tags=%s",
		a.ContactName, "", a.Street, a.StreetNumber, a.ZipCode, a.City, a.Country, a.Default, strings.Join(a.Tags, ","))
}

func renderStateAddr(a *emulator.Address) string {
	tags := slices.Sorted(slices.Values(a.Tags))
	return fmt.Sprintf("%s|%s|%s %s|%s|%s %s|%s|%s|phone=%s|default=%v|tags=%s",
		a.ContactName, a.CompanyName, a.Street, a.StreetNumber, a.StreetAppendix, a.ZipCode, a.City, a.State, a.Country,
		a.ContactPhone, a.IsDefault, strings.Join(tags, ","))
}

// verifyState compares the tenant with the generated expectation. It returns
// the tenant's customers by expected index (nil when missing).
func verifyState(ds *dataset, st emulator.State, byEmail bool, v *verdict) []*emulator.Customer {
	byMail := map[string][]*emulator.Customer{}
	for i := range st.Customers {
		c := &st.Customers[i]
		k := strings.ToLower(c.ContactEmail)
		byMail[k] = append(byMail[k], c)
	}
	found := make([]*emulator.Customer, len(ds.Customers))
	expected := map[string]bool{}
	for i := range ds.Customers {
		want := &ds.Customers[i]
		expected[want.Email] = true
		got := byMail[want.Email]
		switch {
		case len(got) == 0:
			v.Missing++
			v.problem("missing customer %s %s", want.Number, want.Email)
			continue
		case len(got) > 1:
			v.Duplicates += len(got) - 1
			var nums []string
			for _, c := range got {
				nums = append(nums, c.CustomerNumber)
			}
			v.problem("%d customers with e-mail %s: %v", len(got), want.Email, nums)
		}
		c := got[0]
		found[i] = c
		number := want.Number
		if byEmail {
			number = c.CustomerNumber // assigned by Emporix
		}
		wantC := renderCustomer(number, want.Email, want.Title, want.FirstName, "", want.LastName, want.Phone, want.Company,
			want.Language, want.Currency, "", want.Active, false)
		regID := ""
		if c.B2B != nil {
			regID = c.B2B.CompanyRegistrationID
		}
		gotC := renderCustomer(c.CustomerNumber, c.ContactEmail, c.Title, c.FirstName, c.MiddleName, c.LastName, c.ContactPhone,
			c.Company, c.PreferredLanguage, c.PreferredCurrency, regID, c.Active, c.OnHold)
		mismatch := false
		if gotC != wantC {
			mismatch = true
			v.problem("customer %s:\n  got  %s\n  want %s", want.Email, gotC, wantC)
		}

		keys := map[string]int{}
		var gotA, wantA []string
		for j := range c.Addresses {
			a := &c.Addresses[j]
			if keys[stateAddrKey(a)]++; keys[stateAddrKey(a)] > 1 {
				v.DupAddresses++
				v.problem("customer %s: duplicate address %s (%s)", c.CustomerNumber, renderStateAddr(a), a.ID)
			}
			gotA = append(gotA, renderStateAddr(a))
		}
		for j := range want.Addresses {
			wantA = append(wantA, renderSpecAddr(&want.Addresses[j]))
		}
		slices.Sort(gotA)
		slices.Sort(wantA)
		if !slices.Equal(gotA, wantA) {
			mismatch = true
			v.problem("customer %s addresses:\n  got  %s\n  want %s", c.CustomerNumber, strings.Join(gotA, "\n       "), strings.Join(wantA, "\n       "))
		}
		if mismatch {
			v.Mismatched++
		}
	}
	for _, c := range st.Customers {
		if !expected[strings.ToLower(c.ContactEmail)] {
			v.Extra++
			v.problem("unexpected customer %s %s", c.CustomerNumber, c.ContactEmail)
		}
	}
	return found
}

var okStatus = map[string]bool{"created": true, "updated": true, "unchanged": true}

// verifyReport checks that the report covers every input row exactly once with
// an ok status, the customer's number and the id of the row's address.
func verifyReport(t *testing.T, path string, ds *dataset, found []*emulator.Customer, v *verdict) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("report: %v", err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("report: %v", err)
	}
	if len(recs) == 0 {
		t.Fatal("report is empty")
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	for _, h := range []string{"import_row", "import_status", "import_customer_number", "import_address_ids", "import_message"} {
		if _, ok := col[h]; !ok {
			t.Fatalf("report has no %s column: %v", h, recs[0])
		}
	}
	seen := map[int]int{}
	for _, rec := range recs[1:] {
		v.ReportRows++
		num, err := strconv.Atoi(rec[col["import_row"]])
		idx := num - 2
		if err != nil || idx < 0 || idx >= len(ds.Rows) {
			v.problem("report row with import_row %q", rec[col["import_row"]])
			continue
		}
		if seen[num]++; seen[num] > 1 {
			v.problem("row %d reported %d times", num, seen[num])
			continue
		}
		status := rec[col["import_status"]]
		if !okStatus[status] {
			v.problem("row %d: %s: %s", num, status, rec[col["import_message"]])
			continue
		}
		in := ds.Rows[idx]
		c := found[in.Cust]
		if c == nil {
			continue // counted as missing already
		}
		if got := rec[col["import_customer_number"]]; got != c.CustomerNumber {
			v.problem("row %d: import_customer_number %q, tenant has %q", num, got, c.CustomerNumber)
			continue
		}
		wantKey := specAddrKey(&ds.Customers[in.Cust].Addresses[in.Addr])
		wantID := ""
		for j := range c.Addresses {
			if stateAddrKey(&c.Addresses[j]) == wantKey {
				wantID = c.Addresses[j].ID
				break
			}
		}
		if got := rec[col["import_address_ids"]]; got != wantID {
			v.problem("row %d: import_address_ids %q, tenant's address is %q", num, got, wantID)
			continue
		}
		v.ReportOK++
	}
}

// statusCounts tallies a report's import_status column.
func statusCounts(t *testing.T, path string) map[string]int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("report: %v", err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil || len(recs) == 0 {
		t.Fatalf("report %s: %v", path, err)
	}
	i := slices.Index(recs[0], "import_status")
	out := map[string]int{}
	for _, rec := range recs[1:] {
		out[rec[i]]++
	}
	return out
}

// runSummary is the part of --summary-json the chaos summary uses.
type runSummary struct {
	Requests    int `json:"requests"`
	Retries     int `json:"retries"`
	RateLimited int `json:"rate_limited"`
	Bulk        int `json:"bulk_import_requests"`
}

func readSummary(path string) (runSummary, bool) {
	var s runSummary
	b, err := os.ReadFile(path)
	if err != nil {
		return s, false
	}
	return s, json.Unmarshal(b, &s) == nil
}
