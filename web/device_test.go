package web_test

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/stepup-auth/stepup/stepup/signals"
	"github.com/stepup-auth/stepup/web"
)

// The device cookie's attributes, a forged value replaced, and Origin
// ignoring X-Forwarded-For from an untrusted peer.
func TestTheDeviceCookie(t *testing.T) {
	dc, err := signals.NewDeviceCookie([]byte(strings.Repeat("d", 32)))
	if err != nil {
		t.Fatal(err)
	}
	var srv *web.Server
	newEnv(t, true, func(_ *env, o *web.Options) {
		o.Devices = dc
		o.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.1/32")}
		srv = web.New(*o)
	})

	get := func(cookie string) *http.Cookie {
		t.Helper()
		r := httptest.NewRequest(http.MethodGet, "https://id.example/account", nil)
		if cookie != "" {
			r.AddCookie(&http.Cookie{Name: "__Host-stepup_device", Value: cookie})
		}
		w := httptest.NewRecorder()
		srv.Handler().ServeHTTP(w, r)
		for _, c := range w.Result().Cookies() {
			if c.Name == "__Host-stepup_device" {
				return c
			}
		}
		t.Fatalf("no device cookie on a page")
		return nil
	}
	c := get("")
	if !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Domain != "" || c.MaxAge < 300*24*3600 {
		t.Errorf("device cookie attributes: %+v", c)
	}
	if again := get(c.Value); again.Value != c.Value {
		t.Errorf("a valid device cookie was not renewed as it is")
	}
	forged := strings.Repeat("A", len(c.Value))
	if got := get(forged); got.Value == forged {
		t.Errorf("a forged device cookie was kept")
	}

	// Origin: the device, and the address behind trusted proxies only.
	r := httptest.NewRequest(http.MethodPost, "https://id.example/signin", nil)
	r.RemoteAddr = "198.51.100.9:4444"
	r.Header.Set("X-Forwarded-For", "203.0.113.1")
	r.AddCookie(&http.Cookie{Name: "__Host-stepup_device", Value: c.Value})
	o := srv.Origin(r)
	if o.IP != netip.MustParseAddr("198.51.100.9") || !strings.HasPrefix(o.DeviceID, "cookie:") {
		t.Errorf("Origin from an untrusted peer: %+v", o)
	}
	r.RemoteAddr = "10.0.0.1:4444"
	if o := srv.Origin(r); o.IP != netip.MustParseAddr("203.0.113.1") {
		t.Errorf("Origin behind a trusted proxy: %+v", o)
	}
	r.Header.Del("Cookie")
	r.AddCookie(&http.Cookie{Name: "__Host-stepup_device", Value: forged})
	if o := srv.Origin(r); o.DeviceID != "" {
		t.Errorf("Origin took a forged device cookie: %q", o.DeviceID)
	}
}
