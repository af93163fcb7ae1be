package totp_test

import (
	"testing"
	"time"

	"github.com/stepup-auth/stepup/stepup/factor"
	"github.com/stepup-auth/stepup/stepup/factor/factortest"
	"github.com/stepup-auth/stepup/stepup/factor/totp"
	"github.com/stepup-auth/stepup/stepup/store"
	"github.com/stepup-auth/stepup/stepup/store/conformance"
)

func TestFactorSuite(t *testing.T) {
	clock := conformance.NewClock()
	secrets := map[string][]byte{}
	factortest.Run(t, factortest.Harness{
		New: func(t *testing.T, st store.Store) factor.Factor {
			return newFactor(t, st, clock.Now)
		},
		Enroll: func(t *testing.T, f factor.Factor, u *store.User) {
			secrets[u.ID], _ = enroll(t, f.(*totp.Factor), clock.Now, u)
		},
		Answer: func(t *testing.T, u *store.User, _ factor.Prompt) factor.Answer {
			return factor.Answer{Response: []byte(codeAt(secrets[u.ID], clock.Now(), 0))}
		},
		Wrong: func(t *testing.T, u *store.User, _ factor.Prompt) factor.Answer {
			return factor.Answer{Response: []byte(wrongCode(secrets[u.ID], clock.Now()))}
		},
		Now:     clock.Now,
		Advance: func(d time.Duration) { clock.Advance(d) },
	})
}
