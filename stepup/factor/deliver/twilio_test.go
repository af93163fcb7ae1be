package deliver_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/stepup/factor/deliver"
)

const twilioSuccess = `{"sid":"SM0123456789abcdef0123456789abcdef","status":"queued","error_code":null}`

// fakeTwilio plays Twilio's Messages API on 127.0.0.1: it checks each
// request's shape and answers with statuses[i] for the i-th request (the
// last one repeats) and Twilio-shaped bodies.
func fakeTwilio(t *testing.T, want map[string]string, statuses ...int) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		if r.Method != http.MethodPost || r.URL.Path != "/2010-04-01/Accounts/AC123/Messages.json" {
			t.Errorf("%s %s", r.Method, r.URL.Path)
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
			t.Errorf("Content-Type %q", ct)
		}
		if u, p, ok := r.BasicAuth(); !ok || u != want["user"] || p != "token" {
			t.Errorf("basic auth %q %q %v", u, p, ok)
		}
		if err := r.ParseForm(); err != nil {
			t.Error(err)
		}
		fields := []string{"To", "From", "MessagingServiceSid", "Body"}
		for _, k := range fields {
			if got := r.PostForm.Get(k); got != want[k] {
				t.Errorf("%s = %q, want %q", k, got, want[k])
			}
		}
		if len(r.PostForm) != len(want)-1 {
			t.Errorf("form %v has fields beyond %v", r.PostForm, fields)
		}
		status := statuses[min(i, len(statuses)-1)]
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		switch status {
		case http.StatusCreated:
			io.WriteString(w, twilioSuccess)
		case http.StatusBadRequest:
			io.WriteString(w, `{"code": 21211, "message": "The 'To' number +15005550001 is not a valid phone number.", "more_info": "https://www.twilio.com/docs/errors/21211", "status": 400}`)
		case http.StatusTooManyRequests:
			io.WriteString(w, `{"code": 20429, "message": "Too Many Requests", "more_info": "https://www.twilio.com/docs/errors/20429", "status": 429}`)
		default:
			io.WriteString(w, `<html>upstream failure</html>`)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func twilio(srv *httptest.Server) *deliver.TwilioSender {
	return &deliver.TwilioSender{
		AccountSID: "AC123", AuthToken: "token", From: "+15005550006", WhatsAppFrom: "+14155238886",
		BaseURL: srv.URL, Client: srv.Client(),
		Retry: deliver.Retry{Attempts: 3, Backoff: time.Millisecond},
	}
}

func TestTwilioSends(t *testing.T) {
	text := "492817 is your Bank code. Valid 10 min. Do not share it. & ü"
	for _, tc := range []struct {
		name  string
		ch    deliver.Channel
		setup func(*deliver.TwilioSender)
		want  map[string]string
	}{
		{"sms", deliver.SMS, nil,
			map[string]string{"user": "AC123", "To": "+4915112345678", "From": "+15005550006", "Body": text}},
		{"whatsapp", deliver.WhatsApp, nil,
			map[string]string{"user": "AC123", "To": "whatsapp:+4915112345678", "From": "whatsapp:+14155238886", "Body": text}},
		{"api key and messaging service", deliver.SMS, func(s *deliver.TwilioSender) { s.APIKeySID, s.From, s.MessagingServiceSID = "SK9", "", "MG7" },
			map[string]string{"user": "SK9", "To": "+4915112345678", "MessagingServiceSid": "MG7", "Body": text}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, n := fakeTwilio(t, tc.want, http.StatusCreated)
			s := twilio(srv)
			if tc.setup != nil {
				tc.setup(s)
			}
			m := deliver.Message{ID: deliver.NewID(), Channel: tc.ch, To: "+4915112345678", Content: deliver.Content{Text: text}}
			if err := s.Send(context.Background(), m); err != nil {
				t.Fatal(err)
			}
			if n.Load() != 1 {
				t.Errorf("%d requests, want 1", n.Load())
			}
		})
	}
}

