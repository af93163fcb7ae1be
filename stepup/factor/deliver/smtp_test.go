package deliver_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/stepup-auth/stepup/stepup/factor/deliver"
)

// mailbox is an SMTP server on 127.0.0.1 (emersion/go-smtp) that keeps
// what it receives.
type mailbox struct {
	addr   string
	client *tls.Config // trusts the server's self-signed certificate

	mu       sync.Mutex
	mails    []received
	sessions int     // connections
	froms    int     // MAIL commands seen
	dataErrs []error // Data answers, one per DATA, then nil
	authed   bool
	stall    chan struct{}
	hangUp   bool
}

type received struct {
	from, to string
	data     []byte
	tls      bool
}

type mailboxOptions struct {
	noTLS    bool    // offer no STARTTLS
	implicit bool    // TLS from the first byte (port 465 style)
	dataErrs []error // the answers to the first DATA commands
	// stall makes the server read a message and then not answer until
	// the test ends.
	stall bool
	// hangUp makes the server read a message and close the connection
	// without an answer.
	hangUp bool
}

func startMailbox(t *testing.T, o mailboxOptions) *mailbox {
	t.Helper()
	cert, pool := selfSigned(t)
	mb := &mailbox{client: &tls.Config{RootCAs: pool}, dataErrs: o.dataErrs, hangUp: o.hangUp}
	s := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		_, isTLS := c.TLSConnectionState()
		mb.mu.Lock()
		mb.sessions++
		mb.mu.Unlock()
		return &session{mb: mb, tls: isTLS, conn: c}, nil
	}))
	s.Domain = "mx.test"
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	s.MaxRecipients = 5
	srvTLS := &tls.Config{Certificates: []tls.Certificate{cert}}
	if !o.noTLS {
		s.TLSConfig = srvTLS
	}
	var ln net.Listener
	var err error
	if o.implicit {
		ln, err = tls.Listen("tcp", "127.0.0.1:0", srvTLS)
	} else {
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		t.Fatal(err)
	}
	mb.addr = ln.Addr().String()
	go func() { _ = s.Serve(ln) }()
	t.Cleanup(func() { s.Close() })
	if o.stall {
		mb.stall = make(chan struct{})
		t.Cleanup(func() { close(mb.stall) }) // runs before Close
	}
	return mb
}

func (mb *mailbox) received() []received {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	return append([]received(nil), mb.mails...)
}

type session struct {
	mb       *mailbox
	conn     *smtp.Conn
	tls      bool
	from, to string
}

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, user, pass string) error {
		if user != "mailer" || pass != "s3cret" {
			return errors.New("invalid credentials")
		}
		s.mb.mu.Lock()
		s.mb.authed = true
		s.mb.mu.Unlock()
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	s.mb.mu.Lock()
	s.mb.froms++
	s.mb.mu.Unlock()
	s.from = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error { s.to = to; return nil }

func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	_, isTLS := s.conn.TLSConnectionState()
	if s.mb.stall != nil || s.mb.hangUp {
		s.mb.mu.Lock()
		s.mb.mails = append(s.mb.mails, received{from: s.from, to: s.to, data: b, tls: isTLS || s.tls})
		s.mb.mu.Unlock()
		if s.mb.hangUp {
			return s.conn.Close()
		}
		<-s.mb.stall
		return nil
	}
	s.mb.mu.Lock()
	defer s.mb.mu.Unlock()
	if len(s.mb.dataErrs) > 0 {
		err := s.mb.dataErrs[0]
		s.mb.dataErrs = s.mb.dataErrs[1:]
		if err != nil {
			return err
		}
	}
	s.mb.mails = append(s.mb.mails, received{from: s.from, to: s.to, data: b, tls: isTLS || s.tls})
	return nil
}

func (s *session) Reset()        {}
func (s *session) Logout() error { return nil }

// selfSigned makes a certificate for 127.0.0.1 and a pool that trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "mailbox test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

