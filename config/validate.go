package config

import (
	"fmt"
	"maps"
	"math"
	"net"
	"net/netip"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/google/uuid"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup/password"
)

// Validate checks a Config built in code, as Load checks the file it reads,
// and normalises it the same way: a trailing slash is removed from
// server.public_url, with a warning. The problems carry key paths but no
// positions.
func (c *Config) Validate() Problems {
	ps := validate(c, newDecoder("", nil), false)
	ps.sort()
	return ps
}

// validator checks one section at a time and reports each problem at its key
// path's place in the file, when the decoder saw it there.
type validator struct {
	d        *decoder
	fromFile bool // the Config was read from a file, not built in code
	// upstreams says the file lists upstream providers, through which
	// UPSTREAM is a way to sign in.
	hasUpstreams bool
	problems     Problems
}

// validate checks c, normalising the values that have one canonical form.
// fromFile says c was read from a file: only then is a default that suits
// development but not production worth a warning.
func validate(c *Config, d *decoder, fromFile bool) Problems {
	v := &validator{d: d, fromFile: fromFile, hasUpstreams: len(c.Upstreams) > 0}
	v.server(&c.Server)
	v.log(&c.Log)
	v.store(&c.Store)
	v.secrets(&c.Secrets)
	v.sessions(&c.Sessions)
	v.passwords(&c.Passwords)
	v.factors(&c.Factors)
	v.delivery(&c.Delivery)
	v.acr(&c.ACR)
	v.oidc(&c.OIDC, c.Demo.Enabled, c.Server.PublicURL)
	v.upstreams(c.Upstreams)
	v.rules(&c.Rules)
	v.signals(&c.Signals)
	v.demo(&c.Demo, c.Server.PublicURL)
	return v.problems
}

func (v *validator) report(sev Severity, path, format string, args ...any) {
	at, found := position{}, false
	for p := path; p != ""; p = parent(p) {
		if v.d.failed[p] {
			return // the decoder already said what is wrong with this value
		}
		// A missing key, such as oidc.clients[0].id, is reported at the
		// nearest enclosing key that is in the file.
		if a, ok := v.d.pos[p]; ok && !found {
			at, found = a, true
		}
	}
	v.problems = append(v.problems, Problem{
		File: v.d.file, Line: at.line, Column: at.col, Path: path,
		Message: fmt.Sprintf(format, args...), Severity: sev,
	})
}

// reported says whether a problem was reported at path.
func (v *validator) reported(path string) bool {
	return slices.ContainsFunc(v.problems, func(p Problem) bool { return p.Path == path })
}

func (v *validator) errorf(path, format string, args ...any) { v.report(Error, path, format, args...) }
func (v *validator) warnf(path, format string, args ...any)  { v.report(Warning, path, format, args...) }

// parent returns the key path that encloses path: "a.b[2]" for "a.b[2].c",
// "a.b" for "a.b[2]", "" for "a". Map keys are quoted and may contain dots
// or brackets, so an index is stripped whole.
func parent(path string) string {
	if strings.HasSuffix(path, "]") {
		if i := strings.LastIndex(path, "[\""); i >= 0 && strings.HasSuffix(path, "\"]") {
			return path[:i]
		}
		if i := strings.LastIndexByte(path, '['); i >= 0 {
			return path[:i]
		}
	}
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		return path[:i]
	}
	return ""
}

// hostPort checks a listen address.
func (v *validator) hostPort(key, addr, example string) {
	if _, port, err := net.SplitHostPort(addr); err != nil {
		v.errorf(key, "must be host:port, e.g. %s", example)
	} else if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		v.errorf(key, "port %q must be a number from 0 to 65535", port)
	}
}

// urlPort returns the port written in u's host, which may be empty after a
// colon; ok is false when the host names no port.
func urlPort(u URL) (port string, ok bool) {
	_, port, err := net.SplitHostPort(u.Host)
	return port, err == nil
}

// validPort reports whether port is a number a browser can connect to:
// url.Parse checks only that it is digits.
func validPort(port string) bool {
	n, err := strconv.ParseUint(port, 10, 16)
	return err == nil && n > 0
}

