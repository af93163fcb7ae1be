package deliver_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/stepup/factor/deliver"
)

var webhookSecret = []byte("0123456789abcdef0123456789abcdef")

// receiver plays an operator's endpoint on 127.0.0.1: it verifies each
// request with VerifyWebhook, as a real receiver would, and answers with
// statuses[i] for the i-th request (the last one repeats).
func receiver(t *testing.T, now time.Time, got chan<- deliver.WebhookPayload, statuses ...int) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Error(err)
		}
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%s with %q", r.Method, r.Header.Get("Content-Type"))
		}
		if err := deliver.VerifyWebhook(webhookSecret, r.Header, body, now); err != nil {
			t.Errorf("VerifyWebhook: %v", err)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var p deliver.WebhookPayload
		if err := json.Unmarshal(body, &p); err != nil {
			t.Error(err)
		}
		got <- p
		w.WriteHeader(statuses[min(i, len(statuses)-1)])
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestWebhookSends(t *testing.T) {
	now := time.Date(2026, 11, 24, 14, 0, 0, 0, time.UTC)
	got := make(chan deliver.WebhookPayload, 3)
	srv, n := receiver(t, now, got, http.StatusTooManyRequests, http.StatusNoContent)
	s := &deliver.WebhookSender{URL: srv.URL, Secret: webhookSecret, Client: srv.Client(),
		Retry: deliver.Retry{Attempts: 3, Backoff: time.Millisecond}, Now: func() time.Time { return now }}
	m := deliver.Message{ID: deliver.NewID(), Channel: deliver.WhatsApp, To: "+4915112345678",
		Created: now.Add(-time.Second), Content: deliver.Content{Text: "492817 is your code"}}
	if err := s.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if n.Load() != 2 {
		t.Fatalf("%d requests, want 2 (a 429 is retried)", n.Load())
	}
	first, second := <-got, <-got
	want := deliver.WebhookPayload{ID: m.ID, Channel: deliver.WhatsApp, To: m.To, Text: m.Text, Created: m.Created}
	if first != want || second != want {
		t.Errorf("payloads %+v, %+v; want %+v twice (same id on retry)", first, second, want)
	}
}

func TestWebhookNoRetryOn5xx(t *testing.T) {
	now := time.Now()
	got := make(chan deliver.WebhookPayload, 3)
	srv, n := receiver(t, now, got, http.StatusBadGateway, http.StatusNoContent)
	s := &deliver.WebhookSender{URL: srv.URL, Secret: webhookSecret, Client: srv.Client(),
		Retry: deliver.Retry{Attempts: 3, Backoff: time.Millisecond}, Now: func() time.Time { return now }}
	m := deliver.Message{ID: deliver.NewID(), Channel: deliver.SMS, To: "+4915112345678", Content: deliver.Content{Text: "x"}}
	if err := s.Send(context.Background(), m); !errors.Is(err, deliver.ErrUndelivered) {
		t.Fatalf("err = %v", err)
	}
	if n.Load() != 1 {
		t.Errorf("%d requests, want 1", n.Load())
	}
}

func TestWebhookShortSecret(t *testing.T) {
	s := &deliver.WebhookSender{URL: "http://127.0.0.1:1/", Secret: []byte("short")}
	m := deliver.Message{ID: deliver.NewID(), Channel: deliver.SMS, To: "+4915112345678"}
	if err := s.Send(context.Background(), m); !errors.Is(err, deliver.ErrUndelivered) {
		t.Fatalf("err = %v", err)
	}
}

func signed(secret []byte, ts int64, body string) http.Header {
	t := strconv.FormatInt(ts, 10)
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(t + "." + body))
	h := http.Header{}
	h.Set(deliver.HeaderTimestamp, t)
	h.Set(deliver.HeaderSignature, "v1="+hex.EncodeToString(mac.Sum(nil)))
	return h
}

func TestVerifyWebhook(t *testing.T) {
	now := time.Unix(1795960800, 0)
	body := `{"id":"abc","channel":"sms","to":"+4915112345678","text":"123456"}`
	ok := signed(webhookSecret, now.Unix(), body)
	for _, tc := range []struct {
		name   string
		header http.Header
		body   string
		valid  bool
	}{
		{"valid", ok, body, true},
		{"4m59s old", signed(webhookSecret, now.Unix()-299, body), body, true},
		{"4m59s ahead", signed(webhookSecret, now.Unix()+299, body), body, true},
		{"too old", signed(webhookSecret, now.Unix()-301, body), body, false},
		{"too new", signed(webhookSecret, now.Unix()+301, body), body, false},
		{"tampered body", ok, body[:len(body)-2] + `7"}`, false},
		{"wrong secret", signed([]byte("another secret of thirty-two bytes"), now.Unix(), body), body, false},
		{"second of two signatures", func() http.Header {
			h := signed(webhookSecret, now.Unix(), body)
			h.Set(deliver.HeaderSignature, "v1=00ff, "+h.Get(deliver.HeaderSignature))
			return h
		}(), body, true},
		{"v0 scheme", func() http.Header {
			h := signed(webhookSecret, now.Unix(), body)
			h.Set(deliver.HeaderSignature, "v0="+h.Get(deliver.HeaderSignature)[3:])
			return h
		}(), body, false},
		{"timestamp changed", func() http.Header {
			h := signed(webhookSecret, now.Unix(), body)
			h.Set(deliver.HeaderTimestamp, strconv.FormatInt(now.Unix()+1, 10))
			return h
		}(), body, false},
		{"no headers", http.Header{}, body, false},
		{"signed timestamp with sign", func() http.Header {
			h := signed(webhookSecret, now.Unix(), body)
			h.Set(deliver.HeaderTimestamp, "+"+h.Get(deliver.HeaderTimestamp))
			return h
		}(), body, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := deliver.VerifyWebhook(webhookSecret, tc.header, []byte(tc.body), now)
			if tc.valid && err != nil {
				t.Fatalf("rejected: %v", err)
			}
			if !tc.valid && !errors.Is(err, deliver.ErrWebhookSignature) {
				t.Fatalf("err = %v, want ErrWebhookSignature", err)
			}
		})
	}
}

func TestSignWebhookIsWhatVerifyWebhookChecks(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	body := []byte(`{"id":"p1"}`)
	now := time.Unix(1_700_000_000, 0)
	h := http.Header{}
	deliver.SignWebhook(h, secret, body, now)
	if got := h.Get(deliver.HeaderTimestamp); got != "1700000000" {
		t.Fatalf("Stepup-Timestamp = %q, want 1700000000", got)
	}
	// The scheme, by hand: HMAC-SHA256 over "<ts>.<body>".
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte("1700000000." + string(body)))
	if got, want := h.Get(deliver.HeaderSignature), "v1="+hex.EncodeToString(mac.Sum(nil)); got != want {
		t.Fatalf("Stepup-Signature = %q, want %q", got, want)
	}
	if err := deliver.VerifyWebhook(secret, h, body, now); err != nil {
		t.Fatalf("VerifyWebhook of a signed request: %v", err)
	}
	if err := deliver.VerifyWebhook(secret, h, []byte(`{"id":"p2"}`), now); !errors.Is(err, deliver.ErrWebhookSignature) {
		t.Fatalf("VerifyWebhook of another body: %v, want ErrWebhookSignature", err)
	}
}
