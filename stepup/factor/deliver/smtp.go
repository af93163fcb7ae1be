package deliver

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"slices"
	"strings"
	"time"
)

// SMTPSecurity is how an SMTPSender protects its connection.
type SMTPSecurity int

const (
	// StartTLS connects in plain text and upgrades with STARTTLS
	// (RFC 3207, usually port 587). A server that does not offer STARTTLS
	// gets no message. This is the default.
	StartTLS SMTPSecurity = iota
	// ImplicitTLS speaks TLS from the first byte (RFC 8314, port 465).
	ImplicitTLS
	// InsecurePlaintext sends without TLS and without AUTH. It is refused
	// unless Addr is a loopback address: it is for a development server
	// such as Mailpit on the same machine, never for a real relay.
	InsecurePlaintext
)

// SMTPSender sends email through an SMTP submission server with net/smtp.
type SMTPSender struct {
	// Addr is the server's host:port.
	Addr string
	// From is the sender's address, with an optional display name
	// ("Stepup <no-reply@example.com>").
	From     string
	Security SMTPSecurity
	// Username and Password authenticate with AUTH PLAIN, only over TLS.
	// Empty Username means no AUTH.
	Username string
	Password string
	// TLSConfig is cloned for each connection; its ServerName defaults to
	// Addr's host. Nil means the system roots.
	TLSConfig *tls.Config
	// HelloName is the name given in EHLO; empty means "localhost".
	HelloName string
	Retry     Retry
	// DialContext opens the TCP connection; nil means a net.Dialer. TLS,
	// for ImplicitTLS, is added on top.
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	// Now is the clock for the Date header; nil means time.Now.
	Now func() time.Time
}

var _ Sender = (*SMTPSender)(nil)

// Send delivers m, an Email message, in one SMTP transaction.
//
// It tries again only while the message provably was not accepted: a
// failure to connect, to greet or to negotiate TLS, or a 4xx reply
// (RFC 5321 §4.2.1: a transient refusal, nothing accepted). Once the DATA
// command was accepted and the body is being sent, a broken connection or
// a timeout is ambiguous: the server may have queued the message and only
// its reply was lost. Sending again could deliver two codes, the first of
// which the user then types in vain, so such a failure is final.
func (s *SMTPSender) Send(ctx context.Context, m Message) error {
	if m.Channel != Email {
		return fail(Email, fmt.Errorf("smtp: cannot send a %q message", m.Channel))
	}
	from, err := mail.ParseAddress(s.From)
	if err != nil {
		return fail(Email, fmt.Errorf("smtp: sender address: %w", err))
	}
	to, err := mail.ParseAddress(m.To)
	if err != nil || to.Name != "" {
		return fail(Email, fmt.Errorf("smtp: recipient %q is not a bare address", m.To))
	}
	if !validID(m.ID) {
		return fail(Email, fmt.Errorf("smtp: message id %q", m.ID))
	}
	host, _, err := net.SplitHostPort(s.Addr)
	if err != nil {
		return fail(Email, fmt.Errorf("smtp: address: %w", err))
	}
	switch s.Security {
	case StartTLS, ImplicitTLS:
	case InsecurePlaintext:
		if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
			return fail(Email, fmt.Errorf("smtp: plain text is allowed only to a loopback IP, not %q", host))
		}
		if s.Username != "" {
			return fail(Email, errors.New("smtp: no AUTH without TLS"))
		}
	default:
		return fail(Email, fmt.Errorf("smtp: unknown security %d", s.Security))
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	data, err := buildMail(from, to.Address, m, now())
	if err != nil {
		return fail(Email, err)
	}
	err = s.Retry.run(ctx, func(ctx context.Context) error {
		return s.attempt(ctx, host, from.Address, to.Address, data)
	})
	if err != nil {
		return fail(Email, err)
	}
	return nil
}

// attempt runs one SMTP session. Its error is retryable while nothing
// has been accepted.
func (s *SMTPSender) attempt(ctx context.Context, host, from, to string, data []byte) error {
	cfg := &tls.Config{}
	if s.TLSConfig != nil {
		cfg = s.TLSConfig.Clone()
	}
	if cfg.ServerName == "" {
		cfg.ServerName = host
	}
	dial := s.DialContext
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	conn, err := dial(ctx, "tcp", s.Addr)
	if err != nil {
		return retryable{fmt.Errorf("smtp: connect: %w", err)}
	}
	defer conn.Close()
	if s.Security == ImplicitTLS {
		tc := tls.Client(conn, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			return retryable{fmt.Errorf("smtp: TLS: %w", err)}
		}
		conn = tc
	}
	// The context bounds the whole session: a deadline for every read and
	// write, and a cancel closes the connection under a blocked call.
	if d, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(d)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()

	c, err := smtp.NewClient(conn, host)
	if err != nil {
		return beforeData("greeting", err)
	}
	defer c.Close()
	helo := s.HelloName
	if helo == "" {
		helo = "localhost"
	}
	if err := c.Hello(helo); err != nil {
		return beforeData("EHLO", err)
	}
	if s.Security == StartTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			// Not a transient state of the server: trying again would
			// not help, and sending without TLS is never an option.
			return errors.New("smtp: the server does not offer STARTTLS")
		}
		if err := c.StartTLS(cfg); err != nil {
			return retryable{fmt.Errorf("smtp: STARTTLS: %w", err)}
		}
	}
	if s.Username != "" {
		// Send refuses credentials without TLS already; this guard keeps
		// a password off the wire whatever a later change does above.
		if _, isTLS := c.TLSConnectionState(); !isTLS {
			return errors.New("smtp: no AUTH without TLS")
		}
		ok, mechs := c.Extension("AUTH")
		if !ok || !slices.Contains(strings.Fields(strings.ToUpper(mechs)), "PLAIN") {
			return errors.New("smtp: the server does not offer AUTH PLAIN")
		}
		if err := c.Auth(smtp.PlainAuth("", s.Username, s.Password, host)); err != nil {
			return beforeData("AUTH", err)
		}
	}
	if err := c.Mail(from); err != nil {
		return beforeData("MAIL FROM", err)
	}
	if err := c.Rcpt(to); err != nil {
		return beforeData("RCPT TO", err)
	}
	w, err := c.Data()
	if err != nil {
		return beforeData("DATA", err)
	}
	// From here on a lost connection is ambiguous (see Send). The writer
	// dot-stuffs lines that begin with '.' (RFC 5321 §4.5.2).
	if _, err := w.Write(data); err != nil {
		return fmt.Errorf("smtp: sending the message: %w", err)
	}
	if err := w.Close(); err != nil {
		var reply *textproto.Error
		if errors.As(err, &reply) && reply.Code/100 == 4 {
			return retryable{fmt.Errorf("smtp: message refused: %w", err)}
		}
		return fmt.Errorf("smtp: end of message: %w", err)
	}
	// The message is accepted; a failed QUIT changes nothing.
	_ = c.Quit()
	return nil
}

// beforeData classifies an error before the server accepted DATA: nothing
// was accepted, so a broken connection or a 4xx reply may be retried; a
// 5xx reply is a permanent refusal and is not.
func beforeData(step string, err error) error {
	err = fmt.Errorf("smtp: %s: %w", step, err)
	var reply *textproto.Error
	if errors.As(err, &reply) && reply.Code/100 != 4 {
		return err
	}
	return retryable{err}
}
