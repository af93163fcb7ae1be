package config

import (
	"strings"
	"testing"
)

func TestDeliveryProblems(t *testing.T) {
	for _, tt := range []struct {
		name, yaml string
		want       []string // paths with an error
	}{
		{"off by default", "delivery: {}\n", nil},
		{"email", "delivery:\n  email: {smtp: 'smtp.example.com:587', from: 'Ex <no-reply@example.com>', username: u, password: p}\n", nil},
		{"email plaintext on loopback", "delivery:\n  email: {smtp: '127.0.0.1:1025', from: a@b.example, security: plaintext}\n", nil},
		{"email plaintext abroad", "delivery:\n  email: {smtp: 'smtp.example.com:25', from: a@b.example, security: plaintext}\n", []string{"delivery.email.security"}},
		{"email without from", "delivery:\n  email: {smtp: 'smtp.example.com:587', security: tls2}\n", []string{"delivery.email.from", "delivery.email.security"}},
		{"email user without password", "delivery:\n  email: {smtp: 'smtp.example.com:587', from: a@b.example, username: u}\n", []string{"delivery.email.password"}},
		{"lifetime over NIST's ten minutes", "delivery: {code_lifetime: 15m}\n", []string{"delivery.code_lifetime"}},
		{"twilio", "delivery:\n  text: {provider: twilio, default_region: DE, allowed_regions: [DE, AT], channels: [sms, whatsapp], twilio: {account_sid: AC1, auth_token: t, from: '+15005550006', whatsapp_from: '+14155238886'}}\n", nil},
		{"twilio incomplete", "delivery:\n  text: {provider: twilio, default_region: DE, channels: [whatsapp, fax], twilio: {account_sid: AC1}}\n",
			[]string{"delivery.text.channels[1]", "delivery.text.twilio", "delivery.text.twilio.whatsapp_from"}},
		{"no country", "delivery:\n  text: {provider: twilio, twilio: {account_sid: AC1, auth_token: t, from: '+15005550006'}}\n", []string{"delivery.text.allowed_regions"}},
		{"webhook", "delivery:\n  text: {provider: webhook, default_region: DE, webhook: {url: 'https://sms.example.com/send', secret: " + longSecret + "}}\n", nil},
		{"webhook over http", "delivery:\n  text: {provider: webhook, default_region: DE, webhook: {url: 'http://sms.example.com/send', secret: short}}\n",
			[]string{"delivery.text.webhook.url", "delivery.text.webhook.secret"}},
		{"unknown provider", "delivery:\n  text: {provider: pigeon, default_region: DE}\n", []string{"delivery.text.provider"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, ps := load(t, tt.yaml, nil)
			var got []string
			for _, p := range ps {
				if p.Severity == Error {
					got = append(got, p.Path)
				}
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("errors at %v, want %v:\n%s", got, tt.want, ps)
			}
		})
	}
}
