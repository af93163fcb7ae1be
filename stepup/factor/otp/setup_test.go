package otp_test

import (
	"context"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup/factor"
	"github.com/stepup-auth/stepup/stepup/factor/deliver"
	"github.com/stepup-auth/stepup/stepup/factor/deliver/delivertest"
	"github.com/stepup-auth/stepup/stepup/factor/factortest"
	"github.com/stepup-auth/stepup/stepup/factor/otp"
	"github.com/stepup-auth/stepup/stepup/factor/phone"
	"github.com/stepup-auth/stepup/stepup/factor/sendlimit"
	"github.com/stepup-auth/stepup/stepup/store"
)

var ctx = context.Background()

// clock is a test clock that starts at a fixed instant and ticks a
// microsecond at each reading, so that two sends are never at the same
// instant (roomy's cool-down of a nanosecond lets them through).
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 24, 14, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Microsecond)
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// roomy limits let every send of a test through.
func roomy() sendlimit.Limits {
	big := []sendlimit.Window{{Max: 1 << 20, Period: time.Second}}
	return sendlimit.Limits{Cooldown: time.Nanosecond, Destination: big, Region: big, Global: big}
}

// rig is one factor over a real store and a real server to send to.
type rig struct {
	f     *otp.Factor
	st    store.Store
	clock *clock
	mail  *delivertest.Mailbox
	sms   *delivertest.Twilio
}

type rigOptions struct {
	method  acr.Method
	limits  sendlimit.Limits
	regions []string // allowed countries for numbers; DE if empty
}

func newRig(t testing.TB, o rigOptions) *rig {
	t.Helper()
	if o.method == "" {
		o.method = acr.EmailOTP
	}
	r := &rig{clock: newClock()}
	r.st = factortest.NewStore(t, r.clock.Now)
	r.f = r.factor(t, o)
	return r
}

func (r *rig) factor(t testing.TB, o rigOptions) *otp.Factor {
	t.Helper()
	renderer, err := deliver.NewRenderer()
	if err != nil {
		t.Fatal(err)
	}
	limits, err := sendlimit.NewLimiter(o.limits)
	if err != nil {
		t.Fatal(err)
	}
	policy, err := phone.NewPolicy("DE", o.regions)
	if err != nil {
		t.Fatal(err)
	}
	opts := otp.Options{
		Method: o.method, Authenticators: r.st.Authenticators(), Challenges: r.st.Challenges(), Users: r.st.Users(),
		Renderer: renderer, Site: "Example Bank", Key: make([]byte, 32), Limits: limits, Phones: policy, Now: r.clock.Now,
	}
	if o.method == acr.EmailOTP {
		if r.mail == nil {
			r.mail = delivertest.StartMailbox(t)
		}
		opts.Sender = r.mail.Sender()
	} else {
		if r.sms == nil {
			r.sms = delivertest.StartTwilio(t)
		}
		opts.Sender = r.sms.Sender()
	}
	f, err := otp.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

var sixDigits = regexp.MustCompile(`\b\d{6}\b`)

// codeIn returns the code a message holds.
func codeIn(t testing.TB, text string) string {
	t.Helper()
	code := sixDigits.FindString(text)
	if code == "" {
		t.Fatalf("no code in %q", text)
	}
	return code
}

// lastCode is the code of the latest message to dest.
func (r *rig) lastCode(t testing.TB, dest string) string {
	t.Helper()
	if r.mail != nil {
		ms := r.mail.Mails()
		for i := len(ms) - 1; i >= 0; i-- {
			if ms[i].To == dest {
				return codeIn(t, ms[i].Text)
			}
		}
	}
	if r.sms != nil {
		ts := r.sms.Texts()
		for i := len(ts) - 1; i >= 0; i-- {
			if ts[i].To == dest || ts[i].To == "whatsapp:"+dest {
				return codeIn(t, ts[i].Body)
			}
		}
	}
	t.Fatalf("nothing was sent to %s", dest)
	return ""
}

// wrong returns a code that is not code.
func wrong(code string) string {
	if code == "000000" {
		return "000001"
	}
	return "000000"
}

// enroll sets dest up as u's factor, reading the code sent to it.
func (r *rig) enroll(t testing.TB, u *store.User, dest string) *store.Authenticator {
	t.Helper()
	target := factor.Target{UserID: u.ID, FlowID: "enroll"}
	p, err := r.f.BeginEnrollTo(ctx, u, target, dest, "")
	if err != nil {
		t.Fatalf("BeginEnrollTo %s: %v", dest, err)
	}
	// dest is typed as it is sent: an address, or a number in E.164.
	res, err := r.f.FinishEnroll(ctx, u, target, factor.Answer{ChallengeID: p.ChallengeID, Response: []byte(r.lastCode(t, dest))})
	if err != nil {
		t.Fatalf("FinishEnroll %s: %v", dest, err)
	}
	return res.Authenticator
}
