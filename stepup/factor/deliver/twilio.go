package deliver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// TwilioSender sends SMS and WhatsApp messages with Twilio's Messages API:
// POST {BaseURL}/2010-04-01/Accounts/{AccountSID}/Messages.json, a form
// with To, From (or MessagingServiceSid) and Body, and HTTP basic auth.
type TwilioSender struct {
	AccountSID string
	// APIKeySID, if set, is the basic-auth user instead of AccountSID, and
	// AuthToken is then the API key's secret.
	APIKeySID string
	AuthToken string
	// From is the sending number in E.164 for SMS; WhatsAppFrom the
	// WhatsApp sender's number in E.164, sent as "whatsapp:+…".
	From         string
	WhatsAppFrom string
	// MessagingServiceSID, if set, is sent instead of a From that is empty.
	MessagingServiceSID string
	// BaseURL replaces https://api.twilio.com, for tests.
	BaseURL string
	// Client is the HTTP client; nil means one with no timeout of its own
	// (the context bounds each send).
	Client *http.Client
	Retry  Retry
}

var _ Sender = (*TwilioSender)(nil)

// Send delivers m, an SMS or WhatsApp message.
//
// It tries again only after a 429 (Twilio refused the request, RFC 6585)
// or a connection failure before the request was fully written. A 5xx, a
// timeout or a broken connection after the request was written is
// ambiguous: Twilio may have queued the message, and a second request
// would send a second text (and bill it).
func (s *TwilioSender) Send(ctx context.Context, m Message) error {
	ch := m.Channel
	form := url.Values{"Body": {m.Text}}
	var to, from string
	switch ch {
	case SMS:
		to, from = m.To, s.From
	case WhatsApp:
		to, from = "whatsapp:"+m.To, s.WhatsAppFrom
		if from != "" {
			from = "whatsapp:" + from
		}
	default:
		return fail(ch, fmt.Errorf("twilio: cannot send a %q message", ch))
	}
	if !validE164(m.To) {
		return fail(ch, fmt.Errorf("twilio: %q is not an E.164 number", m.To))
	}
	form.Set("To", to)
	switch {
	case from != "":
		form.Set("From", from)
	case s.MessagingServiceSID != "":
		form.Set("MessagingServiceSid", s.MessagingServiceSID)
	default:
		return fail(ch, errors.New("twilio: no From number and no messaging service for "+string(ch)))
	}
	base := s.BaseURL
	if base == "" {
		base = "https://api.twilio.com"
	}
	endpoint := strings.TrimRight(base, "/") + "/2010-04-01/Accounts/" + url.PathEscape(s.AccountSID) + "/Messages.json"
	user := s.AccountSID
	if s.APIKeySID != "" {
		user = s.APIKeySID
	}
	body := form.Encode()
	err := s.Retry.run(ctx, func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(body))
		if err != nil {
			return fmt.Errorf("twilio: %w", err)
		}
		req.SetBasicAuth(user, s.AuthToken)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Accept", "application/json")
		return postOnce(s.Client, req, "twilio", parseTwilioError)
	})
	if err != nil {
		return fail(ch, err)
	}
	return nil
}

// TwilioError is an error answer of the Twilio API.
type TwilioError struct {
	Status   int    // the HTTP status
	Code     int    `json:"code"`      // Twilio's error code, e.g. 21211
	Message  string `json:"message"`   // Twilio's explanation
	MoreInfo string `json:"more_info"` // a link to the code's documentation
}

func (e *TwilioError) Error() string {
	s := fmt.Sprintf("twilio: HTTP %d", e.Status)
	if e.Code != 0 {
		s += fmt.Sprintf(", error %d", e.Code)
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.MoreInfo != "" {
		s += " (" + e.MoreInfo + ")"
	}
	return s
}

// parseTwilioError reads Twilio's JSON error body; a body that is not one
// still gives the status.
func parseTwilioError(status int, body []byte) error {
	e := &TwilioError{}
	if json.Unmarshal(body, e) != nil {
		e = &TwilioError{}
	}
	e.Status = status
	e.Message = printable(e.Message, 300)
	e.MoreInfo = printable(e.MoreInfo, 200)
	return e
}

// validE164 reports whether s looks like an E.164 number: '+' and 2 to 15
// digits. The factor validates numbers properly; this only keeps senders
// from passing on something that is not a number at all.
func validE164(s string) bool {
	if len(s) < 3 || len(s) > 16 || s[0] != '+' || s[1] == '0' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
