package emporix

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// ErrServerUnreachable means the API stopped answering: several consecutive
// attempts, spread over some time, failed to connect or timed out. The
// client then fails every further call at once instead of retrying each one
// against a dead server; the importer aborts the run (resumable).
var ErrServerUnreachable = errors.New("API server unreachable")

// ErrRetryAfterTooLong means the server asked, with Retry-After, for a pause
// longer than the client waits (30 s by default). It also matches
// ErrServerUnreachable: the client fails every further call at once and the
// importer aborts the run (resumable) rather than defy or sit out the wait.
var ErrRetryAfterTooLong = errors.New("Retry-After too long")

type retryAfterTooLongError struct {
	asked, limit time.Duration
	status       int
}

func (e *retryAfterTooLongError) Error() string {
	return fmt.Sprintf("API server asked to wait %s (%d with Retry-After), longer than the %s the client waits",
		e.asked, e.status, e.limit)
}

func (e *retryAfterTooLongError) Is(target error) bool {
	return target == ErrRetryAfterTooLong || target == ErrServerUnreachable
}

// breaker counts consecutive connection failures and timeouts across all
// calls of a Client; any HTTP response, whatever its status, resets it. It
// opens after failures attempts that span at least span, so a short network
// blip that fails a burst of concurrent requests does not stop a run.
type breaker struct {
	failures int // 0 = never open
	span     time.Duration
	now      func() time.Time

	mu    sync.Mutex
	n     int
	first time.Time // time of the first failure in the current streak
	open  error     // non-nil once open: the error every call returns
}

func (b *breaker) check() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.open
}

func (b *breaker) succeeded() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.open == nil {
		b.n = 0
	}
}

// trip opens the breaker at once with err (unless it is open already) and
// returns the breaker's error.
func (b *breaker) trip(err error) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.open == nil {
		b.open = err
	}
	return b.open
}

// failed records a connection failure; it returns the breaker's error when
// this failure opens it (or it is open already).
func (b *breaker) failed(err error) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.open != nil || b.failures <= 0 {
		return b.open
	}
	now := b.now()
	if b.n == 0 {
		b.first = now
	}
	b.n++
	if b.n >= b.failures && now.Sub(b.first) >= b.span {
		b.open = fmt.Errorf("%w: %d consecutive attempts over %s failed to connect or timed out (last: %v)",
			ErrServerUnreachable, b.n, now.Sub(b.first).Round(time.Second), err)
	}
	return b.open
}

// isConnFailure reports whether a round-trip error means the server did not
// answer at all: a timeout, a refused, reset or closed connection, a failed
// name lookup. Errors of the caller's own making (ctx, limiter, refused
// credentials) are not.
func isConnFailure(ctx context.Context, err error) bool {
	if context.Cause(ctx) != nil {
		return false
	}
	if _, ok := errors.AsType[*AuthError](err); ok {
		return false
	}
	if _, ok := errors.AsType[*limiterError](err); ok {
		return false
	}
	if te, ok := errors.AsType[interface {
		error
		Timeout() bool
	}](err); ok && te.Timeout() {
		return true
	}
	if _, ok := errors.AsType[*net.OpError](err); ok {
		return true
	}
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}
