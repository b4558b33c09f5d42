package sheet

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"path"
	"strings"
)

// Excel's sheet size; excelize refuses cells and rows beyond it.
const (
	maxExcelRows = 1 << 20
	maxExcelCols = 1 << 14
	// maxInMemoryPart caps a part excelize holds in memory (styles, workbook,
	// small worksheets, images): it never spills those to disk.
	maxInMemoryPart = 64 << 20
	// ratioFloor is the part size from which MaxRatio applies.
	ratioFloor   = 16 << 20
	maxZipParts  = 10000
	maxProblems  = 100000 // defective cells remembered before giving up on the file
	sstPath      = "xl/sharedStrings.xml"
	workbookPath = "xl/workbook.xml"
)

var (
	oleMagic        = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}
	encryptedMarker = []byte("E\x00n\x00c\x00r\x00y\x00p\x00t\x00e\x00d\x00P\x00a\x00c\x00k\x00a\x00g\x00e\x00")
)

// checkOLE explains an OLE compound file given as .xlsx: Excel stores a
// password-protected workbook that way, and so is a legacy .xls.
func checkOLE(ra io.ReaderAt, size int64) error {
	head := make([]byte, len(oleMagic))
	if _, err := ra.ReadAt(head, 0); err != nil || !bytes.Equal(head, oleMagic) {
		return nil
	}
	// The stream directory can sit anywhere; look for the EncryptedPackage stream name.
	buf := make([]byte, 1<<20)
	for off := int64(0); off < size; off += int64(len(buf) - len(encryptedMarker)) {
		n, _ := ra.ReadAt(buf, off)
		if bytes.Contains(buf[:n], encryptedMarker) {
			return fmt.Errorf("%w: remove the password in Excel (File > Info > Protect Workbook > Encrypt with Password: clear it) and save again", ErrEncrypted)
		}
		if n < len(buf) {
			break
		}
	}
	return fmt.Errorf("%w: this is a legacy Excel 97-2003 (.xls) workbook with an .xlsx name; open it in Excel and save it as .xlsx or .csv", ErrUnsupportedFormat)
}

// checkZip refuses workbooks that would cost too much to open: too many
// parts, too large in total or per part, or compressed like a zip bomb.
func checkZip(zr *zip.Reader, lim Limits) error {
	if len(zr.File) > maxZipParts {
		return fmt.Errorf("%w: %d parts in the workbook, at most %d allowed", ErrTooLarge, len(zr.File), maxZipParts)
	}
	var total uint64
	for _, f := range zr.File {
		u, c := f.UncompressedSize64, max(f.CompressedSize64, 1)
		total += u
		switch {
		case total > uint64(lim.MaxUnzip):
			return fmt.Errorf("%w: more than the %d bytes allowed (zip bomb?)", ErrTooLarge, lim.MaxUnzip)
		case u > ratioFloor && u/c > uint64(lim.MaxRatio):
			return fmt.Errorf("%w: part %s expands %d times (%d bytes); real workbooks compress at most ~%d times (zip bomb?)",
				ErrTooLarge, f.Name, u/c, u, lim.MaxRatio)
		case spills(f.Name) && u > uint64(lim.MaxPart):
			return fmt.Errorf("%w: part %s has %d bytes uncompressed, more than the %d allowed", ErrTooLarge, f.Name, u, lim.MaxPart)
		case !spills(f.Name) && u > maxInMemoryPart:
			return fmt.Errorf("%w: part %s has %d bytes uncompressed, more than the %d allowed", ErrTooLarge, f.Name, u, maxInMemoryPart)
		}
	}
	return nil
}

// spills reports whether excelize streams a part from a temporary file when
// it is large (worksheets named sheet*.xml, the shared strings).
func spills(name string) bool {
	n := strings.ToLower(strings.ReplaceAll(name, "\\", "/"))
	return strings.HasPrefix(n, "xl/worksheets/sheet") || n == strings.ToLower(sstPath)
}

