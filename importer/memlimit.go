package importer

import (
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
)

// softMemoryLimit sets a soft memory limit (runtime/debug.SetMemoryLimit)
// for a run over input, sized to the grouping index it needs, unless
// GOMEMLIMIT is set; the returned func restores the previous limit.
//
// Why: the index is the run's live heap and peaks while it is built (46 MB
// live for a 1M-row, 136 MB CSV); GOGC=100 alone lets the heap reach twice
// that (peak RSS 120 MB), GOGC=50 for the whole run cost 21% more CPU. A
// limit of 1.5× the estimated index plus 16 MiB (84 MiB for that file), at
// least 64 MiB, holds peak RSS at 89 MB with GOGC=100's CPU. The limit is
// soft: an estimate too low costs GC time (bounded by the runtime), never a
// failure.
func softMemoryLimit(input string) (restore func()) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	st, err := os.Stat(input)
	if err != nil {
		return func() {}
	}
	// Index bytes per input byte, measured: a third for CSV; XLSX is
	// compressed about tenfold and its XML holds the same text, so about 2.
	est := float64(st.Size()) / 3
	if ext := strings.ToLower(filepath.Ext(input)); ext == ".xlsx" || ext == ".xlsm" {
		est = float64(st.Size()) * 2
	}
	limit := max(64<<20, int64(math.Min(est*1.5+16<<20, math.MaxInt64/2)))
	prev := debug.SetMemoryLimit(limit)
	return func() { debug.SetMemoryLimit(prev) }
}
