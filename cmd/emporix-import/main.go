// Command emporix-import imports and syncs customers, addresses and address
// tags from CSV/XLSX files into the Emporix Customer Service.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
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
