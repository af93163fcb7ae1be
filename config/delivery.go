package config

import (
	"fmt"
	"net"
	"net/mail"
	"strings"
	"time"

	"github.com/stepup-auth/stepup/stepup/factor/phone"
)

// Delivery configures how the out-of-band factors reach users: email
// through an SMTP server, text messages through Twilio or the operator's
// own webhook. Each factor is offered only when its channel is set up:
// email codes with email.smtp, SMS and WhatsApp codes with text.provider.
type Delivery struct {
	// SiteName names this service in the messages; empty: the public
	// URL's host.
	SiteName string `yaml:"site_name"`
	// CodeLifetime is how long a code is valid: 1m to 10m (NIST SP
	// 800-63B's ceiling for an out-of-band secret).
	CodeLifetime time.Duration `yaml:"code_lifetime"`
	// ResendCooldown is the least time between two codes to one address
	// or number: 1s to 10m. Default: 30s, about how late a text can be.
	ResendCooldown time.Duration `yaml:"resend_cooldown"`
	Email          Email         `yaml:"email"`
	Text           Text          `yaml:"text"`
	Push           Push          `yaml:"push"`
}

// Push configures push approvals: devices that enroll a key and answer
// with number matching, through the device API at /v1/device/.
type Push struct {
	Enabled bool `yaml:"enabled"`
	// Webhook, if its url is set, is told of each push created, so that
	// the operator can wake their app (APNs, FCM); devices find pushes by
	// polling anyway.
	Webhook Webhook `yaml:"webhook"`
}

// Email configures the SMTP submission server.
type Email struct {
	// SMTP is the server's host:port; empty: no email factor.
	SMTP string `yaml:"smtp"`
	// From is the sender, with an optional name: "Example <no-reply@example.com>".
	From string `yaml:"from"`
	// Security is starttls (port 587, the default), tls (port 465), or
	// plaintext, which only a server on a loopback address may use.
	Security string `yaml:"security"`
	Username string `yaml:"username"`
	Password string `yaml:"password"`
}

// Text configures SMS and WhatsApp.
type Text struct {
	// Provider is twilio or webhook; empty: no text-message factor.
	Provider string `yaml:"provider"`
	// Channels lists what is offered: sms, whatsapp. Default: sms.
	Channels []string `yaml:"channels"`
	// DefaultRegion is the country (ISO 3166-1 alpha-2) a number typed
	// without its country code is read in.
	DefaultRegion string `yaml:"default_region"`
	// AllowedRegions are the countries codes are sent to; empty: the
	// default region alone, never every country (SMS pumping).
	AllowedRegions []string `yaml:"allowed_regions"`
	Twilio         Twilio   `yaml:"twilio"`
	Webhook        Webhook  `yaml:"webhook"`
}

// Twilio configures Twilio's Messages API.
type Twilio struct {
	AccountSID string `yaml:"account_sid"`
	// APIKeySID, if set, authenticates instead of the account SID, with
	// AuthToken as the key's secret.
	APIKeySID           string `yaml:"api_key_sid"`
	AuthToken           string `yaml:"auth_token"`
	From                string `yaml:"from"`                  // the sending number, E.164
	WhatsAppFrom        string `yaml:"whatsapp_from"`         // the WhatsApp sender, E.164
	MessagingServiceSID string `yaml:"messaging_service_sid"` // instead of from
	// BaseURL replaces https://api.twilio.com, for a regional edge.
	BaseURL URL `yaml:"base_url"`
}

// Webhook configures the operator's endpoint that sends text messages.
type Webhook struct {
	URL URL `yaml:"url"`
	// Secret keys the HMAC-SHA256 signature of each request: at least 32
	// characters.
	Secret string `yaml:"secret"`
}

// EmailOn reports whether email codes can be sent.
func (d Delivery) EmailOn() bool { return d.Email.SMTP != "" }

