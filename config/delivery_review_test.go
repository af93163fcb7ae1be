package config

import (
	"strings"
	"testing"
)

// Twilio's base_url carries the account's auth token (basic auth) and
// every code: like the webhook's url, it must be https, or http only to
// a loopback host (the tests' stand-in).
func TestReviewTwilioBaseURLOverHTTP(t *testing.T) {
	for _, tt := range []struct {
		url  string
		want bool // an error at delivery.text.twilio.base_url
	}{
		{"https://api.eu1.twilio.example", false},
		{"http://127.0.0.1:8080", false},
		{"http://api.twilio.com", true},
	} {
		yaml := "delivery:\n  text: {provider: twilio, default_region: DE, twilio: {account_sid: AC1, auth_token: t, from: '+15005550006', base_url: '" + tt.url + "'}}\n"
		_, ps := load(t, yaml, nil)
		got := false
		for _, p := range ps {
			if p.Severity == Error && strings.HasPrefix(p.Path, "delivery.text.twilio.base_url") {
				got = true
			}
		}
		if got != tt.want {
			t.Errorf("base_url %s: an error %v, want %v:\n%s", tt.url, got, tt.want, ps)
		}
	}
}