// sameListener reports whether two listen addresses would take the same
// socket: one port (not 0, which picks a free one) on hosts that overlap,
// one of which listens on every interface, or names that may be the same.
// Ports and addresses are compared as numbers, as the kernel sees them:
// 018090 is port 18090, and :: is 0:0:0:0:0:0:0:0.
func sameListener(a, b string) bool {
	ha, pa, errA := net.SplitHostPort(a)
	hb, pb, errB := net.SplitHostPort(b)
	na, errPA := strconv.ParseUint(pa, 10, 16)
	nb, errPB := strconv.ParseUint(pb, 10, 16)
	if errA != nil || errB != nil || errPA != nil || errPB != nil || na != nb || na == 0 {
		return false // hostPort reports a malformed one
	}
	ia, errIA := netip.ParseAddr(ha)
	ib, errIB := netip.ParseAddr(hb)
	if ha == "" || hb == "" || errIA != nil || errIB != nil {
		return true // every interface, or a name such as localhost, which may be 127.0.0.1 or ::1
	}
	ia, ib = ia.Unmap(), ib.Unmap()
	return ia == ib || ia.IsUnspecified() || ib.IsUnspecified()
}

func (v *validator) server(s *Server) {
	v.hostPort("server.listen", s.Listen, "127.0.0.1:8080 or :8080")
	if s.MetricsListen != "" {
		v.hostPort("server.metrics_listen", s.MetricsListen, "127.0.0.1:9464")
		if sameListener(s.MetricsListen, s.Listen) {
			v.errorf("server.metrics_listen", "must not be server.listen's address: metrics are kept off the public listener")
		}
	}
	if !webURL(s.PublicURL) {
		v.errorf("server.public_url", "must be an absolute https URL, or http on localhost, 127.0.0.1 or [::1]")
	} else if s.PublicURL.RawQuery != "" || s.PublicURL.ForceQuery || s.PublicURL.Fragment != "" {
		v.errorf("server.public_url", "must not have a query or fragment")
	} else if s.PublicURL.User != nil {
		// The URL is the issuer: discovery and every token would publish
		// the credentials.
		v.errorf("server.public_url", "must not have a user name or password: the issuer URL is public")
	} else if port, ok := urlPort(s.PublicURL); ok && !validPort(port) {
		v.errorf("server.public_url", "port %q must be a number from 1 to 65535", port)
	} else if strings.HasSuffix(s.PublicURL.Path, "/") {
		// The URL is the issuer, which relying parties compare byte for
		// byte with the iss claim and the discovery document's issuer.
		u := *s.PublicURL.URL
		u.Path = strings.TrimRight(u.Path, "/")
		u.RawPath = strings.TrimRight(u.RawPath, "/")
		s.PublicURL = URL{&u}
		v.warnf("server.public_url", "the issuer will be %q, without the trailing slash; relying parties compare the issuer exactly, so configure them with that value", u.String())
	}
	if webURL(s.PublicURL) && !v.reported("server.public_url") && PasskeysOff(s.PublicURL) {
		v.warnf("server.public_url", "its host is an IP address, which WebAuthn does not take as a site: passkeys and security keys are off; use http://localhost:PORT to try them")
	}
	v.trustedProxies(s)
	v.positive("server.shutdown_timeout", s.ShutdownTimeout)
	v.positive("server.read_header_timeout", s.ReadHeaderTimeout)
}

// trustedProxies warns of a list that misses the proxy every production
// deployment has, or that takes everyone for one. The decoder has already
// refused what is not an address or a prefix.
func (v *validator) trustedProxies(s *Server) {
	// Only a file read for a public https URL looks like production; the
	// defaults and local try-outs run on http://localhost, with no proxy.
	if len(s.TrustedProxies) == 0 && v.fromFile && s.PublicURL.URL != nil && s.PublicURL.Scheme == "https" {
		v.warnf("server.trusted_proxies", "stepup serves plain HTTP; behind a proxy, set server.trusted_proxies or every client counts as the proxy for throttling")
	}
	for i, p := range s.TrustedProxies {
		if p.IsValid() && p.Bits() == 0 {
			// Every address in X-Forwarded-For is then a trusted hop, and
			// the left-most, which the client may write, is taken.
			v.warnf(fmt.Sprintf("server.trusted_proxies[%d]", i), "%s trusts every address, so a client can name any address it likes in X-Forwarded-For; list only the proxies' addresses", p)
		}
	}
}

func (v *validator) positive(path string, d time.Duration) {
	if d <= 0 {
		v.errorf(path, "must be more than 0s, got %s", d)
	}
}

// within reports d unless it lies in lo..hi.
func (v *validator) within(path string, d, lo, hi time.Duration) {
	if d < lo || d > hi {
		v.errorf(path, "must be from %s to %s, got %s", lo, hi, d)
	}
}

func (v *validator) log(l *Log) {
	if l.Format != "text" && l.Format != "json" {
		v.errorf("log.format", "unknown format %q (want text or json)", l.Format)
	}
}

// backends lists the store backends stepup can run on.
var backends = []string{"memdb"}

