package device_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/stepup/factor/deliver"
	"github.com/stepup-auth/stepup/stepup/factor/push"
)

var secret = []byte("an operator's secret of 32 bytes")

type hook struct {
	header http.Header
	body   []byte
}

// The operator's webhook is called when a push is created, with signed
// JSON that says which push, for whom, to which devices, until when.
func TestWebhookIsCalledWhenAPushIsCreated(t *testing.T) {
	got := make(chan hook, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- hook{r.Header.Clone(), b}
	}))
	defer srv.Close()
	var e *env
	now := func() time.Time { return e.clock.Now() }
	e = newEnv(t, envOptions{notifier: &push.WebhookNotifier{URL: srv.URL, Secret: secret, Now: now}})
	phone := e.phone(e.alice, "phone")
	p := e.begin(e.flow)

	var h hook
	select {
	case h = <-got:
	default:
		t.Fatal("BeginVerify returned and the webhook was not called")
	}
	if err := deliver.VerifyWebhook(secret, h.header, h.body, e.clock.Now()); err != nil {
		t.Fatalf("the webhook's signature: %v", err)
	}
	if err := deliver.VerifyWebhook([]byte("another secret of thirty-two byt"), h.header, h.body, e.clock.Now()); !errors.Is(err, deliver.ErrWebhookSignature) {
		t.Fatalf("the webhook verifies with another secret: %v", err)
	}
	var n map[string]any
	if err := json.Unmarshal(h.body, &n); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"challenge_id": p.ChallengeID, "user_id": "alice", "authenticator_ids": []any{phone.ID()},
		"created": e.clock.Now().UTC().Format(time.RFC3339), "expires": e.clock.Now().Add(2 * time.Minute).UTC().Format(time.RFC3339),
	}
	if len(n) != len(want) {
		t.Fatalf("the webhook's body is %s, want the fields of %v", h.body, want)
	}
	for k, v := range want {
		if w, ok := v.([]any); ok {
			if g, _ := n[k].([]any); !slices.Equal(g, w) {
				t.Errorf("%s = %v, want %v", k, n[k], v)
			}
		} else if n[k] != v {
			t.Errorf("%s = %v, want %v", k, n[k], v)
		}
	}
	// The fields are those alone: the number is not among them, so the
	// operator's systems never learn what the page shows.
}

// A webhook that fails does not fail the push: the device polls anyway.
func TestPushSurvivesAFailingWebhook(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusBadGateway)
	}))
	defer srv.Close()
	var e *env
	now := func() time.Time { return e.clock.Now() }
	e = newEnv(t, envOptions{notifier: &push.WebhookNotifier{URL: srv.URL, Secret: secret, Now: now}})
	phone := e.phone(e.alice, "phone")
	p := e.begin(e.flow)
	if c := e.only(phone); c.ID != p.ChallengeID {
		t.Fatalf("the phone got %s, want %s", c.ID, p.ChallengeID)
	}
	n := &push.WebhookNotifier{URL: srv.URL, Secret: secret}
	if err := n.Notify(e.ctx, push.Notification{ChallengeID: "x"}); err == nil {
		t.Fatal("Notify to an endpoint answering 502 succeeded")
	}
	if err := (&push.WebhookNotifier{URL: srv.URL, Secret: secret[:31]}).Notify(e.ctx, push.Notification{}); err == nil {
		t.Fatal("Notify with a 31-byte secret succeeded")
	}
}
