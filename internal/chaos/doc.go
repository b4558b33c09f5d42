// Package chaos holds the end-to-end chaos test of emporix-import:
// the real binary imports generated customers into the emulator running as a
// separate process with injected faults (503, 429, answers dropped after the
// write was applied, short-lived tokens), is killed with SIGKILL at random
// points and resumed, and the final tenant state and report are checked for
// missing data, duplicates and field mismatches.
//
// The package has no non-test code besides this comment. `go test -short`
// (make test) runs 40 customers in a few seconds, `go test ./...` (make
// test-all) 200, `make chaos` 2000.
// Environment:
//
//	CHAOS_CUSTOMERS   number of generated customers (default 200, 40 with -short)
//	CHAOS_SEED        seed for data, kill points and emulator faults (default 1)
//	CHAOS_RATE        emulator --rate (default 50, 500 below 1000 customers)
//	CHAOS_SUMMARY     also append the one-line result summaries to this file
//	EMPORIX_IMPORT_BIN use this binary instead of building cmd/emporix-import
package chaos