func (v *validator) store(s *Store) {
	if !slices.Contains(backends, s.Backend) {
		v.errorf("store.backend", "unknown backend %q (supported: %s)", s.Backend, strings.Join(backends, ", "))
	}
	m := &s.Memdb
	if strings.TrimSpace(m.Dir) == "" {
		v.errorf("store.memdb.dir", "must not be empty")
	} else if v.fromFile && !filepath.IsAbs(m.Dir) {
		// Under a service manager the working directory is often /, and
		// a store there would start empty instead of failing.
		v.warnf("store.memdb.dir", "%q is relative to the working directory; use an absolute path in production", m.Dir)
	}
	if m.SnapshotEvery < 1000 {
		v.errorf("store.memdb.snapshot_every", "must be at least 1000, got %d", m.SnapshotEvery)
	}
	if m.SweepInterval < time.Second {
		v.errorf("store.memdb.sweep_interval", "must be at least 1s, got %s", m.SweepInterval)
	}
}

func (v *validator) secrets(s *Secrets) {
	// A malformed key is the decoder's error, which never shows the key.
	// An empty one is allowed: the server generates a key and keeps it in
	// the data folder, which suits a try-out. A file whose key reads the
	// environment, as with ${STEPUP_SECRET_KEY:-}, already does what the
	// warning asks and allows an empty key on purpose (a plain ${VAR}
	// makes a missing key an error); only other files are warned.
	if !s.Key.Set && v.fromFile && !v.d.fromEnv["secrets.key"] {
		v.warnf("secrets.key", "is not set: a generated key is kept in the data folder; set one from the environment in production")
	}
}

func (v *validator) sessions(s *Sessions) {
	v.positive("sessions.idle", s.Idle)
	v.positive("sessions.absolute", s.Absolute)
	if s.Idle > 0 && s.Absolute > 0 && s.Idle > s.Absolute {
		v.errorf("sessions.idle", "must not be longer than sessions.absolute (%s), got %s", s.Absolute, s.Idle)
	}
}

// factors checks the factors section, and puts each AAGUID in its
// canonical form (lower-case, hyphenated).
func (v *validator) factors(f *Factors) {
	for i, s := range f.HardwareAAGUIDs {
		path := fmt.Sprintf("factors.hardware_aaguids[%d]", i)
		id, err := uuid.Parse(s)
		if err != nil || len(s) != 36 {
			v.errorf(path, "must be an AAGUID written as 8-4-4-4-12 hexadecimal digits, got %q", s)
			continue
		}
		f.HardwareAAGUIDs[i] = id.String()
	}
	v.within("factors.change_window", f.ChangeWindow, time.Minute, 12*time.Hour)
	if f.ChangeLevel == acr.None {
		v.errorf("factors.change_level", "must be a built-in level: 1fa, mfa, phr or phrh")
	}
	// The issuer prefixes the account name in an otpauth label, after
	// which a colon would read as a second prefix.
	if strings.ContainsAny(f.TOTPIssuer, ":") || len(f.TOTPIssuer) > 64 {
		v.errorf("factors.totp_issuer", "must be at most 64 characters with no colon, got %q", f.TOTPIssuer)
	}
}

// Limits on passwords.min_length: NIST SP 800-63B asks for at least 8
// characters and for accepting at least 64, so a minimum above 64 would
// refuse passwords NIST says to take.
const (
	minPasswordLength = 8
	maxPasswordLength = 64
)

func (v *validator) passwords(p *Passwords) {
	fits := true
	for _, f := range []struct {
		key  string
		val  int
		most int64
	}{
		{"memory_kib", p.MemoryKiB, math.MaxUint32},
		{"iterations", p.Iterations, math.MaxUint32},
		{"parallelism", p.Parallelism, math.MaxUint8},
	} {
		if f.val < 0 || int64(f.val) > f.most {
			// Params would saturate it, and the password package's
			// message would then name a number nobody wrote.
			v.errorf("passwords."+f.key, "must be from 0 to %d, got %d", f.most, f.val)
			fits = false
		}
	}
	if fits {
		// The password package's own rules, so that config accepts
		// exactly what password.Hash will.
		params := p.Params()
		if err := params.Validate(); err != nil {
			for _, e := range unjoin(err) {
				v.errorf("passwords", "%s", strings.TrimPrefix(e.Error(), password.ErrInvalidParams.Error()+": "))
			}
		} else if params.Weak() {
			v.warnf("passwords", "memory_kib %d with iterations %d is below the OWASP minimum; fine for tests, not for production", p.MemoryKiB, p.Iterations)
		}
	}
	if p.MinLength < minPasswordLength || p.MinLength > maxPasswordLength {
		v.errorf("passwords.min_length", "must be from %d to %d, got %d", minPasswordLength, maxPasswordLength, p.MinLength)
	}
}

