package deliver

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The headers of a webhook request.
const (
	HeaderTimestamp = "Stepup-Timestamp"
	HeaderSignature = "Stepup-Signature"
)

// WebhookTolerance is how far a webhook's timestamp may be from the
// receiver's clock, either way.
const WebhookTolerance = 5 * time.Minute

// WebhookPayload is the JSON body of a webhook request.
type WebhookPayload struct {
	ID      string    `json:"id"`
	Channel Channel   `json:"channel"`
	To      string    `json:"to"`
	Subject string    `json:"subject,omitempty"`
	Text    string    `json:"text"`
	HTML    string    `json:"html,omitempty"`
	Created time.Time `json:"created"`
}

// WebhookSender posts each message, signed, to an operator's endpoint,
// which passes it on to whatever provider it likes. The scheme is in the
// package documentation.
type WebhookSender struct {
	URL string
	// Secret is the shared HMAC key; at least 32 bytes.
	Secret []byte
	// Client is the HTTP client; nil means http.DefaultClient.
	Client *http.Client
	Retry  Retry
	// Now is the clock for the timestamp; nil means time.Now.
	Now func() time.Time
}

var _ Sender = (*WebhookSender)(nil)

// Send posts m to the endpoint. Any 2xx is success.
//
// It tries again, with the same id and a fresh signature, only after a 429
// or a connection failure before the request was fully written. A 5xx is
// not retried: the receiver may already have handed the message to its
// provider before failing, and although receivers should drop a repeated
// id, this sender does not count on it.
func (s *WebhookSender) Send(ctx context.Context, m Message) error {
	ch := m.Channel
	if len(s.Secret) < 32 {
		return fail(ch, errors.New("webhook: the secret is shorter than 32 bytes"))
	}
	if !validID(m.ID) {
		return fail(ch, fmt.Errorf("webhook: message id %q", m.ID))
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	p := WebhookPayload{ID: m.ID, Channel: ch, To: m.To, Subject: m.Subject, Text: m.Text, HTML: m.HTML, Created: m.Created}
	if p.Created.IsZero() {
		p.Created = now()
	}
	p.Created = p.Created.UTC()
	body, err := json.Marshal(p)
	if err != nil {
		return fail(ch, fmt.Errorf("webhook: %w", err))
	}
	err = s.Retry.run(ctx, func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL, bytes.NewReader(body))
		if err != nil {
			return fmt.Errorf("webhook: %w", err)
		}
		req.Header.Set("Content-Type", "application/json")
		SignWebhook(req.Header, s.Secret, body, now())
		return postOnce(s.Client, req, "webhook", func(status int, b []byte) error {
			return fmt.Errorf("webhook: HTTP %d: %s", status, printable(string(b), 200))
		})
	})
	if err != nil {
		return fail(ch, err)
	}
	return nil
}

// SignWebhook sets the Stepup-Timestamp and Stepup-Signature headers of a
// webhook request with body, signed with secret at now, so that other
// senders of signed JSON (push notifications) share one scheme and
// receivers one VerifyWebhook.
func SignWebhook(h http.Header, secret, body []byte, now time.Time) {
	ts := strconv.FormatInt(now.Unix(), 10)
	h.Set(HeaderTimestamp, ts)
	h.Set(HeaderSignature, "v1="+hex.EncodeToString(signWebhook(secret, ts, body)))
}

func signWebhook(secret []byte, ts string, body []byte) []byte {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(ts))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return mac.Sum(nil)
}

// ErrWebhookSignature is returned by VerifyWebhook for any request that is
// not signed with the secret within the tolerance.
var ErrWebhookSignature = errors.New("deliver: webhook signature is not valid")

// VerifyWebhook checks a webhook request's signature: its header holds the
// Stepup-Timestamp and Stepup-Signature, body is the raw body as received.
// It fails, wrapping ErrWebhookSignature, when the headers are malformed,
// the timestamp is more than WebhookTolerance from now either way, or no
// v1 signature matches.
func VerifyWebhook(secret []byte, header http.Header, body []byte, now time.Time) error {
	ts := header.Get(HeaderTimestamp)
	if len(ts) == 0 || len(ts) > 12 || strings.Trim(ts, "0123456789") != "" {
		return fmt.Errorf("%w: malformed %s", ErrWebhookSignature, HeaderTimestamp)
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: malformed %s", ErrWebhookSignature, HeaderTimestamp)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > WebhookTolerance || d < -WebhookTolerance {
		return fmt.Errorf("%w: timestamp is %v away", ErrWebhookSignature, d.Truncate(time.Second))
	}
	want := signWebhook(secret, ts, body)
	sig := header.Get(HeaderSignature)
	if len(sig) > 1024 {
		return fmt.Errorf("%w: %s too long", ErrWebhookSignature, HeaderSignature)
	}
	// Several signatures may be listed (at most 8 are looked at), so that
	// a secret can be rotated: a sender signs with both while receivers
	// switch.
	for i, field := range strings.Split(sig, ",") {
		if i == 8 {
			break
		}
		v, ok := strings.CutPrefix(strings.TrimSpace(field), "v1=")
		if !ok {
			continue
		}
		got, err := hex.DecodeString(v)
		if err != nil {
			continue
		}
		if hmac.Equal(got, want) {
			return nil
		}
	}
	return fmt.Errorf("%w: no matching v1 signature", ErrWebhookSignature)
}
