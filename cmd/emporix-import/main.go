// Command emporix-import imports and syncs customers, addresses and address
// tags from CSV/XLSX files into the Emporix Customer Service.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

func main() {
	if os.Getenv("GOGC") == "" {
		// The heap is mostly the grouping index (live for the whole run): let
		// it grow to 1.5× live instead of 2×. Measured on 1M rows: peak RSS
		// 116 MB → 90 MB at the same speed.
		debug.SetGCPercent(50)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first signal the run finishes in-flight work and writes the
		// report; restoring the default handling lets a second Ctrl-C kill it.
		<-ctx.Done()
		stop()
	}()
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
