// Command gen regenerates the derived sample files from the repository root:
//
//	go run ./samples/gen
//
// It converts samples/customers.csv into samples/customers.xlsx (every cell a
// typed string, so zip codes keep their leading zeros) and writes
// samples/erp-export.csv, a semicolon-separated Windows-1252 ERP export whose
// umlauts are real cp1252 bytes (hard to keep intact in an editor).
package main

import (
	"bytes"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"
)

func main() {
	dir := flag.String("dir", "samples", "samples directory")
	flag.Parse()
	if err := run(*dir); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(dir string) error {
	if err := customersXLSX(filepath.Join(dir, "customers.csv"), filepath.Join(dir, "customers.xlsx")); err != nil {
		return err
	}
	return erpExport(filepath.Join(dir, "erp-export.csv"))
}

func customersXLSX(in, out string) (err error) {
	b, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\uFEFF")))).ReadAll()
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	f := excelize.NewFile()
	defer func() { err = errors.Join(err, f.Close()) }()
	const sheet = "Customers"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	for i, rec := range recs {
		ref, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow(sheet, ref, &rec); err != nil { // []string → typed string cells
			return err
		}
	}
	last, _ := excelize.CoordinatesToCellName(len(recs[0]), 1)
	if err := f.SetCellStyle(sheet, "A1", last, bold); err != nil {
		return err
	}
	if err := f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	return f.SaveAs(out)
}

// erpRows: one row per address; customers repeat (not always adjacently) with
// identical customer columns. Rows 16 and 26 (spreadsheet numbering) are
// invalid on purpose: see samples/README.md.
var erpRows = [][]string{
	{"Kundennummer", "Anrede", "Vorname", "Nachname", "Firma", "E-Mail", "Telefon", "Währung", "USt-IdNr", "Aktiv", "Straße", "Hausnummer", "PLZ", "Ort", "Land", "Adressart"},
	{"20001", "Herr", "Klaus", "Bauer", "", "klaus.bauer@example.de", "030 4412345", "EUR", "", "ja", "Greifswalder Straße", "204", "10405", "Berlin", "Deutschland", "Rechnung"},
	{"20002", "Frau", "Gabriele", "Schmitt", "Schmitt Bürobedarf GmbH", "G.Schmitt@schmitt-buero.example", "0341 2223344", "EUR", "DE264587931", "ja", "Karl-Liebknecht-Straße", "88", "04275", "Leipzig", "Deutschland", "Rechnung"},
	{"20003", "Herr", "Günther", "Weiß", "", "guenther.weiss@example.de", "0351 8112233", "", "", "ja", "Königsbrücker Straße", "15", "01099", "Dresden", "Deutschland", "Rechnung,Lieferung"},
	{"20004", "Frau", "Brigitte", "Köhler", "", "brigitte.koehler@example.at", "+43 1 4023344", "EUR", "", "ja", "Währinger Straße", "42", "1090", "Wien", "Österreich", "Rechnung,Lieferung"},
	{"20002", "Frau", "Gabriele", "Schmitt", "Schmitt Bürobedarf GmbH", "G.Schmitt@schmitt-buero.example", "0341 2223344", "EUR", "DE264587931", "ja", "Am Güterbahnhof", "12", "04103", "Leipzig", "Deutschland", "Lieferung"},
	{"20005", "Herr", "Ralf", "Hartmann", "Hartmann Elektrotechnik e.K.", "info@hartmann-elektro.example", "0621 445566", "EUR", "DE301122334", "ja", "Augustaanlage", "32", "68165", "Mannheim", "Deutschland", "Rechnung"},
	{"20006", "Frau", "Ute", "Schröder", "", "ute.schroeder@example.de", "", "", "", "nein", "Steinweg", "8", "06108", "Halle (Saale)", "Deutschland", "Rechnung,Lieferung"},
	{"20007", "Herr", "Dieter", "Lehmann", "", "dieter.lehmann@example.de", "0511 3344556", "EUR", "", "ja", "Lister Meile", "50", "30161", "Hannover", "Deutschland", "Rechnung"},
	{"20003", "Herr", "Günther", "Weiß", "", "guenther.weiss@example.de", "0351 8112233", "", "", "ja", "Bautzner Straße", "117", "01099", "Dresden", "Deutschland", "Lieferung"},
	{"20008", "Frau", "Renate", "Krüger", "Krüger & Söhne OHG", "r.krueger@krueger-soehne.example", "0421 667788", "EUR", "DE198273645", "ja", "Obernstraße", "71", "28195", "Bremen", "Deutschland", "Rechnung"},
	{"20009", "Herr", "Wolfgang", "Hofmann", "", "w.hofmann@example.de", "0911 223344", "EUR", "", "ja", "Äußere Laufer Gasse", "9", "90403", "Nürnberg", "Deutschland", "Rechnung"},
	{"20005", "Herr", "Ralf", "Hartmann", "Hartmann Elektrotechnik e.K.", "info@hartmann-elektro.example", "0621 445566", "EUR", "DE301122334", "ja", "Industriestraße", "7", "68169", "Mannheim", "Deutschland", "Lieferung"},
	{"20010", "Herr", "Urs", "Zürcher", "Zürcher Feinmechanik AG", "urs.zuercher@zuercher-fm.example", "+41 44 5556677", "CHF", "CHE-987.654.321", "ja", "Seefeldstrasse", "123", "8008", "Zürich", "Schweiz", "Rechnung"},
	{"20011", "Frau", "Helga", "Schütz", "", "helga.schuetz@example.de", "", "", "", "ja", "Rheinstraße", "14", "55116", "Mainz", "Deutschland", "Rechnung,Lieferung"},
	{"20012", "Herr", "Bernd", "Fuchs", "", "bernd.fuchs(at)example.de", "0228 998877", "EUR", "", "ja", "Poppelsdorfer Allee", "17", "53115", "Bonn", "Deutschland", "Rechnung,Lieferung"},
	{"20008", "Frau", "Renate", "Krüger", "Krüger & Söhne OHG", "r.krueger@krueger-soehne.example", "0421 667788", "EUR", "DE198273645", "ja", "Konsul-Smidt-Straße", "20", "28217", "Bremen", "Deutschland", "Lieferung"},
	{"20013", "Frau", "Sabine", "Lorenz", "", "sabine.lorenz@example.at", "+43 662 123456", "EUR", "", "ja", "Linzer Gasse", "22", "5020", "Salzburg", "Österreich", "Rechnung"},
	{"20014", "Herr", "Jörg", "Ullrich", "Ullrich Holzbau GmbH", "joerg.ullrich@ullrich-holzbau.example", "0361 5566778", "EUR", "DE276543210", "ja", "Anger", "25", "99084", "Erfurt", "Deutschland", "Rechnung"},
	{"20001", "Herr", "Klaus", "Bauer", "", "klaus.bauer@example.de", "030 4412345", "EUR", "", "ja", "Schönhauser Allee", "36", "10435", "Berlin", "Deutschland", "Lieferung"},
	{"20015", "Frau", "Ingeborg", "Peters", "", "ingeborg.peters@example.de", "040 7788990", "EUR", "", "nein", "Mönckebergstraße", "7", "20095", "Hamburg", "Deutschland", "Rechnung,Lieferung"},
	{"20013", "Frau", "Sabine", "Lorenz", "", "sabine.lorenz@example.at", "+43 662 123456", "EUR", "", "ja", "Kaigasse", "5", "5020", "Salzburg", "Österreich", "Lieferung"},
	{"20016", "Herr", "Heinz", "Vogt", "", "heinz.vogt@example.de", "", "", "", "ja", "Kettenhofweg", "3", "60325", "Frankfurt am Main", "Deutschland", "Rechnung,Lieferung"},
	{"20017", "Frau", "Martina", "Engel", "", "martina.engel@example.ch", "+41 31 3334455", "CHF", "", "ja", "Kramgasse", "49", "3011", "Bern", "Schweiz", "Rechnung,Lieferung"},
	{"20014", "Herr", "Jörg", "Ullrich", "Ullrich Holzbau GmbH", "joerg.ullrich@ullrich-holzbau.example", "0361 5566778", "EUR", "DE276543210", "ja", "Gewerbegebiet Nord", "11", "99086", "Erfurt", "Deutschland", "Lieferung"},
	{"20018", "Herr", "Manfred", "Jäger", "", "manfred.jaeger@example.de", "0761 202020", "EUR", "", "ja", "Kaiser-Joseph-Straße", "250", "79098", "Freiburg im Breisgau", "Atlantis", "Rechnung,Lieferung"},
	{"20019", "Frau", "Erika", "Böhm", "Böhm Floristik", "erika.boehm@example.de", "0201 445566", "EUR", "DE123987456", "ja", "Rüttenscheider Straße", "120", "45131", "Essen", "Deutschland", "Rechnung"},
	{"20009", "Herr", "Wolfgang", "Hofmann", "", "w.hofmann@example.de", "0911 223344", "EUR", "", "ja", "Kornmarkt", "1", "90402", "Nürnberg", "Deutschland", "Lieferung"},
	{"20020", "Herr", "Olaf", "Sommer", "", "olaf.sommer@example.de", "0381 4455667", "EUR", "", "ja", "Kröpeliner Straße", "33", "18055", "Rostock", "Deutschland", "Rechnung,Lieferung"},
	{"20019", "Frau", "Erika", "Böhm", "Böhm Floristik", "erika.boehm@example.de", "0201 445566", "EUR", "DE123987456", "ja", "Zweigertstraße", "40", "45130", "Essen", "Deutschland", "Lieferung"},
	{"20010", "Herr", "Urs", "Zürcher", "Zürcher Feinmechanik AG", "urs.zuercher@zuercher-fm.example", "+41 44 5556677", "CHF", "CHE-987.654.321", "ja", "Hardturmstrasse", "161", "8005", "Zürich", "Schweiz", "Lieferung"},
}

// erpExport writes erpRows as an ERP would: semicolons, CRLF, Windows-1252.
func erpExport(out string) error {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Comma = ';'
	w.UseCRLF = true
	if err := w.WriteAll(erpRows); err != nil {
		return err
	}
	b, err := charmap.Windows1252.NewEncoder().Bytes(buf.Bytes())
	if err != nil {
		return fmt.Errorf("encode %s as windows-1252: %w", out, err)
	}
	return os.WriteFile(out, b, 0o644)
}