// unjoin returns the errors that errors.Join combined into err, or err alone.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func (v *validator) demo(d *Demo, publicURL URL) {
	// Only a file read for a public https URL looks like production; the
	// defaults and local try-outs run on http://localhost.
	if d.Enabled && v.fromFile && publicURL.URL != nil && publicURL.Scheme == "https" {
		v.warnf("demo.enabled", "the demo client and demo page under /demo are on, and public_url is https as in production; set demo.enabled to false there")
	}
}

func (v *validator) acr(a *ACR) {
	// Sorted, so problems come out in the same order on every run.
	for _, alias := range slices.Sorted(maps.Keys(a.Aliases)) {
		path := "acr.aliases[" + strconv.Quote(alias) + "]"
		switch l, err := acr.ParseLevel(alias); {
		case alias == "":
			v.errorf(path, "an alias must not be empty")
		case strings.ContainsFunc(alias, unicode.IsSpace):
			v.errorf(path, "an alias must not contain whitespace")
		case err == nil:
			v.errorf(path, "%q is already the built-in level %s; remove the alias", alias, l)
		case strings.HasPrefix(strings.ToLower(alias), "urn:stepup:acr:"):
			// acr.NewScheme refuses these too: the namespace is stepup's
			// (and case-insensitive, RFC 8141 §3.1).
			v.errorf(path, "urn:stepup:acr: values are stepup's own levels (1fa, mfa, phr, phrh); choose an alias outside that namespace")
		case a.Aliases[alias] != acr.None && a.Aliases[alias] < acr.WellKnownAliases()[alias]:
			// acr.NewScheme refuses these too: a relying party asking
			// for this value must never get it for less.
			v.errorf(path, "%q is the well-known value for %s; it may stand for a higher level, not for %s",
				alias, acr.WellKnownAliases()[alias], a.Aliases[alias])
		}
		if a.Aliases[alias] == acr.None {
			v.errorf(path, "must be a built-in level: 1fa, mfa, phr or phrh")
		}
	}
}

// clientIDPattern is RFC 3986's unreserved characters: an ID that needs no
// escaping in a URL or a form.
var clientIDPattern = regexp.MustCompile(`^[A-Za-z0-9._~-]+$`)

// minSecretLen is the length below which a client secret is guessable enough
// to warn about.
const minSecretLen = 32

