package track

import (
	"fmt"
	"io"
	"net/http"
	"net/mail"
	"net/netip"
	"net/url"
	"regexp"
	"strings"

	"github.com/stepup-auth/stepup/stepup"
	"github.com/stepup-auth/stepup/stepup/api"
	"github.com/stepup-auth/stepup/stepup/signals"
)

// maxBody bounds a request body: an action's custom data is small.
const maxBody = 64 << 10

// trackBody is the body of a track call.
type trackBody struct {
	IPAddress      string         `json:"ipAddress"`
	UserAgent      string         `json:"userAgent"`
	DeviceID       string         `json:"deviceId"`
	RedirectURL    string         `json:"redirectUrl"`
	IdempotencyKey string         `json:"idempotencyKey"`
	Custom         map[string]any `json:"custom"`
	Email          string         `json:"email"`
	PhoneNumber    string         `json:"phoneNumber"`
}

// parsed is a track call's body, checked.
type parsed struct {
	ip          netip.Addr
	userAgent   string
	deviceID    string
	redirectURL string
	key         string
	custom      map[string]any
	vouched     stepup.Vouched
}

// errBody is a body the API refuses; its message says why, for the
// caller's developer, and status how (400 unless said).
type errBody struct {
	msg    string
	status int
}

func (e errBody) Error() string { return e.msg }

func badBody(format string, args ...any) error { return errBody{msg: fmt.Sprintf(format, args...)} }

var (
	// idPattern is a userId or idempotency key: printable, no spaces or
	// slashes (they travel in paths), at most 128 characters.
	idPattern = regexp.MustCompile(`^[A-Za-z0-9._~:@+=-]{1,128}$`)
	// actionPattern is an action name, as the rules name it.
	actionPattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,63}$`)
	// e164 is a phone number's form; whether it can take a text, and
	// whether its country may, is checked when a code is sent.
	e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
)

// decode reads one JSON value of at most maxBody bytes into v, as the
// APIs' conventions say (api.DecodeJSON): no unknown fields, nothing
// after it.
func decode(r io.Reader, v any) error {
	data, err := io.ReadAll(io.LimitReader(r, maxBody+1))
	if err != nil {
		return badBody("the body could not be read")
	}
	if len(data) > maxBody {
		return errBody{msg: fmt.Sprintf("the body is over %d bytes", maxBody), status: http.StatusRequestEntityTooLarge}
	}
	if err := api.DecodeJSON(data, v); err != nil {
		return badBody("%s", strings.TrimPrefix(err.Error(), "api: "))
	}
	return nil
}

// parseTrack reads and checks a track call's body.
func parseTrack(r io.Reader) (parsed, error) {
	var b trackBody
	if err := decode(r, &b); err != nil {
		return parsed{}, err
	}
	p := parsed{userAgent: b.UserAgent, key: b.IdempotencyKey, custom: b.Custom, redirectURL: b.RedirectURL}
	if b.IPAddress != "" {
		ip, err := netip.ParseAddr(b.IPAddress)
		if err != nil || ip.Zone() != "" {
			return parsed{}, badBody("ipAddress must be an IPv4 or IPv6 address, got %q", truncate(b.IPAddress))
		}
		p.ip = ip.Unmap()
	}
	if len(b.UserAgent) > 1024 {
		return parsed{}, badBody("userAgent is over 1024 bytes")
	}
	if b.DeviceID != "" {
		id, err := signals.CallerDeviceID(b.DeviceID)
		if err != nil {
			return parsed{}, badBody("deviceId: %s", strings.TrimPrefix(err.Error(), "signals: "))
		}
		p.deviceID = id
	}
	if b.IdempotencyKey != "" && !idPattern.MatchString(b.IdempotencyKey) {
		return parsed{}, badBody("idempotencyKey must be 1 to 128 letters, digits or ._~:@+=-")
	}
	if b.RedirectURL != "" {
		if err := checkRedirect(b.RedirectURL); err != nil {
			return parsed{}, err
		}
	}
	if b.Email != "" {
		a, err := mail.ParseAddress(b.Email)
		if err != nil || a.Address != b.Email || len(b.Email) > 254 {
			return parsed{}, badBody("email must be an address alone, such as name@example.com, of at most 254 bytes")
		}
	}
	if b.PhoneNumber != "" && !e164.MatchString(b.PhoneNumber) {
		return parsed{}, badBody("phoneNumber must be in E.164 form, such as +4915112345678")
	}
	p.vouched = stepup.Vouched{Email: b.Email, Phone: b.PhoneNumber}
	return p, nil
}

// checkRedirect allows an absolute https URL, or http on a loopback host
// for development.
func checkRedirect(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || len(raw) > 2048 || u.Host == "" || u.User != nil || u.Fragment != "" {
		return badBody("redirectUrl must be an absolute URL of at most 2048 bytes, without user info or fragment")
	}
	switch {
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && loopback(u.Hostname()):
		return nil
	}
	return badBody("redirectUrl must be https (http only on localhost)")
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

// truncate keeps an echoed value short.
func truncate(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
