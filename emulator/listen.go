package emulator

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// ListenAndServe serves a new emulator on addr until ctx is done. It prints
// the listen address (and the demo credentials, except the secret) to logw;
// on exit it writes the state dump to stateOut when set.
func ListenAndServe(ctx context.Context, addr string, cfg Config, stateOut string, logw io.Writer) error {
	if logw == nil {
		logw = io.Discard
	}
	srv := New(cfg)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("emulator: listen on %s: %w", addr, err)
	}
	hs := &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: min(10*time.Second, srv.cfg.ReadTimeout),
		ReadTimeout:       srv.cfg.ReadTimeout,
		IdleTimeout:       srv.cfg.IdleTimeout,
	}
	fmt.Fprintf(logw, "emporix emulator listening on http://%s (tenant %q, client id %q)\n",
		ln.Addr(), srv.cfg.Tenant, srv.cfg.ClientID)

	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	var serveErr error
	select {
	case <-ctx.Done():
		// Give requests in flight a moment, then close whatever is left: an
		// idle keep-alive connection must not turn a clean stop into an error.
		shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		if err := hs.Shutdown(shutCtx); err != nil {
			_ = hs.Close()
		}
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			serveErr = fmt.Errorf("emulator: serve: %w", err)
		}
	}
	if stateOut != "" {
		if err := writeStateFile(srv, stateOut); err != nil {
			return errors.Join(serveErr, err)
		}
		fmt.Fprintf(logw, "emporix emulator state written to %s\n", stateOut)
	}
	return serveErr
}

// writeStateFile writes atomically (temp file + rename) so that a reader
// never sees a half-written dump.
func writeStateFile(srv *Server, path string) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".state-*.json")
	if err != nil {
		return fmt.Errorf("emulator: state dump: %w", err)
	}
	defer os.Remove(f.Name()) // no-op after the rename
	if err := srv.WriteState(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("emulator: state dump: %w", err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("emulator: state dump: %w", err)
	}
	return nil
}
