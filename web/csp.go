package web

import "net/url"

// ContentSecurityPolicy is the hosted pages' policy: their own stylesheet,
// script and images (and data: images, the QR code of an authenticator
// app), requests only to this site (the script's WebAuthn options), no
// framing, and forms that post to this site and whose answer may redirect
// to returnTo's origin ("" for none).
//
// form-action governs the whole navigation a form starts, redirects
// included (CSP Level 3 §6.4.1), and Chromium enforces it there: a sign-in
// answered with a redirect to a relying party on another origin is blocked
// under form-action 'self' alone, and the user is left on the sign-in page.
func ContentSecurityPolicy(returnTo string) string {
	return "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' data:; form-action " +
		formAction(returnTo) +
		"; frame-ancestors 'none'; base-uri 'none'"
}

// formAction is the form-action source list for forms of this site that
// may be answered with a redirect to returnTo: 'self' and its origin. The
// URI is a registered redirect URI, but a policy is no place to trust it: a
// host that is not plain letters, digits, dots and hyphens (an IPv6
// literal, which a CSP host source cannot name) is allowed by its scheme
// only.
func formAction(returnTo string) string {
	u, err := url.Parse(returnTo)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return "'self'"
	}
	host := u.Hostname()
	plain := host != ""
	for _, c := range host {
		plain = plain && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-')
	}
	if !plain {
		return "'self' " + u.Scheme + ":"
	}
	origin := u.Scheme + "://" + host
	if port := u.Port(); port != "" {
		origin += ":" + port
	}
	return "'self' " + origin
}
