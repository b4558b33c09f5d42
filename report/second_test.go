package report

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/emporix-import/emporix-import/sheet"
)

// A second input shares the report: its columns follow the first file's (a
// name both have is one column), import_file names each row's file, and its
// invalid rows go to an errors file of its own, in its own shape.
func TestSecondInput(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "r.csv")
	w, err := Create(path, []string{"email", "firstname"},
		WithSecondInput("in/c.csv", "in/a.xlsx", "addresses", []string{"_email", "firstname", "street", "import_source_row"}, sheet.Options{Sheet: "Adressen"}))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []Result{
		{Seq: 0, Row: 2, File: "in/c.csv", Cells: []string{"a@x.de", "Ann"}, Status: Valid},
		{Seq: 1, Row: 7, File: "in/a.xlsx", Cells: []string{"a@x.de", "Anna", "Weg 1", "7"}, Status: Invalid, Message: "bad"},
	} {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(Summary{}); err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(readCSV(t, path))
	want := "[[email firstname _email street import_file import_row import_status import_customer_number import_address_ids import_changes import_message] " +
		"[a@x.de Ann   c.csv 2 valid    ] [ Anna a@x.de Weg 1 a.xlsx 7 invalid    bad]]"
	if got != want {
		t.Errorf("report\n got %s\nwant %s", got, want)
	}
	if paths := w.ErrorsPaths(); len(paths) != 1 || paths[0] != filepath.Join(dir, "r.addresses.errors.xlsx") {
		t.Fatalf("errors files %v", paths)
	}
	rd, err := sheet.Open(filepath.Join(dir, "r.addresses.errors.xlsx"), sheet.Options{Sheet: "Adressen"})
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	r, err := rd.Next()
	if err != nil {
		t.Fatal(err)
	}
	if h, c := fmt.Sprint(rd.Header()), fmt.Sprint(r.Cells); h != "[_email firstname street import_source_row import_message]" || c != "[a@x.de Anna Weg 1 7 bad]" {
		t.Errorf("errors file %s %s", h, c)
	}
}