// actionPattern is the form of a client's action: an identifier, as rule
// sets are named.
var actionPattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,63}$`)

// demoClientID is the client ID the demo registers (web/demo.ClientID,
// which a test compares): config does not import the hosted pages.
const demoClientID = "stepup-demo"

// oidc checks the provider's section; demoOn says the demo registers its
// own client, whose ID the configured clients may not take.
func (v *validator) oidc(o *OIDC, demoOn bool, publicURL URL) {
	v.within("oidc.access_token_lifetime", o.AccessTokenLifetime, time.Minute, 24*time.Hour)
	v.within("oidc.id_token_lifetime", o.IDTokenLifetime, time.Minute, 24*time.Hour)
	v.within("oidc.refresh_token_lifetime", o.RefreshTokenLifetime, time.Hour, 365*24*time.Hour)
	v.within("oidc.code_lifetime", o.CodeLifetime, 10*time.Second, 10*time.Minute)
	v.within("oidc.auth_request_lifetime", o.AuthRequestLifetime, time.Minute, time.Hour)
	seen := map[string]int{} // client ID -> index of its first use
	for i := range o.Clients {
		c := &o.Clients[i]
		base := fmt.Sprintf("oidc.clients[%d]", i)
		switch first, dup := seen[c.ID]; {
		case c.ID == "":
			v.errorf(base+".id", "is required")
		case !clientIDPattern.MatchString(c.ID):
			v.errorf(base+".id", "%q may only contain letters, digits and . _ ~ -", c.ID)
		case dup:
			v.errorf(base+".id", "duplicate client id %q, also used by oidc.clients[%d]", c.ID, first)
		case demoOn && c.ID == demoClientID:
			v.errorf(base+".id", "%q is the demo's client ID while demo.enabled is true; rename this client or set demo.enabled to false", c.ID)
		default:
			seen[c.ID] = i
		}
		if c.Secret != "" && len(c.Secret) < minSecretLen {
			v.warnf(base+".secret", "is shorter than %d characters; use a long random secret", minSecretLen)
		}
		if c.PKCEOptional && c.Secret == "" {
			v.errorf(base+".pkce_optional", "is for a confidential client only: a public client (no secret) must use PKCE")
		}
		if len(c.RedirectURIs) == 0 {
			v.errorf(base+".redirect_uris", "at least one redirect URI is required")
		}
		v.redirectURIs(base+".redirect_uris", c.RedirectURIs)
		v.redirectURIs(base+".post_logout_redirect_uris", c.PostLogoutRedirectURIs)
		if c.MinimumACR == acr.None {
			v.errorf(base+".minimum_acr", "must be a built-in level: 1fa, mfa, phr or phrh")
		}
		for j, m := range c.Methods {
			if k := slices.Index(c.Methods, m); k < j {
				v.warnf(fmt.Sprintf("%s.methods[%d]", base, j), "%s is already listed at methods[%d]", m, k)
			}
		}
		v.clientMethods(base, c, publicURL.URL != nil && PasskeysOff(publicURL))
		// The decoder refuses unknown names; these catch a Config built
		// in code, or an empty value in the file.
		if !slices.Contains(signingAlgs, c.SigningAlg) {
			v.errorf(base+".signing_alg", "must be %s", orList(signingAlgs))
		}
		if !slices.Contains(tokenFormats, c.AccessTokenFormat) {
			v.errorf(base+".access_token_format", "must be %s", orList(tokenFormats))
		}
		if !actionPattern.MatchString(c.Action) {
			v.errorf(base+".action", "must be a letter followed by at most 63 letters, digits or _, got %q", c.Action)
		}
	}
}

// firstFactors are the methods a sign-in can begin with, besides UPSTREAM
// when upstreams are configured.
var firstFactors = []acr.Method{acr.Password, acr.Passkey, acr.SecurityKey}

// clientMethods checks that a client's methods can sign a user in and
// reach its minimum level: a verification of a method it does not list
// does not count for it, so a list without a first factor, or too weak
// for minimum_acr, would send its users round the sign-in page forever.
func (v *validator) clientMethods(base string, c *Client, passkeysOff bool) {
	if len(c.Methods) == 0 {
		return
	}
	for i := range c.Methods {
		if v.d.failed[fmt.Sprintf("%s.methods[%d]", base, i)] {
			return // the decoder said what is wrong; the list is not what was meant
		}
	}
	firsts := firstFactors
	if v.hasUpstreams {
		firsts = append(slices.Clone(firsts), acr.Upstream)
	}
	if !slices.ContainsFunc(c.Methods, func(m acr.Method) bool { return slices.Contains(firsts, m) }) {
		v.errorf(base+".methods", "must include a way to sign in: %s", orList(firsts))
		return
	}
	if !slices.Contains(c.Methods, acr.Password) && !slices.Contains(c.Methods, acr.Upstream) {
		if passkeysOff {
			v.errorf(base+".methods", "has no PASSWORD, and passkeys are off (server.public_url is an IP address): no one could sign in")
			return
		}
		v.warnf(base+".methods", "has no PASSWORD: users without a passkey can neither sign in nor register here")
	}
	// The most the methods prove together: every one at its strongest
	// (a passkey that verifies the user; an upstream is left out, as its
	// level is its trust mapping's).
	var all []acr.Verification
	for _, m := range c.Methods {
		all = append(all, acr.Verification{Method: m, UserVerified: true, HardwareBound: true, At: time.Unix(1, 0)})
	}
	if reach := acr.Assess(all, time.Time{}).Level; c.MinimumACR != acr.None && !slices.Contains(c.Methods, acr.Upstream) &&
		!reach.Satisfies(c.MinimumACR) {
		v.errorf(base+".methods", "can reach no more than %s, below minimum_acr %s", reach, c.MinimumACR)
	}
}

func (v *validator) redirectURIs(path string, uris []URL) {
	for i, u := range uris {
		p := fmt.Sprintf("%s[%d]", path, i)
		if !webURL(u) {
			v.errorf(p, "must be an absolute https URL or http://localhost")
		} else if u.Fragment != "" {
			v.errorf(p, "must not have a fragment")
		}
	}
}

// webURL reports whether u is an absolute https URL, or an http URL on the
// loopback interface, where TLS adds nothing (RFC 8252, section 7.3).
func webURL(u URL) bool {
	if u.URL == nil || u.Host == "" || u.Opaque != "" {
		return false
	}
	switch u.Scheme {
	case "https":
		return true
	case "http":
		return isLoopback(u.Hostname())
	}
	return false
}

func isLoopback(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}