// sheetParts lists the sheets and their zip parts, through the workbook and its relationships.
func sheetParts(zr *zip.Reader) (names, parts []string, err error) {
	var wb struct {
		Sheets []struct {
			Name string `xml:"name,attr"`
			ID   string `xml:"http://schemas.openxmlformats.org/officeDocument/2006/relationships id,attr"`
		} `xml:"sheets>sheet"`
	}
	var rels struct {
		Rel []struct {
			ID     string `xml:"Id,attr"`
			Target string `xml:"Target,attr"`
		} `xml:"Relationship"`
	}
	if err := decodePart(zr, workbookPath, &wb); err != nil {
		return nil, nil, err
	}
	if err := decodePart(zr, "xl/_rels/workbook.xml.rels", &rels); err != nil {
		return nil, nil, err
	}
	for _, s := range wb.Sheets {
		part := ""
		for _, r := range rels.Rel {
			if r.ID == s.ID {
				part = path.Join("xl", r.Target)
				if strings.HasPrefix(r.Target, "/") {
					part = strings.TrimPrefix(r.Target, "/")
				}
			}
		}
		names, parts = append(names, s.Name), append(parts, part)
	}
	return names, parts, nil
}

// repairSheet scans the shared strings and the sheet part. When either needs
// a repair it returns the whole workbook rewritten with the repaired parts
// (the other parts copied as they are) and the problems found.
func repairSheet(zr *zip.Reader, part string, lim Limits) (*cellProblems, []byte, error) {
	sst, sheet := findPart(zr, sstPath), findPart(zr, part)
	dirty := false
	for _, f := range []*zip.File{sst, sheet} {
		if f == nil || dirty {
			continue
		}
		d, err := scanPart(f, nil, lim, f == sst, newCellProblems())
		if err != nil {
			return nil, nil, err
		}
		dirty = d
	}
	if !dirty {
		return newCellProblems(), nil, nil
	}
	probs := newCellProblems()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	// The shared strings first: the sheet's cells refer to their problems.
	for _, f := range []*zip.File{sst, sheet} {
		if f == nil {
			continue
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Deflate})
		if err != nil {
			return nil, nil, err
		}
		if _, err := scanPart(f, w, lim, f == sst, probs); err != nil {
			return nil, nil, err
		}
	}
	for _, f := range zr.File {
		if f != sst && f != sheet {
			if err := copyRaw(zw, f); err != nil {
				return nil, nil, err
			}
		}
	}
	if err := zw.Close(); err != nil {
		return nil, nil, err
	}
	return probs, buf.Bytes(), nil
}

func scanPart(f *zip.File, out io.Writer, lim Limits, sstMode bool, probs *cellProblems) (bool, error) {
	rc, err := f.Open()
	if err != nil {
		return false, fmt.Errorf("%w: %s: %v", ErrCorrupt, f.Name, err)
	}
	defer rc.Close()
	dirty, err := scanXML(rc, out, lim, sstMode, probs)
	if err != nil {
		return false, fmt.Errorf("%s: %w", f.Name, err)
	}
	return dirty, nil
}

func copyRaw(zw *zip.Writer, f *zip.File) error {
	r, err := f.OpenRaw()
	if err != nil {
		return err
	}
	w, err := zw.CreateRaw(&f.FileHeader)
	if err != nil {
		return err
	}
	_, err = io.Copy(w, r)
	return err
}

func decodePart(zr *zip.Reader, name string, v any) error {
	f := findPart(zr, name)
	if f == nil {
		return nil
	}
	rc, err := f.Open()
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrCorrupt, name, err)
	}
	defer rc.Close()
	if err := xml.NewDecoder(rc).Decode(v); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrCorrupt, name, err)
	}
	return nil
}

func findPart(zr *zip.Reader, name string) *zip.File {
	for _, f := range zr.File {
		if strings.EqualFold(strings.ReplaceAll(f.Name, "\\", "/"), name) {
			return f
		}
	}
	return nil
}