// TextOn reports whether text messages of channel ("sms", "whatsapp") can
// be sent.
func (d Delivery) TextOn(channel string) bool {
	if d.Text.Provider == "" {
		return false
	}
	if len(d.Text.Channels) == 0 {
		return channel == "sms"
	}
	for _, c := range d.Text.Channels {
		if c == channel {
			return true
		}
	}
	return false
}

func (v *validator) delivery(d *Delivery) {
	if d.CodeLifetime == 0 {
		d.CodeLifetime = 10 * time.Minute
	}
	if d.ResendCooldown == 0 {
		d.ResendCooldown = 30 * time.Second
	}
	v.within("delivery.code_lifetime", d.CodeLifetime, time.Minute, 10*time.Minute)
	v.within("delivery.resend_cooldown", d.ResendCooldown, time.Second, 10*time.Minute)
	if e := d.Email; e.SMTP != "" {
		v.hostPort("delivery.email.smtp", e.SMTP, "smtp.example.com:587")
		if a, err := mail.ParseAddress(e.From); err != nil || !strings.Contains(a.Address, "@") {
			v.errorf("delivery.email.from", "must be an address, e.g. \"Example <no-reply@example.com>\", got %q", e.From)
		}
		switch e.Security {
		case "", "starttls", "tls":
		case "plaintext":
			host, _, _ := net.SplitHostPort(e.SMTP)
			if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
				v.errorf("delivery.email.security", "plaintext is for a server on a loopback address (127.0.0.1, ::1) only")
			}
		default:
			v.errorf("delivery.email.security", "must be starttls, tls or plaintext, got %q", e.Security)
		}
		if e.Username != "" && e.Password == "" {
			v.errorf("delivery.email.password", "must be set with username (e.g. ${SMTP_PASSWORD})")
		}
	}
	if w := d.Push.Webhook; d.Push.Enabled && w.URL.URL != nil {
		if !webURL(w.URL) {
			v.errorf("delivery.push.webhook.url", "must be an https:// URL (http:// only on a loopback address)")
		}
		if len(w.Secret) < 32 {
			v.errorf("delivery.push.webhook.secret", "must have at least 32 characters (e.g. ${STEPUP_PUSH_WEBHOOK_SECRET})")
		}
	}
	t := &d.Text
	if t.Provider == "" {
		return
	}
	for i, c := range t.Channels {
		if c != "sms" && c != "whatsapp" {
			v.errorf(fmt.Sprintf("delivery.text.channels[%d]", i), "must be sms or whatsapp, got %q", c)
		}
	}
	if _, err := phone.NewPolicy(t.DefaultRegion, t.AllowedRegions); err != nil {
		v.errorf("delivery.text.allowed_regions", "%v", err)
	}
	switch t.Provider {
	case "twilio":
		tw := t.Twilio
		if tw.AccountSID == "" || tw.AuthToken == "" {
			v.errorf("delivery.text.twilio", "needs account_sid and auth_token (e.g. ${TWILIO_AUTH_TOKEN})")
		}
		if d.TextOn("sms") && tw.From == "" && tw.MessagingServiceSID == "" {
			v.errorf("delivery.text.twilio.from", "needs a sending number, or messaging_service_sid")
		}
		if d.TextOn("whatsapp") && tw.WhatsAppFrom == "" {
			v.errorf("delivery.text.twilio.whatsapp_from", "is needed for the whatsapp channel")
		}
		if u := tw.BaseURL; u.URL != nil && !webURL(u) {
			v.errorf("delivery.text.twilio.base_url", "must be an https:// URL (http:// only on a loopback address): it carries the auth token and the codes")
		}
	case "webhook":
		if !webURL(t.Webhook.URL) {
			v.errorf("delivery.text.webhook.url", "must be an https:// URL (http:// only on a loopback address)")
		}
		if len(t.Webhook.Secret) < 32 {
			v.errorf("delivery.text.webhook.secret", "must have at least 32 characters (e.g. ${STEPUP_SMS_WEBHOOK_SECRET})")
		}
	default:
		v.errorf("delivery.text.provider", "must be twilio or webhook, got %q", t.Provider)
	}
}
