package magiclink_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup/factor"
	"github.com/stepup-auth/stepup/stepup/factor/deliver"
	"github.com/stepup-auth/stepup/stepup/factor/factortest"
	"github.com/stepup-auth/stepup/stepup/factor/magiclink"
	"github.com/stepup-auth/stepup/stepup/store"
)

// fixedID is the challenge id a factor whose Rand is idRand makes first.
var (
	idBytes = bytes.Repeat([]byte{0x5a}, 16)
	fixedID = base64.RawURLEncoding.EncodeToString(idBytes)
)

func idRand(o *magiclink.Options) { o.Rand = bytes.NewReader(idBytes) }

func TestMailCarriesTheLinkInBothParts(t *testing.T) {
	e := newEnv(t)
	_, tok := e.begin(t)
	text, html := parts(t, e.mb.received()[0].data)
	link := baseURL + magiclink.Path + "?token=" + tok
	if !strings.Contains(text, link) {
		t.Errorf("the text part lacks %s:\n%s", link, text)
	}
	if !strings.Contains(html, `href="`+link+`"`) {
		t.Errorf("the HTML part has no link to %s:\n%s", link, html)
	}
	if token(t, html) != tok {
		t.Errorf("the HTML part's token %s differs from the text's %s", token(t, html), tok)
	}
	if !strings.Contains(text, "10 minutes") || !strings.Contains(text, "Example") {
		t.Errorf("the text part names neither the site nor the lifetime:\n%s", text)
	}
}

func TestMailInTheUsersLanguage(t *testing.T) {
	e := newEnv(t, func(o *magiclink.Options) {
		o.Lang = func(_ context.Context, userID string) string {
			if userID == "jane" {
				return "de-CH, en;q=0.5"
			}
			return ""
		}
	})
	e.begin(t)
	text, _ := parts(t, e.mb.received()[0].data)
	r, err := deliver.NewRenderer()
	if err != nil {
		t.Fatal(err)
	}
	de, err := r.Render(deliver.KindMagicLink, deliver.Email, "de", deliver.Data{Site: "Example", URL: "https://x", Lifetime: magiclink.MaxLifetime})
	if err != nil {
		t.Fatal(err)
	}
	first := strings.SplitN(de.Text, "\n", 2)[0]
	if !strings.Contains(text, first) {
		t.Errorf("the mail is not in German: want %q in\n%s", first, text)
	}
}

func TestBeginVerifyChoosesTheAddress(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	second := e.addEmail(t, e.user, "jane.doe@work.test", true)
	unverified := e.addEmail(t, e.user, "jd@other.test", false)
	bob := factortest.NewUser(t, e.st, "bob")
	bobs := e.addEmail(t, bob, "bob@example.test", true)

	target := e.target()
	target.Authenticators = []string{second.ID}
	p, err := e.f.BeginVerify(ctx, target)
	if err != nil {
		t.Fatalf("BeginVerify to the second address: %v", err)
	}
	if mails := e.mb.received(); len(mails) != 1 || mails[0].to != second.Destination || p.Display != "j•••@work.test" {
		t.Fatalf("the link went to %v (prompt %q), want only %s", mails, p.Display, second.Destination)
	}
	for name, id := range map[string]string{"unverified": unverified.ID, "another user's": bobs.ID, "unknown": "nope"} {
		target.Authenticators = []string{id}
		_, err := e.f.BeginVerify(ctx, target)
		expectErr(t, "BeginVerify to an "+name+" address", err, factor.ErrNotEnrolled)
	}
	if n := len(e.mb.received()); n != 1 {
		t.Fatalf("%d mails, want still 1", n)
	}
}

func TestBeginVerifyRefuses(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	carol := factortest.NewUser(t, e.st, "carol")
	totp := &store.Authenticator{ID: "totp-carol", UserID: carol.ID, Method: acr.TOTP, Verified: true, Destination: "carol@example.test"}
	if err := e.st.Authenticators().Create(ctx, totp); err != nil {
		t.Fatal(err)
	}
	_, err := e.f.BeginVerify(ctx, factor.Target{UserID: carol.ID, FlowID: "flow-1", Browser: browserA})
	expectErr(t, "BeginVerify with no email address", err, factor.ErrNotEnrolled)
	for name, target := range map[string]factor.Target{
		"no browser": {UserID: e.user.ID, FlowID: "flow-1"},
		"no flow":    {UserID: e.user.ID, Browser: browserA},
		"no user":    {FlowID: "flow-1", Browser: browserA},
	} {
		if _, err := e.f.BeginVerify(ctx, target); err == nil {
			t.Errorf("BeginVerify with %s succeeded", name)
		}
	}
	if n := len(e.mb.received()); n != 0 {
		t.Fatalf("%d mails were sent, want none", n)
	}
}

// A link that could not be sent leaves no challenge behind.
func TestSendFailureDeletesTheChallenge(t *testing.T) {
	e := newEnv(t, idRand)
	e.mb.setRefuse(true)
	_, err := e.f.BeginVerify(context.Background(), e.target())
	expectErr(t, "BeginVerify when the server refuses the mail", err, deliver.ErrUndelivered)
	_, err = e.st.Challenges().Get(context.Background(), fixedID)
	expectErr(t, "the challenge of the unsent link", err, store.ErrNotFound)
}

// senderFunc is a Sender of another package, which may not wrap
// deliver.ErrUndelivered.
type senderFunc func(context.Context, deliver.Message) error

func (f senderFunc) Send(ctx context.Context, m deliver.Message) error { return f(ctx, m) }

func TestSendFailureOfAnotherSenderIsUndelivered(t *testing.T) {
	cause := errors.New("queue full")
	e := newEnv(t, idRand, func(o *magiclink.Options) {
		o.Sender = senderFunc(func(context.Context, deliver.Message) error { return cause })
	})
	_, err := e.f.BeginVerify(context.Background(), e.target())
	expectErr(t, "BeginVerify", err, deliver.ErrUndelivered)
	expectErr(t, "BeginVerify", err, cause)
	_, err = e.st.Challenges().Get(context.Background(), fixedID)
	expectErr(t, "the challenge of the unsent link", err, store.ErrNotFound)
}

// throttle refuses every send after the first to one address.
type throttle struct{ seen map[string]time.Time }

var errTooSoon = errors.New("too soon")

func (t *throttle) Allow(dest string, now time.Time) error {
	if _, ok := t.seen[dest]; ok {
		return errTooSoon
	}
	t.seen[dest] = now
	return nil
}

func TestThrottleRefusesBeforeAnything(t *testing.T) {
	th := &throttle{seen: map[string]time.Time{}}
	e := newEnv(t, func(o *magiclink.Options) { o.Throttle = th })
	e.begin(t)
	if at := th.seen[address]; !at.Equal(e.clock.Now()) {
		t.Errorf("the throttle was asked at %v for %s, want now", at, address)
	}
	o := e.o
	idRand(&o)
	f := e.factor(t, o)
	_, err := f.BeginVerify(context.Background(), e.target())
	expectErr(t, "a refused send", err, errTooSoon)
	if n := len(e.mb.received()); n != 1 {
		t.Errorf("%d mails, want 1", n)
	}
	_, err = e.st.Challenges().Get(context.Background(), fixedID)
	expectErr(t, "the challenge of a refused send", err, store.ErrNotFound)
}
