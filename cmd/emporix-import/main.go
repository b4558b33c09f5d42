// Command emporix-import imports and syncs customers, addresses and address
// tags from CSV/XLSX files into the Emporix Customer Service.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, cancel := context.WithCancel(context.Background())
	force := make(chan struct{})
	sigs := make(chan os.Signal, 3)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		// First signal: stop feeding, let work in flight finish within
		// --shutdown-timeout. Second: cancel it at once; the report is still
		// written. Third: leave without waiting for anything.
		<-sigs
		cancel()
		<-sigs
		close(force)
		<-sigs
		fmt.Fprintln(os.Stderr, "emporix-import: third signal: exiting without finishing the report")
		os.Exit(130)
	}()
	code := run(withForceStop(ctx, force), os.Args[1:], os.Stdout, os.Stderr)
	cancel()
	os.Exit(code)
}