func TestTwilioFailures(t *testing.T) {
	want := map[string]string{"user": "AC123", "To": "+4915112345678", "From": "+15005550006", "Body": "hi"}
	for _, tc := range []struct {
		name     string
		statuses []int
		wantErr  string // "" for success
		requests int32
	}{
		{"error body is explained", []int{400}, "twilio: HTTP 400, error 21211: The 'To' number +15005550001 is not a valid phone number. (https://www.twilio.com/docs/errors/21211)", 1},
		{"429 is retried", []int{429, 201}, "", 2},
		{"429 to the end", []int{429}, "error 20429: Too Many Requests", 3},
		{"5xx is not retried", []int{500, 201}, "twilio: HTTP 500", 1},
		{"503 is not retried", []int{503, 201}, "twilio: HTTP 503", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, n := fakeTwilio(t, want, tc.statuses...)
			m := deliver.Message{ID: deliver.NewID(), Channel: deliver.SMS, To: "+4915112345678", Content: deliver.Content{Text: "hi"}}
			err := twilio(srv).Send(context.Background(), m)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
			} else if !errors.Is(err, deliver.ErrUndelivered) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want ErrUndelivered with %q", err, tc.wantErr)
			}
			var te *deliver.TwilioError
			if tc.wantErr != "" && !errors.As(err, &te) {
				t.Errorf("err %v is not a *TwilioError", err)
			}
			if n.Load() != tc.requests {
				t.Errorf("%d requests, want %d", n.Load(), tc.requests)
			}
		})
	}
}

// A connection that breaks after the request was written is ambiguous:
// Twilio may have queued the message.
func TestTwilioNoRetryAfterRequestWritten(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		io.Copy(io.Discard, r.Body)
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		conn.Close()
	}))
	defer srv.Close()
	m := deliver.Message{ID: deliver.NewID(), Channel: deliver.SMS, To: "+4915112345678", Content: deliver.Content{Text: "hi"}}
	err := twilio(srv).Send(context.Background(), m)
	if !errors.Is(err, deliver.ErrUndelivered) {
		t.Fatalf("err = %v", err)
	}
	if n.Load() != 1 {
		t.Errorf("%d requests, want 1", n.Load())
	}
}

// A refused connection sent nothing, so it is retried, within the bound.
func TestTwilioRetriesRefusedConnection(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	var dials atomic.Int32
	s := twilio(srv)
	s.Client = &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials.Add(1)
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}}}
	m := deliver.Message{ID: deliver.NewID(), Channel: deliver.SMS, To: "+4915112345678", Content: deliver.Content{Text: "hi"}}
	if err := s.Send(context.Background(), m); !errors.Is(err, deliver.ErrUndelivered) {
		t.Fatalf("err = %v", err)
	}
	if dials.Load() != 3 {
		t.Errorf("%d dials, want 3", dials.Load())
	}
}

func TestTwilioRefusesBadNumber(t *testing.T) {
	srv, n := fakeTwilio(t, nil, http.StatusCreated)
	for _, to := range []string{"", "4915112345678", "+49 151", "+0123", "+1234567890123456"} {
		m := deliver.Message{ID: deliver.NewID(), Channel: deliver.SMS, To: to, Content: deliver.Content{Text: "hi"}}
		if err := twilio(srv).Send(context.Background(), m); !errors.Is(err, deliver.ErrUndelivered) {
			t.Errorf("To %q: err = %v", to, err)
		}
	}
	if n.Load() != 0 {
		t.Errorf("%d requests, want none", n.Load())
	}
}

// The backoff between tries ends when the context does.
func TestTwilioRetryHonoursContext(t *testing.T) {
	srv, n := fakeTwilio(t, map[string]string{"user": "AC123", "To": "+4915112345678", "From": "+15005550006", "Body": "hi"}, http.StatusTooManyRequests)
	s := twilio(srv)
	s.Retry = deliver.Retry{Attempts: 5, Backoff: time.Hour}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	m := deliver.Message{ID: deliver.NewID(), Channel: deliver.SMS, To: "+4915112345678", Content: deliver.Content{Text: "hi"}}
	err := s.Send(ctx, m)
	if !errors.Is(err, deliver.ErrUndelivered) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want ErrUndelivered and DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
	if n.Load() != 1 {
		t.Errorf("%d requests, want 1", n.Load())
	}
}
