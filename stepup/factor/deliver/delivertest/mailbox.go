package delivertest

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/stepup-auth/stepup/stepup/factor/deliver"
)

// Mail is one message the Mailbox received.
type Mail struct {
	From, To string
	Subject  string
	// Text and HTML are the decoded parts of a multipart/alternative
	// message (Text alone for a plain one).
	Text, HTML string
	Raw        []byte
}

// Mailbox is an SMTP server on 127.0.0.1 that keeps what it receives.
type Mailbox struct {
	Addr string

	mails *inbox[Mail]
}

// StartMailbox starts a Mailbox, stopped when t ends. It speaks plain
// SMTP: deliver.SMTPSender allows that towards a loopback address only.
func StartMailbox(t testing.TB) *Mailbox {
	t.Helper()
	mb := &Mailbox{mails: newInbox[Mail]()}
	s := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{mb: mb}, nil }))
	s.Domain = "mx.test"
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	s.MaxRecipients = 5
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mb.Addr = ln.Addr().String()
	go func() { _ = s.Serve(ln) }()
	t.Cleanup(func() { _ = s.Close() })
	return mb
}

// Sender returns a sender that submits to the Mailbox.
func (mb *Mailbox) Sender() *deliver.SMTPSender {
	return &deliver.SMTPSender{Addr: mb.Addr, From: "Stepup <no-reply@stepup.test>", Security: deliver.InsecurePlaintext}
}

// Mails returns every message received so far.
func (mb *Mailbox) Mails() []Mail { return mb.mails.all() }

// Wait returns the n-th message (from 1) received for to, waiting for it
// at most 10 s.
func (mb *Mailbox) Wait(t testing.TB, to string, n int) Mail {
	t.Helper()
	return mb.mails.wait(t, func(m Mail) bool { return m.To == to }, n, "message for "+to)
}

type session struct {
	mb       *Mailbox
	from, to string
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error { s.from = from; return nil }
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error   { s.to = to; return nil }
func (s *session) Reset()                                      {}
func (s *session) Logout() error                               { return nil }

func (s *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m, err := parse(raw)
	if err != nil {
		return fmt.Errorf("delivertest: an unreadable message: %w", err)
	}
	m.From, m.To = s.from, s.to
	s.mb.mails.add(m)
	return nil
}

// parse decodes a message's subject and its text and HTML parts.
func parse(raw []byte) (Mail, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return Mail{}, err
	}
	m := Mail{Raw: raw}
	if m.Subject, err = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); err != nil {
		return Mail{}, err
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		return Mail{}, err
	}
	if !strings.HasPrefix(mt, "multipart/") {
		m.Text, err = decode(msg.Body, msg.Header.Get("Content-Transfer-Encoding"))
		return m, err
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return m, nil
		}
		if err != nil {
			return Mail{}, err
		}
		body, err := decode(p, p.Header.Get("Content-Transfer-Encoding"))
		if err != nil {
			return Mail{}, err
		}
		switch pt, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type")); pt {
		case "text/plain":
			m.Text = body
		case "text/html":
			m.HTML = body
		}
	}
}

func decode(r io.Reader, encoding string) (string, error) {
	if strings.EqualFold(encoding, "quoted-printable") {
		r = quotedprintable.NewReader(r)
	}
	b, err := io.ReadAll(r)
	return string(b), err
}
