package recovery_test

import (
	"testing"
	"time"

	"github.com/stepup-auth/stepup/stepup/factor"
	"github.com/stepup-auth/stepup/stepup/factor/factortest"
	"github.com/stepup-auth/stepup/stepup/factor/recovery"
	"github.com/stepup-auth/stepup/stepup/store"
	"github.com/stepup-auth/stepup/stepup/store/conformance"
)

func TestFactorSuite(t *testing.T) {
	clock := conformance.NewClock()
	codes := map[string][]string{}
	factortest.Run(t, factortest.Harness{
		New: func(t *testing.T, st store.Store) factor.Factor {
			f, err := recovery.New(recovery.Options{Authenticators: st.Authenticators(), Key: testKey, Now: clock.Now})
			if err != nil {
				t.Fatal(err)
			}
			return f
		},
		Enroll: func(t *testing.T, f factor.Factor, u *store.User) {
			cs, err := f.(*recovery.Factor).Generate(t.Context(), u.ID)
			if err != nil {
				t.Fatal(err)
			}
			codes[u.ID] = cs
		},
		// Each answer is a code not handed out before.
		Answer: func(t *testing.T, u *store.User, _ factor.Prompt) factor.Answer {
			cs := codes[u.ID]
			if len(cs) == 0 {
				t.Fatal("the harness ran out of codes")
			}
			codes[u.ID] = cs[1:]
			return factor.Answer{Response: []byte(cs[0])}
		},
		Wrong: func(t *testing.T, u *store.User, _ factor.Prompt) factor.Answer {
			return factor.Answer{Response: []byte("00000-00000")}
		},
		Now:     clock.Now,
		Advance: func(d time.Duration) { clock.Advance(d) },
	})
}
