// Package bench is the performance harness behind `make bench`: a generator
// for synthetic customer files, an emulated tenant with request and
// connection counters, the sequential "curl loop" a user would script from the
// Emporix seed tutorial, and a results table. The benchmarks themselves live
// in bench_test.go; they print machine-independent ratios against the goals
// of issues 4 and 6.
package bench
