package otp_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/stepup/factor"
	"github.com/stepup-auth/stepup/stepup/factor/factortest"
	"github.com/stepup-auth/stepup/stepup/factor/sendlimit"
)

// One inbox spelled in other cases is one destination: mail servers
// deliver Victim@ and victim@ to the same mailbox, so the cool-down and
// the per-destination limits must count them together, or whoever may
// set up an address (any registered user, on /enroll/send) sends a
// victim as many codes as the local part has spellings.
func TestReviewAddressCaseSharesSendLimits(t *testing.T) {
	r := newRig(t, rigOptions{limits: sendlimit.Limits{}})
	u := factortest.NewUser(t, r.st, "eve")
	target := factor.Target{UserID: u.ID, FlowID: "enroll"}
	if _, err := r.f.BeginEnrollTo(ctx, u, target, "victim@example.com", ""); err != nil {
		t.Fatal(err)
	}
	for _, spelling := range []string{"Victim@example.com", "VICTIM@example.com", "victim@EXAMPLE.com"} {
		r.clock.Advance(time.Second)
		_, err := r.f.BeginEnrollTo(ctx, u, target, spelling, "")
		var le *sendlimit.LimitError
		if !errors.As(err, &le) || le.Scope != sendlimit.ScopeCooldown {
			t.Errorf("%s a second after victim@example.com: %v, want the cool-down", spelling, err)
		}
	}
	if n := len(r.mail.Mails()); n != 1 {
		t.Errorf("%d codes went to one inbox within seconds, want 1", n)
	}
}
