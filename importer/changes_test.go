package importer

import (
	"maps"
	"strings"
	"testing"

	"github.com/emporix-import/emporix-import/report"
)

func TestChangeField(t *testing.T) {
	for entry, want := range map[string]string{
		`firstName: "Jon" → "John"`:                   "firstName",
		"customer.create":                             "customer.create",
		`address.create: "Anna, Torstraße 1"`:         "address.create",
		`address[a1].zipCode: "10119" → "10117"`:      "address.zipCode",
		"address[a-2].tags.add: BILLING, SHIPPING":    "address.tags.add",
		"address[x].tags.remove: OLD":                 "address.tags.remove",
		"address[a1].delete":                          "address.delete",
		"active: false → true":                        "active",
		`b2b.companyRegistrationId: "" → "DE1"`:       "b2b.companyRegistrationId",
		`address[a1].street: "a: b" → "address[c].d"`: "address.street",
		`company: "address[a1].x: y" → "z"`:           "company",
	} {
		if got := ChangeField(entry); got != want {
			t.Errorf("ChangeField(%q) = %q, want %q", entry, got, want)
		}
	}
}

func TestChangeValuesTruncatedAndRedacted(t *testing.T) {
	long := strings.Repeat("ä", 100)
	got := fieldChange("", "company", map[string]any{"company": long}, true, "Neu GmbH")
	want := `company: "` + strings.Repeat("ä", maxShown-1) + `…" → "Neu GmbH"`
	if got != want {
		t.Errorf("long value:\n got %s\nwant %s", got, want)
	}
	for _, name := range []string{"account.passwordHash", "account.legacyAuth.hash", "passwordHash", "clientSecret"} {
		got := fieldChange("", name, map[string]any{name: "$2y$10$old"}, true, "$2y$10$new")
		if strings.Contains(got, "$2y$") || got != name+": [redacted]" {
			t.Errorf("secret %s shown: %s", name, got)
		}
	}
	if got := fieldChange("", "firstName", map[string]any{"firstName": "Jon"}, true, "John"); got != `firstName: "Jon" → "John"` {
		t.Errorf("plain field: %s", got)
	}
}

func TestCountChanges(t *testing.T) {
	counts := map[string]int{}
	countChanges(counts, &Outcome{Writes: []Write{
		{Changes: []string{changeCreate}},
		{Changes: []string{`firstName: "Jon" → "John"`, `lastName: "A" → "B"`}},
		{Addr: "k", Changes: []string{`address[a1].zipCode: "1" → "2"`}},
	}})
	countChanges(counts, &Outcome{Writes: []Write{
		{Changes: []string{`firstName: "X" → "Y"`}},
		{Addr: "k", Changes: []string{`address[a9].zipCode: "3" → "4"`, "address[a9].tags.add: BILLING"}},
	}})
	want := map[string]int{"customer.create": 1, "firstName": 2, "lastName": 1, "address.zipCode": 2, "address.tags.add": 1}
	if !maps.Equal(counts, want) {
		t.Errorf("counts %v, want %v", counts, want)
	}
}

func TestProblemLine(t *testing.T) {
	for _, c := range []struct {
		r    report.Result
		want string
	}{
		{report.Result{Status: report.Invalid, Row: 17, Key: "C1001", Message: `row 17, column "contactEmail": invalid e-mail address "x@@y"; row 17, column "title": invalid title "Sir"`},
			`invalid: customers.csv row 17 (C1001): column "contactEmail": invalid e-mail address "x@@y"; column "title": invalid title "Sir"`},
		{report.Result{Status: report.Failed, Row: 17, Key: "C1001", Message: "contactEmail is required to create a customer"},
			`failed: customers.csv row 17 (C1001): contactEmail is required to create a customer`},
		{report.Result{Status: report.Invalid, Row: 4, Message: "row 4: customers.csv: row 4: column C: 3 cells; rows 4 and 9: conflicting firstName"},
			`invalid: customers.csv row 4: customers.csv: row 4: column C: 3 cells; rows 4 and 9: conflicting firstName`},
		{report.Result{Status: report.Invalid, Row: 3, Key: "C1", Message: `row 3, column "a": x; warning: row 3, column "b": y; row 12, column "c": z`},
			`invalid: customers.csv row 3 (C1): column "a": x; warning: column "b": y; row 12, column "c": z`},
		{report.Result{Status: report.Failed, Key: "C9", Message: "deactivate: 400"},
			`failed: customer C9 (not in customers.csv): deactivate: 400`},
	} {
		if got := problemLine("customers.csv", c.r); got != c.want {
			t.Errorf("\n got %s\nwant %s", got, c.want)
		}
	}
}
