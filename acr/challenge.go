package acr

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Error codes of a Bearer challenge: RFC 6750 §3.1 and RFC 9470 §3.
const (
	CodeInvalidRequest                 = "invalid_request"
	CodeInvalidToken                   = "invalid_token"
	CodeInsufficientScope              = "insufficient_scope"
	CodeInsufficientUserAuthentication = "insufficient_user_authentication"
)

// Challenge is a Bearer challenge (RFC 6750 §3) with the step-up parameters
// of RFC 9470 §3. A resource server answers a request with one (ServeHTTP,
// or Header for the WWW-Authenticate value alone); a client reads one back
// with ParseChallenge and asks the authorization server again with its
// AuthParams.
//
// The zero Challenge is the bare "Bearer" challenge RFC 6750 prescribes for
// a request that carries no token.
type Challenge struct {
	// Realm is the protection space (RFC 9110 §11.5), often empty.
	Realm string
	// Error is one of the Code… values, or empty for a request without a
	// token.
	Error string
	// Description is for the developer of the client, never for its users.
	// Header and ServeHTTP replace the characters RFC 6750 does not allow
	// in it (anything outside printable ASCII, '"' and '\') with '?'.
	Description string
	// Scope is the space-separated scope the resource needs, sent with
	// insufficient_scope.
	Scope string
	// ACRValues are the ACR values of which the token's acr must be one,
	// in order of preference. Each is one value: it must not contain a
	// space.
	ACRValues []string
	// MaxAge is the longest time since the user last authenticated actively
	// that the resource accepts, sent only when HasMaxAge is set: a MaxAge of
	// zero asks for authentication now. It travels in whole seconds,
	// rounded down so the requirement is never weakened; a negative MaxAge
	// is sent as 0.
	MaxAge    time.Duration
	HasMaxAge bool
}

// Errors of ParseChallenge and ParseWWWAuthenticate, to test with errors.Is.
var (
	// ErrNoChallenge: the header holds no Bearer challenge.
	ErrNoChallenge = errors.New("acr: no Bearer challenge in WWW-Authenticate")
	// ErrMalformedChallenge: the header is not a valid WWW-Authenticate
	// value, or its Bearer challenge has an invalid parameter.
	ErrMalformedChallenge = errors.New("acr: malformed WWW-Authenticate")
)

var _ http.Handler = Challenge{}

// Status returns the HTTP status of a response carrying the challenge:
// 403 for insufficient_scope and 400 for invalid_request (RFC 6750 §3.1),
// 401 otherwise.
func (c Challenge) Status() int {
	switch c.Error {
	case CodeInsufficientScope:
		return http.StatusForbidden
	case CodeInvalidRequest:
		return http.StatusBadRequest
	}
	return http.StatusUnauthorized
}

// maxAgeSeconds is max_age as sent: whole seconds, never negative.
func (c Challenge) maxAgeSeconds() int64 { return max(int64(c.MaxAge/time.Second), 0) }

// Header returns the WWW-Authenticate value of the challenge, on one line,
// with its parameters in the order of RFC 6750's and RFC 9470's examples:
// realm, error, error_description, scope, acr_values, max_age. Empty
// parameters are left out; every value is a quoted-string (RFC 9110 §5.6.4),
// as RFC 9470 §3 writes max_age="5".
func (c Challenge) Header() string {
	var b strings.Builder
	b.WriteString("Bearer")
	sep := " "
	param := func(name, value string) {
		b.WriteString(sep)
		b.WriteString(name)
		b.WriteString("=")
		writeQuoted(&b, value)
		sep = ", "
	}
	if c.Realm != "" {
		param("realm", c.Realm)
	}
	if c.Error != "" {
		param("error", c.Error)
	}
	if c.Description != "" {
		param("error_description", safeDescription(c.Description))
	}
	if c.Scope != "" {
		param("scope", c.Scope)
	}
	if len(c.ACRValues) > 0 {
		param("acr_values", strings.Join(c.ACRValues, " "))
	}
	if c.HasMaxAge {
		param("max_age", strconv.FormatInt(c.maxAgeSeconds(), 10))
	}
	return b.String()
}

// writeQuoted writes s as a quoted-string. A control character cannot be
// carried even escaped, so it becomes '?': a header must never be split or
// refused because of a value.
func writeQuoted(b *strings.Builder, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\t' || c >= 0x20 && c != 0x7f:
			b.WriteByte(c)
		default:
			b.WriteByte('?')
		}
	}
	b.WriteByte('"')
}

// safeDescription replaces each character RFC 6750 §3 does not allow in
// error_description (%x20-21 / %x23-5B / %x5D-7E) with '?'.
func safeDescription(s string) string {
	ok := func(r rune) bool { return r >= 0x20 && r <= 0x7e && r != '"' && r != '\\' }
	clean := true
	for _, r := range s {
		clean = clean && ok(r)
	}
	if clean {
		return s
	}
	return strings.Map(func(r rune) rune {
		if ok(r) {
			return r
		}
		return '?'
	}, s)
}

// challengeBody is the JSON body ServeHTTP writes.
type challengeBody struct {
	Error       string `json:"error,omitempty"`
	Description string `json:"error_description,omitempty"`
	Scope       string `json:"scope,omitempty"`
	ACRValues   string `json:"acr_values,omitempty"`
	MaxAge      *int64 `json:"max_age,omitempty"`
}

