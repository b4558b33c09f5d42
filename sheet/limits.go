package sheet

// Limits bound what one reader may hold in memory, whatever the file. Zero
// fields take the defaults, so Limits{} is the production setting; tests
// lower them to reach the limits with small inputs.
type Limits struct {
	// MaxCell caps one cell in bytes. A longer cell is truncated (at a rune
	// boundary) and its row gets a Row.Err; no customer field comes near
	// this, and Excel itself stops at 32,767 characters. Default 64 KiB.
	MaxCell int
	// MaxRecord caps the bytes of one CSV record (one row, possibly several
	// physical lines) or one XLSX row. Default 16 MiB.
	MaxRecord int
	// MaxRecordCells caps the cells of one record: a long run of delimiters
	// costs encoding/csv ~40 bytes each. Default 65,536.
	MaxRecordCells int
	// MaxUnzip caps the total uncompressed size of a workbook. Default 1 GiB.
	MaxUnzip int64
	// MaxPart caps the uncompressed size of one worksheet or the shared
	// strings. Default 512 MiB.
	MaxPart int64
	// MaxRatio caps the compression ratio of a workbook part larger than
	// 16 MiB: real sheets compress 10-50×, zip bombs about 1000×. Default 200.
	MaxRatio int64
	// SpillXML is the size above which excelize streams a worksheet from a
	// temporary file instead of memory. Default 16 MiB.
	SpillXML int64
}

// Open opens a file like the package-level Open, with these limits.
func (l Limits) Open(path string, opt Options) (Reader, error) {
	return open(path, opt, l.withDefaults())
}

func (l Limits) withDefaults() Limits {
	def := func(v *int64, d int64) {
		if *v <= 0 {
			*v = d
		}
	}
	if l.MaxCell <= 0 {
		l.MaxCell = 64 << 10
	}
	if l.MaxRecord <= 0 {
		l.MaxRecord = 16 << 20
	}
	if l.MaxRecordCells <= 0 {
		l.MaxRecordCells = 1 << 16
	}
	def(&l.MaxUnzip, 1<<30)
	def(&l.MaxPart, 512<<20)
	def(&l.MaxRatio, 200)
	def(&l.SpillXML, 16<<20)
	l.SpillXML = min(l.SpillXML, l.MaxUnzip)
	return l
}
