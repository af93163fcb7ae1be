package device_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/stepup/api/device"
	"github.com/stepup-auth/stepup/stepup/factor"
	"github.com/stepup-auth/stepup/stepup/factor/factortest"
	"github.com/stepup-auth/stepup/stepup/factor/push"
	"github.com/stepup-auth/stepup/stepup/factor/push/pushdevice"
	"github.com/stepup-auth/stepup/stepup/store"
	"github.com/stepup-auth/stepup/stepup/store/conformance"
)

// env is a push factor and its device API on loopback, over a real
// store, on a fake clock.
type env struct {
	t     *testing.T
	ctx   context.Context
	clock *conformance.Clock
	st    store.Store
	f     *push.Factor
	srv   *httptest.Server
	url   string
	alice *store.User
	// flow is alice's sign-in flow.
	flow factor.Target
	// keys are the phones' keys, for tests that sign by hand.
	keys map[*pushdevice.Device]*ecdsa.PrivateKey
}

type envOptions struct {
	limits   push.Limits
	notifier push.Notifier
	recheck  time.Duration
	// replays bounds the requests the handler remembers (0: the default).
	replays int
	// challenges wraps the store's challenges, for the factor only.
	challenges func(store.Challenges) store.Challenges
}

func newEnv(t *testing.T, o envOptions) *env {
	t.Helper()
	e := &env{t: t, ctx: t.Context(), clock: conformance.NewClockAt(time.Unix(1_800_000_000, 0).UTC()), keys: map[*pushdevice.Device]*ecdsa.PrivateKey{}}
	e.st = factortest.NewStore(t, e.clock.Now)
	// The server's address is known before it starts: the factor sends
	// devices to it, and the handler serves for the factor.
	e.srv = httptest.NewUnstartedServer(nil)
	e.url = "http://" + e.srv.Listener.Addr().String()
	e.f = e.factor(o)
	h, err := device.New(device.Options{Push: e.f, Now: e.clock.Now, Recheck: o.recheck, Replays: o.replays, Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	e.srv.Config.Handler = h
	e.srv.Start()
	t.Cleanup(e.srv.Close)
	e.alice = factortest.NewUser(t, e.st, "alice")
	factortest.NewUser(t, e.st, "bob")
	e.flow = factor.Target{UserID: "alice", FlowID: "flow-1"}
	return e
}

// factor returns a push factor over e's store: e's own, or another
// replica's.
func (e *env) factor(o envOptions) *push.Factor {
	e.t.Helper()
	ch := e.st.Challenges()
	if o.challenges != nil {
		ch = o.challenges(ch)
	}
	f, err := push.New(push.Options{
		Authenticators: e.st.Authenticators(), Challenges: ch, PublicURL: e.url,
		Limits: o.limits, Notifier: o.notifier, Now: e.clock.Now, Log: quiet,
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return f
}

// replica starts another server over e's store, with its own factor and
// handler, and so its own memory of requests seen, and returns its URL.
func (e *env) replica(o envOptions) string {
	e.t.Helper()
	h, err := device.New(device.Options{Push: e.factor(o), Now: e.clock.Now, Recheck: o.recheck, Log: quiet})
	if err != nil {
		e.t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	e.t.Cleanup(srv.Close)
	return srv.URL
}

// phone returns a device enrolled for user through the device API, by
// the enrollment flow the page drives.
func (e *env) phone(u *store.User, name string) *pushdevice.Device {
	e.t.Helper()
	return e.phoneWith(u, name, pushdevice.Options{Now: e.clock.Now})
}

func (e *env) phoneWith(u *store.User, name string, o pushdevice.Options) *pushdevice.Device {
	e.t.Helper()
	target := factor.Target{UserID: u.ID, FlowID: "enroll-" + name}
	p, err := e.f.BeginEnroll(e.ctx, u, target)
	if err != nil {
		e.t.Fatal(err)
	}
	if o.Key == nil {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			e.t.Fatal(err)
		}
		o.Key = key
	}
	d, err := pushdevice.New(o)
	if err != nil {
		e.t.Fatal(err)
	}
	e.keys[d] = o.Key
	if err := d.Enroll(e.ctx, p.URI, name, "android"); err != nil {
		e.t.Fatalf("enrolling %s: %v", name, err)
	}
	res, err := e.f.FinishEnroll(e.ctx, u, target, factor.Answer{ChallengeID: p.ChallengeID})
	if err != nil {
		e.t.Fatalf("FinishEnroll of %s: %v", name, err)
	}
	if res.Authenticator.ID != d.ID() {
		e.t.Fatalf("FinishEnroll gives device %s, the phone is %s", res.Authenticator.ID, d.ID())
	}
	return d
}

// begin starts a push for t and fails the test if it is refused.
func (e *env) begin(t factor.Target) factor.Prompt {
	e.t.Helper()
	p, err := e.f.BeginVerify(e.ctx, t)
	if err != nil {
		e.t.Fatalf("BeginVerify(%+v): %v", t, err)
	}
	return p
}

// only returns the one push waiting for d, now.
func (e *env) only(d *pushdevice.Device) pushdevice.Challenge {
	e.t.Helper()
	cs, err := d.Next(e.ctx, 0)
	if err != nil {
		e.t.Fatalf("Next: %v", err)
	}
	if len(cs) != 1 {
		e.t.Fatalf("Next gives %d pushes, want 1: %+v", len(cs), cs)
	}
	return cs[0]
}

// recorder is an HTTP transport that keeps a copy of each request it
// sends, so that a test can replay one as an attacker who captured it.
type recorder struct {
	mu   sync.Mutex
	reqs []recorded
}

type recorded struct {
	method, url string
	header      http.Header
	body        []byte
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		body, _ = io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	r.mu.Lock()
	r.reqs = append(r.reqs, recorded{req.Method, req.URL.String(), req.Header.Clone(), body})
	r.mu.Unlock()
	return http.DefaultTransport.RoundTrip(req)
}

// last returns the last request recorded.
func (r *recorder) last() recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.reqs[len(r.reqs)-1]
}

// send sends rec again, to url (rec's own when empty), and returns the
// status.
func send(t *testing.T, rec recorded, url string) int {
	t.Helper()
	if url == "" {
		url = rec.url
	}
	req, err := http.NewRequestWithContext(t.Context(), rec.method, url, bytes.NewReader(rec.body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = rec.header.Clone()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode
}

// number parses a prompt's Display.
func number(t *testing.T, p factor.Prompt) int {
	t.Helper()
	n := 0
	for _, c := range p.Display {
		if c < '0' || c > '9' {
			t.Fatalf("Display %q is not a number", p.Display)
		}
		n = n*10 + int(c-'0')
	}
	if n < 10 || n > 99 {
		t.Fatalf("Display %q is not two digits", p.Display)
	}
	return n
}

// other returns a choice of c that is not n.
func other(t *testing.T, c pushdevice.Challenge, n int) int {
	t.Helper()
	for _, v := range c.Choices {
		if v != n {
			return v
		}
	}
	t.Fatalf("the choices %v hold nothing but %d", c.Choices, n)
	return 0
}

// quiet is the tests' logger: what is refused is checked, not read.
var quiet = slog.New(slog.DiscardHandler)
