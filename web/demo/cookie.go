package demo

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"
)

// The demo's cookies, both scoped to its own paths.
const (
	// loginCookie holds the sign-in under way: state, nonce, PKCE
	// verifier and action.
	loginCookie = "stepup_demo_login"
	// sessionCookie holds the claims of the last verified ID token.
	sessionCookie = "stepup_demo"

	cookiePath    = "/demo/"
	loginLifetime = 10 * time.Minute
	// maxCookieBytes bounds what open reads; browsers keep at most 4 KB.
	maxCookieBytes = 4 << 10
)

var errCookie = errors.New("demo: cookie missing, forged or expired")

// cookieSigner seals values into cookies as
// base64url(JSON) "." base64url(HMAC-SHA256). The MAC covers the cookie's
// name, so one cookie cannot stand in for another, and the JSON carries an
// expiry, so a copied cookie does not live forever.
type cookieSigner struct {
	key []byte
	now func() time.Time
}

type envelope[T any] struct {
	Expires int64 `json:"exp"`
	Value   T     `json:"v"`
}

// seal returns the signed cookie value of v, valid until expires.
func seal[T any](c cookieSigner, name string, v T, expires time.Time) (string, error) {
	b, err := json.Marshal(envelope[T]{Expires: expires.Unix(), Value: v})
	if err != nil {
		return "", err
	}
	payload := base64.RawURLEncoding.EncodeToString(b)
	return payload + "." + base64.RawURLEncoding.EncodeToString(c.mac(name, payload)), nil
}

// open returns the value of a cookie that seal made under the same name,
// or errCookie.
func open[T any](c cookieSigner, name, value string) (T, error) {
	var zero T
	if len(value) > maxCookieBytes {
		return zero, errCookie
	}
	payload, sig, ok := strings.Cut(value, ".")
	if !ok {
		return zero, errCookie
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, c.mac(name, payload)) {
		return zero, errCookie
	}
	b, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return zero, errCookie
	}
	var e envelope[T]
	if err := json.Unmarshal(b, &e); err != nil || !c.now().Before(time.Unix(e.Expires, 0)) {
		return zero, errCookie
	}
	return e.Value, nil
}

func (c cookieSigner) mac(name, payload string) []byte {
	m := hmac.New(sha256.New, c.key)
	m.Write([]byte("cookie\x00" + name + "\x00" + payload))
	return m.Sum(nil)
}

// readCookie opens the request's cookie called name.
func readCookie[T any](c cookieSigner, r *http.Request, name string) (value T, raw string, err error) {
	k, err := r.Cookie(name)
	if err != nil {
		return value, "", errCookie
	}
	value, err = open[T](c, name, k.Value)
	return value, k.Value, err
}

// setCookie sets a cookie the browser keeps until expires, or clears it
// when value is "".
//
// SameSite=Lax, not Strict: the login cookie must come along when the OP
// redirects the browser back to the callback.
//
// It replaces a Set-Cookie of the same name already in the response (a
// callback that clears the login cookie, then starts a new sign-in): RFC
// 6265 §4.1.1 asks for one per name.
func (s *Server) setCookie(w http.ResponseWriter, name, value string, expires time.Time) {
	h := w.Header()
	h["Set-Cookie"] = slices.DeleteFunc(h["Set-Cookie"], func(c string) bool { return strings.HasPrefix(c, name+"=") })
	k := &http.Cookie{
		Name: name, Value: value, Path: cookiePath,
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode,
	}
	if value == "" {
		k.MaxAge = -1
	} else {
		k.MaxAge = max(1, int(expires.Sub(s.now()).Seconds()))
	}
	http.SetCookie(w, k)
}

// csrfToken is the logout form's token: an HMAC of the session cookie,
// which only this browser holds and no other site can read.
func (s *Server) csrfToken(sessionCookie string) string {
	return base64.RawURLEncoding.EncodeToString(s.csrfMAC(sessionCookie))
}

func (s *Server) validCSRF(token, sessionCookie string) bool {
	got, err := base64.RawURLEncoding.DecodeString(token)
	return err == nil && sessionCookie != "" && hmac.Equal(got, s.csrfMAC(sessionCookie))
}

func (s *Server) csrfMAC(sessionCookie string) []byte {
	m := hmac.New(sha256.New, s.cookies.key)
	m.Write([]byte("csrf\x00" + sessionCookie))
	return m.Sum(nil)
}