func otpMessage(t *testing.T) deliver.Message {
	t.Helper()
	r, err := deliver.NewRenderer()
	if err != nil {
		t.Fatal(err)
	}
	c, err := r.Render(deliver.KindOTP, deliver.Email, "de-CH", deliver.Data{Site: "Bank <&> Süd", Code: "492817", Lifetime: 10 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	// A line that starts with a dot must survive SMTP's end-of-data
	// marker (dot-stuffing).
	c.Text += "\n.\n..hidden\n"
	return deliver.Message{ID: deliver.NewID(), Channel: deliver.Email, To: "anna@example.test", Content: c}
}

func sender(mb *mailbox, sec deliver.SMTPSecurity) *deliver.SMTPSender {
	return &deliver.SMTPSender{
		Addr: mb.addr, From: "Stepup Bank <no-reply@bank.test>", Security: sec,
		Username: "mailer", Password: "s3cret", TLSConfig: mb.client,
		Retry: deliver.Retry{Attempts: 3, Backoff: time.Millisecond},
		Now:   func() time.Time { return time.Date(2026, 11, 24, 14, 0, 0, 0, time.UTC) },
	}
}

func TestSMTPDelivers(t *testing.T) {
	for _, tc := range []struct {
		name     string
		implicit bool
		sec      deliver.SMTPSecurity
	}{
		{"starttls", false, deliver.StartTLS},
		{"implicit tls", true, deliver.ImplicitTLS},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mb := startMailbox(t, mailboxOptions{implicit: tc.implicit})
			m := otpMessage(t)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := sender(mb, tc.sec).Send(ctx, m); err != nil {
				t.Fatal(err)
			}
			got := mb.received()
			if len(got) != 1 {
				t.Fatalf("received %d messages, want 1", len(got))
			}
			if !got[0].tls || !mb.authed {
				t.Errorf("tls %v, authenticated %v; want both", got[0].tls, mb.authed)
			}
			if got[0].from != "no-reply@bank.test" || got[0].to != "anna@example.test" {
				t.Errorf("envelope %q -> %q", got[0].from, got[0].to)
			}
			checkMail(t, got[0].data, m)
		})
	}
}

