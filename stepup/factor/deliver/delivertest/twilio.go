package delivertest

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stepup-auth/stepup/stepup/factor/deliver"
)

// Text is one message the Twilio stand-in accepted.
type Text struct {
	To, From, Body string
}

// Twilio plays Twilio's Messages API on 127.0.0.1, as Twilio documents
// it: POST /2010-04-01/Accounts/{AccountSid}/Messages.json, a
// form-encoded body with To, From and Body, HTTP basic auth with the
// account SID and auth token, and a 201 with the message resource. A
// request of any other shape fails the test and gets Twilio's 400.
type Twilio struct {
	URL string

	t     testing.TB
	texts *inbox[Text]
	mu    sync.Mutex
	fail  int
}

// The credentials the stand-in accepts.
const (
	TwilioAccount = "AC00000000000000000000000000000001"
	TwilioToken   = "twilio-test-token"
	TwilioFrom    = "+15005550006"
)

// StartTwilio starts the stand-in, stopped when t ends.
func StartTwilio(t testing.TB) *Twilio {
	tw := &Twilio{t: t, texts: newInbox[Text]()}
	srv := httptest.NewServer(http.HandlerFunc(tw.serve))
	t.Cleanup(srv.Close)
	tw.URL = srv.URL
	return tw
}

// Sender returns a sender for the stand-in.
func (tw *Twilio) Sender() *deliver.TwilioSender {
	return &deliver.TwilioSender{
		AccountSID: TwilioAccount, AuthToken: TwilioToken, From: TwilioFrom, WhatsAppFrom: "+14155238886",
		BaseURL: tw.URL,
	}
}

func (tw *Twilio) serve(w http.ResponseWriter, r *http.Request) {
	refuse := func(format string, args ...any) {
		tw.t.Errorf("delivertest: Twilio got "+format, args...)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"code": 21601, "message": "bad request", "status": 400}`)
	}
	switch u, p, ok := r.BasicAuth(); {
	case r.Method != http.MethodPost || r.URL.Path != "/2010-04-01/Accounts/"+TwilioAccount+"/Messages.json":
		refuse("%s %s", r.Method, r.URL.Path)
		return
	case r.Header.Get("Content-Type") != "application/x-www-form-urlencoded":
		refuse("Content-Type %q", r.Header.Get("Content-Type"))
		return
	case !ok || u != TwilioAccount || p != TwilioToken:
		refuse("basic auth %q", u)
		return
	}
	if err := r.ParseForm(); err != nil {
		refuse("an unreadable form: %v", err)
		return
	}
	f := r.PostForm
	for k := range f {
		if k != "To" && k != "From" && k != "Body" {
			refuse("the field %q", k)
			return
		}
	}
	to := f.Get("To")
	if to == "" || f.Get("From") == "" || f.Get("Body") == "" || !strings.HasPrefix(strings.TrimPrefix(to, "whatsapp:"), "+") {
		refuse("the form %v", f)
		return
	}
	tw.mu.Lock()
	fail := tw.fail
	tw.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if fail != 0 {
		w.WriteHeader(fail)
		_, _ = fmt.Fprintf(w, `{"code": 30001, "message": "Queue overflow", "status": %d}`, fail)
		return
	}
	tw.texts.add(Text{To: to, From: f.Get("From"), Body: f.Get("Body")})
	w.WriteHeader(http.StatusCreated)
	_, _ = fmt.Fprintf(w, `{"sid": "SM%s", "status": "queued", "to": %q}`, deliver.NewID(), to)
}

// FailWith makes the stand-in answer every request with status (a 5xx,
// say) and accept none, until called again with 0.
func (tw *Twilio) FailWith(status int) {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	tw.fail = status
}

// Texts returns every message accepted so far.
func (tw *Twilio) Texts() []Text { return tw.texts.all() }

// Wait returns the n-th message (from 1) accepted for to (an E.164
// number, or whatsapp: and one), waiting for it at most 10 s.
func (tw *Twilio) Wait(t testing.TB, to string, n int) Text {
	t.Helper()
	return tw.texts.wait(t, func(m Text) bool { return m.To == to }, n, "text for "+to)
}
