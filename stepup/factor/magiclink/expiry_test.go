package magiclink_test

import (
	"context"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/stepup/factor"
	"github.com/stepup-auth/stepup/stepup/factor/magiclink"
	"github.com/stepup-auth/stepup/stepup/store/conformance"
)

func TestExpiredLink(t *testing.T) {
	t.Run("unopened", func(t *testing.T) {
		e := newEnv(t)
		ctx := context.Background()
		p, tok := e.begin(t)
		e.clock.Advance(magiclink.MaxLifetime)
		_, err := e.f.Peek(ctx, tok)
		expectErr(t, "Peek of an expired link", err, factor.ErrExpired)
		_, err = e.f.Open(ctx, tok, browserA)
		expectErr(t, "Open of an expired link", err, factor.ErrExpired)
		_, err = e.poll(p, "")
		expectErr(t, "polling an expired link", err, factor.ErrExpired)
	})
	t.Run("opened, then expired", func(t *testing.T) {
		e := newEnv(t)
		p, tok := e.begin(t)
		op, err := e.f.Open(context.Background(), tok, browserB)
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(magiclink.MaxLifetime)
		_, err = e.poll(p, op.Code)
		expectErr(t, "the right code after expiry", err, factor.ErrExpired)
	})
	t.Run("a shorter lifetime", func(t *testing.T) {
		e := newEnv(t, func(o *magiclink.Options) { o.Lifetime = 2 * time.Minute })
		_, tok := e.begin(t)
		e.clock.Advance(2 * time.Minute)
		_, err := e.f.Open(context.Background(), tok, browserA)
		expectErr(t, "Open after the configured lifetime", err, factor.ErrExpired)
	})
	// A replica whose store clock lags (or a store that sweeps late) still
	// refuses an old link: the factor checks by its own clock too.
	t.Run("the store's clock lags", func(t *testing.T) {
		e := newEnv(t)
		ahead := conformance.NewClockAt(e.clock.Now())
		o := e.o
		o.Now = ahead.Now
		f := e.factor(t, o)
		_, tok := e.begin(t)
		ahead.Advance(magiclink.MaxLifetime + time.Second)
		_, err := f.Peek(context.Background(), tok)
		expectErr(t, "Peek by a factor whose clock is past the expiry", err, factor.ErrExpired)
		if _, err := e.f.Peek(context.Background(), tok); err != nil {
			t.Fatalf("the store still holds the challenge, as it should here: %v", err)
		}
	})
}
