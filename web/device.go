package web

import (
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/stepup-auth/stepup/stepup"
)

// DeviceCookie names the browser for the device signals: a random id and
// its HMAC (signals.DeviceCookie). The user becomes known on it once they
// sign in there; a browser that clears its cookies is a new device.
const DeviceCookie = "stepup_device"

// deviceLifetime is how long a browser keeps the device cookie: the 400
// days browsers cap cookies at, renewed by each page it opens.
const deviceLifetime = 400 * 24 * time.Hour

// withDevice gives a browser that opens a page without a valid device
// cookie a new one, and renews a valid one. Assets do not: they come with
// a page.
func (s *Server) withDevice(next http.Handler) http.Handler {
	if s.devices == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && !strings.HasPrefix(r.URL.Path, "/static/") {
			value := ""
			if c, err := r.Cookie(CookieName(DeviceCookie, s.secure)); err == nil {
				if _, ok := s.devices.Open(c.Value); ok {
					value = c.Value
				}
			}
			if value == "" {
				_, value = s.devices.New()
			}
			http.SetCookie(w, &http.Cookie{
				Name: CookieName(DeviceCookie, s.secure), Value: value, Path: "/",
				MaxAge: int(deviceLifetime / time.Second), HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode,
			})
		}
		next.ServeHTTP(w, r)
	})
}

// Origin tells where a request comes from, for the engine's signals: the
// client's address (behind the trusted proxies), its user agent, and the
// device its cookie names, if valid.
func (s *Server) Origin(r *http.Request) stepup.Origin {
	o := stepup.Origin{UserAgent: r.UserAgent()}
	if ip, err := netip.ParseAddr(s.clientIP(r)); err == nil {
		o.IP = ip.Unmap()
	}
	if s.devices != nil {
		if c, err := r.Cookie(CookieName(DeviceCookie, s.secure)); err == nil {
			o.DeviceID, _ = s.devices.Open(c.Value)
		}
	}
	return o
}
