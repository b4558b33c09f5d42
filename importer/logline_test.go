package importer_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emporix-import/emporix-import/importer"
)

// TestProblemLinesNameFileRowAndKey: every text log line about a row names
// the input file, the row and the customer key.
func TestProblemLinesNameFileRowAndKey(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "customers.csv")
	body := "customerNumber,contactEmail,title,address.contactName,address.street,address.country\n" +
		"C1001,anna@example.com,MRS,Anna,Torstraße,DE\n" +
		"C1002,peter@@example.de,Sir,Peter,Hauptstr.,DE\n" +
		",nokey@example.com,MR,,,\n" +
		"C1003,x@example.com,MR,,Am Markt,Germany\n"
	if err := os.WriteFile(in, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	_, err := importer.Validate(context.Background(), importer.Config{Input: in, Report: filepath.Join(dir, "r.csv"), Quiet: true, Stderr: &stderr})
	if importer.ExitCode(err) != importer.ExitRowsFailed {
		t.Fatalf("exit %d: %v", importer.ExitCode(err), err)
	}
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	want := []string{
		`invalid: customers.csv row 3 (C1002): column "contactEmail": invalid e-mail address "peter@@example.de"; column "title": invalid title "Sir" (want MR, MRS, MS or DR)`,
		`invalid: customers.csv row 4: column "customerNumber": customerNumber is required`,
		`invalid: customers.csv row 5 (C1003): column "address.country": invalid country "Germany" (want an ISO 3166-1 alpha-2 code such as DE); column "address.contactName": address.contactName is required when the row has an address`,
	}
	if len(lines) < len(want)+1 {
		t.Fatalf("stderr:\n%s", stderr.String())
	}
	for i, w := range want {
		if lines[i] != w {
			t.Errorf("line %d\n got %s\nwant %s", i, lines[i], w)
		}
	}
}
