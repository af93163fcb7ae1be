package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
)

// The CSRF token of a form is an HMAC of the browser's flow binding. Only
// a page served to this browser knows it: another site can make the
// browser post, but cannot read the binding cookie or our pages, and
// cannot compute the MAC without the server's key. Every form belongs to
// a flow, so the binding is always there; and no server-side state is
// needed, so replicas sharing CSRFKey accept each other's forms.
//
// Posts are also refused when the browser says they are cross-origin
// (Sec-Fetch-Site, or an Origin of another host), which stops even a
// sibling subdomain that managed to plant its own binding cookie.

func (s *Server) csrfToken(binding string) string {
	return base64.RawURLEncoding.EncodeToString(s.csrfMAC(binding))
}

func (s *Server) validCSRF(token, binding string) bool {
	got, err := base64.RawURLEncoding.DecodeString(token)
	return err == nil && binding != "" && hmac.Equal(got, s.csrfMAC(binding))
}

func (s *Server) csrfMAC(binding string) []byte {
	m := hmac.New(sha256.New, s.csrfKey)
	m.Write([]byte(binding))
	return m.Sum(nil)
}