// checkMail parses a received message as a mail client would.
func checkMail(t *testing.T, data []byte, m deliver.Message) {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	h := msg.Header
	if from, err := h.AddressList("From"); err != nil || len(from) != 1 || from[0].Name != "Stepup Bank" || from[0].Address != "no-reply@bank.test" {
		t.Errorf("From %q: %v", h.Get("From"), err)
	}
	if to, err := h.AddressList("To"); err != nil || len(to) != 1 || to[0].Address != m.To {
		t.Errorf("To %q: %v", h.Get("To"), err)
	}
	if raw := h.Get("Subject"); !strings.HasPrefix(raw, "=?utf-8?q?") {
		t.Errorf("raw Subject %q is not RFC 2047 encoded", raw)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(h.Get("Subject"))
	if err != nil || subject != m.Subject || !strings.Contains(subject, "ü") {
		t.Errorf("Subject %q (%v), want %q", subject, err, m.Subject)
	}
	if d, err := h.Date(); err != nil || !d.Equal(time.Date(2026, 11, 24, 14, 0, 0, 0, time.UTC)) {
		t.Errorf("Date %q: %v", h.Get("Date"), err)
	}
	if id := h.Get("Message-ID"); id != "<"+m.ID+"@bank.test>" {
		t.Errorf("Message-ID %q", id)
	}
	typ, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil || typ != "multipart/alternative" {
		t.Fatalf("Content-Type %q: %v", h.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	var types []string
	parts := map[string]string{}
	for i := 0; i < 10; i++ {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		pt, pp, err := mime.ParseMediaType(p.Header.Get("Content-Type"))
		if err != nil || pp["charset"] != "utf-8" {
			t.Errorf("part Content-Type %q: %v", p.Header.Get("Content-Type"), err)
		}
		b, err := io.ReadAll(p) // NextPart decodes quoted-printable
		if err != nil {
			t.Fatal(err)
		}
		types = append(types, pt)
		parts[pt] = strings.ReplaceAll(string(b), "\r\n", "\n")
	}
	if strings.Join(types, ",") != "text/plain,text/html" {
		t.Fatalf("parts %v, want text/plain then text/html", types)
	}
	if parts["text/plain"] != strings.ReplaceAll(m.Text, "\r\n", "\n") {
		t.Errorf("plain part:\n%s\nwant:\n%s", parts["text/plain"], m.Text)
	}
	if !strings.Contains(parts["text/plain"], "\n..hidden\n") || !strings.Contains(parts["text/plain"], "\n.\n") {
		t.Error("lines starting with a dot were not kept")
	}
	if parts["text/html"] != m.HTML || !strings.Contains(parts["text/html"], "492817") {
		t.Errorf("html part:\n%s", parts["text/html"])
	}
	if !strings.Contains(parts["text/plain"], "492817") {
		t.Error("the code is not in the plain part")
	}
}

func TestSMTPRefusesWithoutStartTLS(t *testing.T) {
	mb := startMailbox(t, mailboxOptions{noTLS: true})
	err := sender(mb, deliver.StartTLS).Send(context.Background(), otpMessage(t))
	if !errors.Is(err, deliver.ErrUndelivered) || !strings.Contains(err.Error(), "STARTTLS") {
		t.Fatalf("err = %v, want ErrUndelivered about STARTTLS", err)
	}
	mb.mu.Lock()
	defer mb.mu.Unlock()
	if mb.froms != 0 || len(mb.mails) != 0 || mb.authed {
		t.Errorf("sent in plain text: %d MAIL, %d messages, auth %v", mb.froms, len(mb.mails), mb.authed)
	}
	// A server without STARTTLS will not grow it: no second try.
	if mb.sessions != 1 {
		t.Errorf("%d connections, want 1", mb.sessions)
	}
}

func TestSMTPPlaintextOnlyToLoopback(t *testing.T) {
	mb := startMailbox(t, mailboxOptions{noTLS: true})
	s := sender(mb, deliver.InsecurePlaintext)
	if err := s.Send(context.Background(), otpMessage(t)); err == nil {
		t.Fatal("AUTH was sent without TLS")
	}
	s.Username, s.Password = "", ""
	if err := s.Send(context.Background(), otpMessage(t)); err != nil {
		t.Fatalf("plain text to loopback: %v", err)
	}
	_, port, _ := net.SplitHostPort(mb.addr)
	s.Addr = net.JoinHostPort("localhost", port) // a name could resolve anywhere
	if err := s.Send(context.Background(), otpMessage(t)); !errors.Is(err, deliver.ErrUndelivered) {
		t.Fatalf("plain text to a host name: %v", err)
	}
	s.Addr, s.Security = mb.addr, deliver.SMTPSecurity(7) // not a mode: not plain text
	if err := s.Send(context.Background(), otpMessage(t)); !errors.Is(err, deliver.ErrUndelivered) {
		t.Fatalf("unknown security: %v", err)
	}
	if n := len(mb.received()); n != 1 {
		t.Errorf("received %d messages, want 1", n)
	}
}

func TestSMTPRetriesFailedDial(t *testing.T) {
	mb := startMailbox(t, mailboxOptions{})
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := closed.Addr().String()
	closed.Close()
	var dials int
	s := sender(mb, deliver.StartTLS)
	s.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials++
		if dials == 1 {
			addr = closedAddr // refused: nothing was sent
		}
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}
	if err := s.Send(context.Background(), otpMessage(t)); err != nil {
		t.Fatal(err)
	}
	if dials != 2 || len(mb.received()) != 1 {
		t.Errorf("%d dials, %d messages; want 2 and 1", dials, len(mb.received()))
	}
}

func TestSMTPRetryAfterDataReply(t *testing.T) {
	for _, tc := range []struct {
		name     string
		reply    *smtp.SMTPError
		wantErr  bool
		wantData int // DATA commands the server saw
	}{
		{"4xx is retried", &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try later"}, false, 2},
		{"5xx is final", &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "rejected"}, true, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mb := startMailbox(t, mailboxOptions{dataErrs: []error{tc.reply, nil, nil}})
			err := sender(mb, deliver.StartTLS).Send(context.Background(), otpMessage(t))
			if (err != nil) != tc.wantErr || (err != nil && !errors.Is(err, deliver.ErrUndelivered)) {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			mb.mu.Lock()
			defer mb.mu.Unlock()
			if mb.froms != tc.wantData {
				t.Errorf("%d transactions, want %d", mb.froms, tc.wantData)
			}
		})
	}
}

func TestSMTPWrongPassword(t *testing.T) {
	mb := startMailbox(t, mailboxOptions{})
	s := sender(mb, deliver.StartTLS)
	s.Password = "wrong"
	err := s.Send(context.Background(), otpMessage(t))
	if !errors.Is(err, deliver.ErrUndelivered) || !strings.Contains(err.Error(), "AUTH") {
		t.Fatalf("err = %v", err)
	}
	mb.mu.Lock()
	defer mb.mu.Unlock()
	if mb.froms != 0 {
		t.Error("sent without authentication")
	}
}

// The context's deadline ends a session whose server does not answer.
func TestSMTPHonoursContextInData(t *testing.T) {
	mb := startMailbox(t, mailboxOptions{stall: true})
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	err := sender(mb, deliver.StartTLS).Send(ctx, otpMessage(t))
	if !errors.Is(err, deliver.ErrUndelivered) {
		t.Fatalf("err = %v", err)
	}
	mb.mu.Lock()
	defer mb.mu.Unlock()
	if mb.froms != 1 || len(mb.mails) != 1 {
		t.Errorf("%d transactions, %d messages; want 1 and 1", mb.froms, len(mb.mails))
	}
}

// A connection lost after the message was sent is ambiguous: the server
// may have queued it. It is not sent again.
func TestSMTPNoRetryAfterHangUpInData(t *testing.T) {
	mb := startMailbox(t, mailboxOptions{hangUp: true})
	err := sender(mb, deliver.StartTLS).Send(context.Background(), otpMessage(t))
	if !errors.Is(err, deliver.ErrUndelivered) {
		t.Fatalf("err = %v", err)
	}
	mb.mu.Lock()
	defer mb.mu.Unlock()
	if mb.froms != 1 || len(mb.mails) != 1 {
		t.Errorf("%d transactions, %d messages; want 1 and 1", mb.froms, len(mb.mails))
	}
}

// A message without HTML is a single text/plain part.
func TestSMTPPlainTextOnly(t *testing.T) {
	mb := startMailbox(t, mailboxOptions{})
	m := deliver.Message{ID: deliver.NewID(), Channel: deliver.Email, To: "anna@example.test",
		Content: deliver.Content{Subject: "Your code", Text: "Code: 492817\n.\nBye"}}
	if err := sender(mb, deliver.StartTLS).Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	got := mb.received()
	if len(got) != 1 {
		t.Fatalf("received %d messages, want 1", len(got))
	}
	msg, err := mail.ReadMessage(bytes.NewReader(got[0].data))
	if err != nil {
		t.Fatal(err)
	}
	if s := msg.Header.Get("Subject"); s != "Your code" {
		t.Errorf("ASCII subject %q was encoded", s)
	}
	typ, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || typ != "text/plain" || params["charset"] != "utf-8" || msg.Header.Get("Content-Transfer-Encoding") != "quoted-printable" {
		t.Fatalf("Content-Type %q, encoding %q: %v", msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), err)
	}
	body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if err != nil || string(body) != "Code: 492817\r\n.\r\nBye\r\n" {
		t.Errorf("body %q: %v", body, err)
	}
}

func TestSMTPRefusesHeaderInjection(t *testing.T) {
	mb := startMailbox(t, mailboxOptions{})
	for name, m := range map[string]deliver.Message{
		"subject": {ID: deliver.NewID(), Channel: deliver.Email, To: "anna@example.test", Content: deliver.Content{Subject: "x\r\nBcc: eve@evil.test", Text: "x"}},
		"to":      {ID: deliver.NewID(), Channel: deliver.Email, To: "anna@example.test\r\nBcc: eve@evil.test", Content: deliver.Content{Text: "x"}},
		"id":      {ID: "a>\r\nBcc: eve@evil.test", Channel: deliver.Email, To: "anna@example.test", Content: deliver.Content{Text: "x"}},
		"channel": {ID: deliver.NewID(), Channel: deliver.SMS, To: "anna@example.test", Content: deliver.Content{Text: "x"}},
	} {
		if err := sender(mb, deliver.StartTLS).Send(context.Background(), m); !errors.Is(err, deliver.ErrUndelivered) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	if n := len(mb.received()); n != 0 {
		t.Errorf("received %d messages, want none", n)
	}
}
