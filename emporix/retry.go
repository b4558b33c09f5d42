package emporix

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cenkalti/backoff/v5"
)

// do runs a call through the retry policy: exponential backoff with jitter
// (cenkalti/backoff), Retry-After honoured, at most maxRetries retries, ctx
// respected. attempt decides what is retryable.
func (c *Client) do(ctx context.Context, k *call) (*result, error) {
	eb := backoff.NewExponentialBackOff()
	eb.InitialInterval = c.retryInit
	eb.MaxInterval = c.retryMax
	var (
		n            int
		maybeApplied bool // some attempt may have reached the server and been applied
	)
	op := func() (*result, error) {
		n++
		return c.attempt(ctx, k, n, &maybeApplied)
	}
	res, err := backoff.Retry(ctx, op,
		backoff.WithBackOff(eb),
		backoff.WithMaxTries(uint(c.maxRetries)+1),
		backoff.WithMaxElapsedTime(0), // bounded by MaxRetries and ctx instead
		backoff.WithNotify(func(err error, wait time.Duration) {
			c.stats.retries.Add(1)
			if c.log != nil {
				c.log.DebugContext(ctx, "emporix retry", "method", k.method, "path", k.path,
					"attempt", n, "wait", wait, "error", err.Error())
			}
			if c.onRetry != nil {
				c.onRetry(err, wait)
			}
		}),
	)
	if err != nil {
		if cerr := context.Cause(ctx); cerr != nil && err == cerr {
			// ctx ended between attempts: say which call it interrupted.
			return nil, fmt.Errorf("%s %s: %w", k.method, k.path, err)
		}
		if errors.Is(err, ErrServerUnreachable) {
			return nil, err // the breaker's message tells the attempts
		}
		if _, ok := errors.AsType[*retryAfterError](err); ok || isRetryable(err) {
			// Retries exhausted (or ctx ended while waiting) on a retryable error.
			return nil, fmt.Errorf("%w (gave up after %d attempts)", unwrapRetryAfter(err), n)
		}
		return nil, err
	}
	return res, nil
}

// permanent marks an error the retry wrapper must not retry.
func permanent(err error) error { return backoff.Permanent(err) }

func isRetryable(err error) bool {
	var p *backoff.PermanentError
	return err != nil && !errors.As(err, &p) && !errors.Is(err, context.Canceled) &&
		!errors.Is(err, context.DeadlineExceeded)
}

// retryAfterError carries the server-requested wait to backoff.Retry, which
// uses it instead of the next backoff interval.
type retryAfterError struct {
	*backoff.RetryAfterError
	err error
}

func (e *retryAfterError) Error() string { return e.err.Error() }
func (e *retryAfterError) Unwrap() error { return e.err }

// As lets backoff find *backoff.RetryAfterError while errors.As(…, *APIError)
// still reaches the API error through Unwrap.
func (e *retryAfterError) As(target any) bool {
	if t, ok := target.(**backoff.RetryAfterError); ok {
		*t = e.RetryAfterError
		return true
	}
	return false
}

// withRetryAfter attaches a wait to a retryable error; d == 0 leaves the
// choice to the exponential backoff.
func withRetryAfter(err error, d time.Duration) error {
	if d <= 0 {
		return err
	}
	return &retryAfterError{RetryAfterError: &backoff.RetryAfterError{Duration: d}, err: err}
}

func unwrapRetryAfter(err error) error {
	if ra, ok := err.(*retryAfterError); ok {
		return ra.err
	}
	return err
}

// rawRetryAfter parses Retry-After (delta-seconds or HTTP date) as the server
// meant it; 0 when absent or invalid.
func (c *Client) rawRetryAfter(h http.Header) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil {
		if secs < 0 {
			return 0
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(0, time.Until(t))
	}
	return 0
}

// scaledRetryAfter is Retry-After scaled by raUnit (tests shrink a "second").
func (c *Client) scaledRetryAfter(h http.Header) time.Duration {
	d := c.rawRetryAfter(h)
	if d > 0 && c.raUnit != time.Second {
		d = time.Duration(float64(d) / float64(time.Second) * float64(c.raUnit))
	}
	return d
}

// retryAfter is the wait the client actually honours: the scaled
// Retry-After capped at RetryAfterMax.
func (c *Client) retryAfter(h http.Header) time.Duration {
	d := c.scaledRetryAfter(h)
	if d <= 0 {
		return 0
	}
	return min(d, c.raMax)
}
