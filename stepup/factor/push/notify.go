package push

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/stepup-auth/stepup/stepup/factor/deliver"
)

// Notification tells an operator that a push was created, so that they
// can wake their app (through APNs or FCM, which stepup does not speak).
// It holds no number: the device fetches the push from the device API,
// signed, and learns the choices there.
type Notification struct {
	ChallengeID    string    `json:"challenge_id"`
	UserID         string    `json:"user_id"`
	Authenticators []string  `json:"authenticator_ids"`
	Created        time.Time `json:"created"`
	Expires        time.Time `json:"expires"`
}

// Notifier is told of each push created.
type Notifier interface {
	Notify(ctx context.Context, n Notification) error
}

// WebhookNotifier posts each notification as JSON to an operator's
// endpoint, signed as package deliver signs its webhooks (Stepup-Timestamp
// and Stepup-Signature: v1=HMAC-SHA256 of "<timestamp>.<body>"), so a
// receiver checks it with deliver.VerifyWebhook.
type WebhookNotifier struct {
	URL string
	// Secret is the shared HMAC key; at least 32 bytes.
	Secret []byte
	// Client is the HTTP client; nil means http.DefaultClient.
	Client *http.Client
	// Now is the clock of the timestamp; nil means time.Now.
	Now func() time.Time
}

var _ Notifier = (*WebhookNotifier)(nil)

// Notify posts n once; any 2xx is success. It does not retry: a push
// lives two minutes, and the device's long poll finds it anyway.
func (w *WebhookNotifier) Notify(ctx context.Context, n Notification) error {
	if len(w.Secret) < 32 {
		return errors.New("push: webhook: the secret is shorter than 32 bytes")
	}
	body, err := json.Marshal(n)
	if err != nil {
		return fmt.Errorf("push: webhook: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("push: webhook: %w", err)
	}
	now := time.Now
	if w.Now != nil {
		now = w.Now
	}
	req.Header.Set("Content-Type", "application/json")
	deliver.SignWebhook(req.Header, w.Secret, body, now())
	client := w.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("push: webhook: %w", err)
	}
	defer resp.Body.Close()
	// Drain a little so the connection can be reused; no more.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("push: webhook: HTTP %d", resp.StatusCode)
	}
	return nil
}
