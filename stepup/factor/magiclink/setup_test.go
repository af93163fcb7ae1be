package magiclink_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup/factor"
	"github.com/stepup-auth/stepup/stepup/factor/deliver"
	"github.com/stepup-auth/stepup/stepup/factor/factortest"
	"github.com/stepup-auth/stepup/stepup/factor/magiclink"
	"github.com/stepup-auth/stepup/stepup/store"
	"github.com/stepup-auth/stepup/stepup/store/conformance"
)

const (
	baseURL  = "https://id.example.test"
	browserA = "browser-a-binding-hash" // the browser that asks for the link
	browserB = "browser-b-binding-hash" // another one: a phone, a forwardee
	address  = "jane@example.test"
)

var testKey = bytes.Repeat([]byte("k"), 32)

// env is a factor over a real memdb store, sending through a real SMTP
// server in the test process, with a fake clock.
type env struct {
	f     *magiclink.Factor
	st    store.Store
	clock *conformance.Clock
	mb    *mailbox
	user  *store.User
	email *store.Authenticator
	o     magiclink.Options
}

func newEnv(t testing.TB, edit ...func(*magiclink.Options)) *env {
	t.Helper()
	e := &env{clock: conformance.NewClock()}
	e.st = factortest.NewStore(t, e.clock.Now)
	e.mb = startMailbox(t)
	r, err := deliver.NewRenderer()
	if err != nil {
		t.Fatal(err)
	}
	e.o = magiclink.Options{
		Authenticators: e.st.Authenticators(), Challenges: e.st.Challenges(),
		Sender: &deliver.SMTPSender{Addr: e.mb.addr, From: "Example <no-reply@example.test>",
			Security: deliver.InsecurePlaintext, Retry: deliver.Retry{Attempts: 1}},
		Renderer: r, Key: testKey, BaseURL: baseURL, Site: "Example", Now: e.clock.Now,
	}
	for _, ed := range edit {
		ed(&e.o)
	}
	e.f = e.factor(t, e.o)
	e.user = factortest.NewUser(t, e.st, "jane")
	e.email = e.addEmail(t, e.user, address, true)
	return e
}

func (e *env) factor(t testing.TB, o magiclink.Options) *magiclink.Factor {
	t.Helper()
	f, err := magiclink.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// addEmail stores an email authenticator, as the email-code factor
// enrolls one.
func (e *env) addEmail(t testing.TB, u *store.User, addr string, verified bool) *store.Authenticator {
	t.Helper()
	a := &store.Authenticator{ID: "email-" + u.ID + "-" + addr, UserID: u.ID, Method: acr.EmailOTP,
		Name: addr, Destination: addr, Verified: verified, CreatedAt: e.clock.Now()}
	if err := e.st.Authenticators().Create(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	return a
}

// target is the flow of tab A.
func (e *env) target() factor.Target {
	return factor.Target{UserID: e.user.ID, FlowID: "flow-1", Browser: browserA}
}

// begin asks for a link for tab A and returns the prompt and the link's
// token as the mail carries it.
func (e *env) begin(t testing.TB) (factor.Prompt, string) {
	t.Helper()
	n := len(e.mb.received())
	p, err := e.f.BeginVerify(context.Background(), e.target())
	if err != nil {
		t.Fatalf("BeginVerify: %v", err)
	}
	mails := e.mb.received()
	if len(mails) != n+1 {
		t.Fatalf("%d mails arrived, want 1", len(mails)-n)
	}
	m := mails[n]
	if m.to != address {
		t.Fatalf("the mail went to %q, want %q", m.to, address)
	}
	text, _ := parts(t, m.data)
	return p, token(t, text)
}

// poll is tab A asking whether it may go on, with a code or none.
func (e *env) poll(p factor.Prompt, code string) (factor.Result, error) {
	return e.f.FinishVerify(context.Background(), e.target(), factor.Answer{ChallengeID: p.ChallengeID, Response: []byte(code)})
}

var linkRE = regexp.MustCompile(regexp.QuoteMeta(baseURL+magiclink.Path+"?token=") + `([A-Za-z0-9_.-]+)`)

// token returns the token of the one link in s.
func token(t testing.TB, s string) string {
	t.Helper()
	m := linkRE.FindAllStringSubmatch(s, -1)
	if len(m) == 0 {
		t.Fatalf("no link in %q", s)
	}
	return m[0][1]
}

// parts returns the decoded plain-text and HTML parts of a raw mail.
func parts(t testing.TB, raw []byte) (text, html string) {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type %q (%v), want multipart/alternative", msg.Header.Get("Content-Type"), err)
	}
	r := multipart.NewReader(msg.Body, params["boundary"])
	for range 4 { // two parts, and the end
		p, err := r.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(p) // quoted-printable is decoded by NextPart
		if err != nil {
			t.Fatal(err)
		}
		switch ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type")); ct {
		case "text/plain":
			text = string(b)
		case "text/html":
			html = string(b)
		}
	}
	if text == "" || html == "" {
		t.Fatalf("the mail lacks a text (%d bytes) or an HTML part (%d bytes)", len(text), len(html))
	}
	return text, html
}

// mailbox is an SMTP server on 127.0.0.1 (emersion/go-smtp) that keeps
// what it receives, or refuses every message while refuse is set.
type mailbox struct {
	addr string

	mu     sync.Mutex
	mails  []received
	refuse bool
}

type received struct {
	to   string
	data []byte
}

func startMailbox(t testing.TB) *mailbox {
	t.Helper()
	mb := &mailbox{}
	s := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{mb: mb}, nil }))
	s.Domain = "mx.test"
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mb.addr = ln.Addr().String()
	go func() { _ = s.Serve(ln) }()
	t.Cleanup(func() { s.Close() })
	return mb
}

func (mb *mailbox) received() []received {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	return append([]received(nil), mb.mails...)
}

func (mb *mailbox) setRefuse(v bool) {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	mb.refuse = v
}

type session struct {
	mb *mailbox
	to string
}

func (s *session) Mail(string, *smtp.MailOptions) error      { return nil }
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error { s.to = to; return nil }
func (s *session) Reset()                                    {}
func (s *session) Logout() error                             { return nil }

func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.mb.mu.Lock()
	defer s.mb.mu.Unlock()
	if s.mb.refuse {
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "refused"}
	}
	s.mb.mails = append(s.mb.mails, received{to: s.to, data: b})
	return nil
}

// expectErr fails t unless err wraps want.
func expectErr(t testing.TB, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: %v, want %v", what, err, want)
	}
}

// codeOther returns a six-digit code other than code.
func codeOther(code string) string {
	b := []byte(code)
	b[0] = '0' + (b[0]-'0'+1)%10
	return string(b)
}
