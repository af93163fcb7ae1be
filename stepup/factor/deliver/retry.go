package deliver

import (
	"context"
	"errors"
	"time"
)

// Retry bounds the attempts of a send. Senders retry only when the message
// provably was not accepted (see each sender); anything else is tried once.
type Retry struct {
	// Attempts is the most tries in all, at least 1; 0 means 3.
	Attempts int
	// Backoff is the wait before the second try, doubled before each
	// later one; 0 means 500ms.
	Backoff time.Duration
}

// retryable marks an attempt's error as safe to try again: the message was
// certainly not accepted.
type retryable struct{ err error }

func (e retryable) Error() string { return e.err.Error() }
func (e retryable) Unwrap() error { return e.err }

// run calls attempt until it succeeds, fails for good, or the attempts or
// ctx run out. The last error is returned, unwrapped from retryable.
func (r Retry) run(ctx context.Context, attempt func(context.Context) error) error {
	n, wait := r.Attempts, r.Backoff
	if n <= 0 {
		n = 3
	}
	if wait <= 0 {
		wait = 500 * time.Millisecond
	}
	var err error
	for i := 0; i < n; i++ {
		if i > 0 {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return errors.Join(err, ctx.Err())
			case <-t.C:
			}
			wait *= 2
		}
		err = attempt(ctx)
		var again retryable
		if !errors.As(err, &again) {
			return err
		}
		err = again.err
	}
	return err
}