// ServeHTTP answers the request with the challenge: the status of Status,
// the WWW-Authenticate header of Header, Cache-Control: no-store, and the
// same information as a JSON object for clients that read bodies rather
// than headers, e.g.
//
//	{"error":"insufficient_user_authentication","acr_values":"urn:stepup:acr:mfa","max_age":300}
//
// with acr_values space-separated and max_age a number of seconds. Empty
// fields are left out: the bare challenge's body is {}.
func (c Challenge) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	body := challengeBody{
		Error:       c.Error,
		Description: safeDescription(c.Description),
		Scope:       c.Scope,
		ACRValues:   strings.Join(c.ACRValues, " "),
	}
	if c.HasMaxAge {
		s := c.maxAgeSeconds()
		body.MaxAge = &s
	}
	h := w.Header()
	h.Set("WWW-Authenticate", c.Header())
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Type", "application/json")
	w.WriteHeader(c.Status())
	_ = json.NewEncoder(w).Encode(body) // the client has gone; nothing to do
}

// AuthParams returns the parameters to add to a new authorization request
// so the token it yields meets the challenge: acr_values and max_age (in
// seconds), each only when the challenge names it.
func (c Challenge) AuthParams() url.Values {
	v := url.Values{}
	if len(c.ACRValues) > 0 {
		v.Set("acr_values", strings.Join(c.ACRValues, " "))
	}
	if c.HasMaxAge {
		v.Set("max_age", strconv.FormatInt(c.maxAgeSeconds(), 10))
	}
	return v
}

// ParseChallenge reads the Bearer challenge of a response's
// WWW-Authenticate header lines, whatever its status. Each line is parsed on
// its own and the first Bearer challenge found wins; a malformed line is an
// error only when no other line has a Bearer challenge.
func ParseChallenge(resp *http.Response) (Challenge, error) {
	var firstErr error
	for _, line := range resp.Header.Values("WWW-Authenticate") {
		c, err := ParseWWWAuthenticate(line)
		if err == nil {
			return c, nil
		}
		if firstErr == nil && !errors.Is(err, ErrNoChallenge) {
			firstErr = err
		}
	}
	if firstErr != nil {
		return Challenge{}, firstErr
	}
	return Challenge{}, ErrNoChallenge
}

// ParseWWWAuthenticate parses one WWW-Authenticate value (RFC 9110 §11.6.1):
// a list of challenges, such as `Basic realm="x", Bearer error="..."`, of
// which it returns the first Bearer one. The whole value must be valid:
// challenges are separated by commas, as their parameters are, so a flaw
// anywhere could be a Bearer parameter read wrongly. Scheme and parameter names are
// compared without regard to case; values may be tokens or quoted-strings;
// a challenge's token68 and parameters unknown to Challenge are ignored.
// max_age must be a non-negative integer, quoted or not; acr_values is split
// on white space. A parameter given twice in the Bearer challenge is an
// error, as RFC 9110 forbids it.
//
// What it returns, written with Header, parses back to the same Challenge
// except for an error_description with characters Header replaces.
func ParseWWWAuthenticate(value string) (Challenge, error) {
	p := authParser{s: value}
	var bearer []authParam
	found := false
	for {
		p.skipListSeparators()
		if p.done() {
			break
		}
		scheme, params, err := p.challenge()
		if err != nil {
			return Challenge{}, err
		}
		if !found && strings.EqualFold(scheme, "Bearer") {
			bearer, found = params, true
		}
	}
	if !found {
		return Challenge{}, ErrNoChallenge
	}
	return bearerChallenge(bearer)
}

// bearerChallenge turns a Bearer challenge's parameters into a Challenge.
func bearerChallenge(params []authParam) (Challenge, error) {
	var c Challenge
	seen := map[string]bool{}
	for _, p := range params {
		if seen[p.name] {
			return Challenge{}, fmt.Errorf("%w: Bearer parameter %s given twice", ErrMalformedChallenge, p.name)
		}
		seen[p.name] = true
		switch p.name {
		case "realm":
			c.Realm = p.value
		case "error":
			c.Error = p.value
		case "error_description":
			c.Description = p.value
		case "scope":
			c.Scope = p.value
		case "acr_values":
			c.ACRValues = ParseACRValues(p.value)
			if len(c.ACRValues) == 0 {
				c.ACRValues = nil
			}
		case "max_age":
			n, err := parseMaxAge(p.value)
			if err != nil {
				return Challenge{}, err
			}
			c.MaxAge, c.HasMaxAge = time.Duration(n)*time.Second, true
		}
	}
	return c, nil
}

// parseMaxAge parses max_age: decimal digits only (no sign, no space), and
// small enough to be a time.Duration.
func parseMaxAge(s string) (int64, error) {
	if s == "" || strings.TrimLeft(s, "0123456789") != "" {
		return 0, fmt.Errorf("%w: max_age %q is not a non-negative integer", ErrMalformedChallenge, s)
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n > math.MaxInt64/int64(time.Second) {
		return 0, fmt.Errorf("%w: max_age %q is too large", ErrMalformedChallenge, s)
	}
	return n, nil
}
