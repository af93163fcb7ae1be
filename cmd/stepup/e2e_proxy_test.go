package main

import (
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stepup-auth/stepup/stepup"
)

// forwardingProxy stands for a reverse proxy on the loopback: it sends each
// request on with X-Forwarded-For naming the client it serves.
type forwardingProxy struct{ client string }

func (p forwardingProxy) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-Forwarded-For", p.client)
	return http.DefaultTransport.RoundTrip(r)
}

// server.trusted_proxies reaches the hosted pages: behind the proxy, a
// client guessing made-up usernames is throttled alone, and the log names
// it, while another client of the same proxy still signs in.
func TestTrustedProxiesThrottleEachClientApart(t *testing.T) {
	op := startOPWithServerKeys(t, filepath.Join(t.TempDir(), "data"), testClients, "  trusted_proxies: [127.0.0.1]\n")
	attacker := newRP(t, op.issuer, "app", "")
	attacker.browser.Transport = forwardingProxy{"198.51.100.7"}
	a := attacker.authorize(nil)
	for i := range stepup.DefaultThrottlePolicy().IPFailures {
		a.signIn("nobody"+strconv.Itoa(i), "guess")
		if !a.on("/signin") || a.page.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("failure %d: %v, status %d", i+1, a.page.Request.URL, a.page.StatusCode)
		}
	}
	if a.signIn("nobody", "guess"); a.page.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("the guessing client's next attempt: status %d, want 429", a.page.StatusCode)
	}

	user := newRP(t, op.issuer, "app", "")
	user.browser.Transport = forwardingProxy{"192.0.2.44"}
	u := user.authorize(nil)
	u.register("carol", "correct horse battery")
	u.code()
	u = user.authorize(map[string][]string{"prompt": {"login"}})
	if u.signIn("carol", "correct horse battery"); u.callback == nil {
		t.Fatalf("another client of the proxy: status %d on %v, want signed in", u.page.StatusCode, u.page.Request.URL)
	}
	u.code()
	if !strings.Contains(op.log.String(), "ip=198.51.100.7") {
		t.Errorf("the log does not name the throttled client:\n%s", op.log)
	}
}
