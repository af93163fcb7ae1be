package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/stepup-auth/stepup/stepup/api/device"
	"github.com/stepup-auth/stepup/stepup/factor/push"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/config"
	"github.com/stepup-auth/stepup/stepup/factor/deliver"
	"github.com/stepup-auth/stepup/stepup/factor/magiclink"
	"github.com/stepup-auth/stepup/stepup/factor/otp"
	"github.com/stepup-auth/stepup/stepup/factor/phone"
	"github.com/stepup-auth/stepup/stepup/factor/sendlimit"
	"github.com/stepup-auth/stepup/stepup/store"
	"github.com/stepup-auth/stepup/web"
)

// sendTimeout bounds one send, retries included: the user waits on it.
const sendTimeout = 15 * time.Second

// newCodeFactors builds the factors that send a code, and with email
// magic links, for each channel
// the delivery section sets up. Email and text messages are limited apart;
// SMS and WhatsApp share their limits, since both reach the same number.
func newCodeFactors(cfg *config.Config, st store.Store, m master, now func() time.Time) (codes map[acr.Method]web.Codes, links *magiclink.Factor, err error) {
	d := cfg.Delivery
	if !d.EmailOn() && d.Text.Provider == "" {
		return nil, nil, nil
	}
	renderer, err := deliver.NewRenderer()
	if err != nil {
		return nil, nil, err
	}
	site := d.SiteName
	if site == "" {
		site = cfg.Server.PublicURL.Hostname()
	}
	base := otp.Options{
		Authenticators: st.Authenticators(), Challenges: st.Challenges(), Users: st.Users(),
		Renderer: renderer, Site: site, Key: m.derive("otp-codes"), Lifetime: d.CodeLifetime, Now: now,
	}
	limits := sendlimit.DefaultLimits()
	limits.Cooldown = d.ResendCooldown
	out := map[acr.Method]web.Codes{}
	add := func(method acr.Method, o otp.Options) error {
		o.Method = method
		f, err := otp.New(o)
		if err != nil {
			return err
		}
		out[method] = f
		return nil
	}
	if d.EmailOn() {
		o := base
		if o.Limits, err = sendlimit.NewLimiter(limits); err != nil {
			return nil, nil, err
		}
		o.Sender = smtpSender(d.Email)
		if err := add(acr.EmailOTP, o); err != nil {
			return nil, nil, err
		}
		if links, err = magiclink.New(magiclink.Options{
			Authenticators: st.Authenticators(), Challenges: st.Challenges(), Sender: o.Sender, Renderer: renderer,
			Key: m.derive("magic-links"), BaseURL: cfg.Server.PublicURL.String(), Site: site, Lifetime: d.CodeLifetime,
			Throttle: emailThrottle{o.Limits}, Now: now,
		}); err != nil {
			return nil, nil, err
		}
	}
	if d.Text.Provider == "" {
		return out, links, nil
	}
	o := base
	if o.Phones, err = phone.NewPolicy(d.Text.DefaultRegion, d.Text.AllowedRegions); err != nil {
		return nil, nil, err
	}
	if o.Limits, err = sendlimit.NewLimiter(limits); err != nil {
		return nil, nil, err
	}
	o.Sender = textSender(d.Text)
	for _, ch := range []struct {
		name   string
		method acr.Method
	}{{"sms", acr.SMS}, {"whatsapp", acr.WhatsApp}} {
		if d.TextOn(ch.name) {
			if err := add(ch.method, o); err != nil {
				return nil, nil, fmt.Errorf("delivery.text: %w", err)
			}
		}
	}
	return out, links, nil
}

func smtpSender(e config.Email) deliver.Sender {
	s := &deliver.SMTPSender{Addr: e.SMTP, From: e.From, Username: e.Username, Password: e.Password}
	switch e.Security {
	case "tls":
		s.Security = deliver.ImplicitTLS
	case "plaintext":
		s.Security = deliver.InsecurePlaintext
	}
	return timed{s}
}

func textSender(t config.Text) deliver.Sender {
	client := &http.Client{Timeout: sendTimeout}
	if t.Provider == "webhook" {
		return timed{&deliver.WebhookSender{URL: t.Webhook.URL.String(), Secret: []byte(t.Webhook.Secret), Client: client}}
	}
	tw := t.Twilio
	s := &deliver.TwilioSender{
		AccountSID: tw.AccountSID, APIKeySID: tw.APIKeySID, AuthToken: tw.AuthToken, From: tw.From,
		WhatsAppFrom: tw.WhatsAppFrom, MessagingServiceSID: tw.MessagingServiceSID, Client: client,
	}
	if tw.BaseURL.URL != nil {
		s.BaseURL = tw.BaseURL.String()
	}
	return timed{s}
}

// timed bounds each send by sendTimeout, so that a stalled provider
// fails the page instead of holding it.
type timed struct{ deliver.Sender }

func (t timed) Send(ctx context.Context, m deliver.Message) error {
	ctx, cancel := context.WithTimeout(ctx, sendTimeout)
	defer cancel()
	return t.Sender.Send(ctx, m)
}

// emailThrottle counts links on the limiter of email codes: both reach
// the same inbox.
type emailThrottle struct{ *sendlimit.Limiter }

func (t emailThrottle) Allow(dest string, now time.Time) error {
	return t.Limiter.Allow(otp.LimitKey(dest), "", now)
}

// newPush builds push approvals and the device API that serves the
// devices, when delivery.push turns them on; nil, nil when it does not.
func newPush(cfg *config.Config, st store.Store, log *slog.Logger, now func() time.Time) (*push.Factor, http.Handler, error) {
	p := cfg.Delivery.Push
	if !p.Enabled {
		return nil, nil, nil
	}
	o := push.Options{
		Authenticators: st.Authenticators(), Challenges: st.Challenges(),
		PublicURL: strings.TrimSuffix(cfg.Server.PublicURL.String(), "/"), Log: log, Now: now,
	}
	if p.Webhook.URL.URL != nil {
		o.Notifier = &push.WebhookNotifier{URL: p.Webhook.URL.String(), Secret: []byte(p.Webhook.Secret), Client: &http.Client{Timeout: sendTimeout}}
	}
	f, err := push.New(o)
	if err != nil {
		return nil, nil, err
	}
	api, err := device.New(device.Options{Push: f, Log: log, Now: now})
	if err != nil {
		return nil, nil, err
	}
	return f, api, nil
}
