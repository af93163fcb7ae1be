package web

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/stepup-auth/stepup/stepup/factor/magiclink"
	"github.com/stepup-auth/stepup/stepup/seal"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup"
	"github.com/stepup-auth/stepup/stepup/signals"
	"github.com/stepup-auth/stepup/stepup/store"
)

//go:embed templates/*.html static
var assets embed.FS

// maxFormBytes bounds a posted form: a flow token and a password of
// password.MaxPasswordLength bytes fit many times over.
const maxFormBytes = 64 << 10

// Options are what the hosted pages work with. Flows, Sessions, Accounts
// and HandBack are required, and CSRFKey must have at least 32 bytes.
type Options struct {
	Flows    *stepup.Flows
	Sessions *stepup.Sessions
	Accounts *stepup.Accounts
	// HandBack takes a flow the pages are done with back to its completion
	// target (the OpenID Provider's Continue), with the browser's session
	// as the pages left it (nil if none), and answers the request. It runs
	// in the same request: the browser makes no extra round trip, and the
	// flow never leaves the server between the page and its target.
	HandBack func(w http.ResponseWriter, r *http.Request, flow stepup.Flow, sess *store.Session)
	// Pending reports whether a flow's completion target still waits for
	// it. The pages ask before they show or act on a flow, so that a flow
	// token that outlived its request (a second tab, the back button)
	// cannot still make an account or start a session. Nil: always.
	Pending func(ctx context.Context, flow stepup.Flow) (bool, error)
	// CSRFKey is a secret from which the key of the forms' CSRF tokens is
	// derived. Replicas behind one load balancer need the same one.
	CSRFKey []byte
	// SecureCookies marks cookies Secure. Turn it off only to develop on
	// http://localhost, where browsers would otherwise drop them.
	SecureCookies bool
	// Factors are the second factors the pages offer; zero: none, and
	// the step-up page can only say that a level cannot be reached.
	Factors Factors
	// Users is required with Factors: a passkey names its user.
	Users store.Users
	// TrustedProxies are the reverse proxies in front of the pages: from
	// these alone X-Forwarded-For is believed, and the client it names is
	// the one sign-in failures are counted and logged against. Empty: the
	// connection's address is the client's.
	TrustedProxies []netip.Prefix
	// Decide is the engine's Decide: the account page asks it whether a
	// session may go on, as a sign-in, so that what the signIn rules block
	// the pages do not allow either. Nil: nothing is asked.
	Decide func(context.Context, stepup.Request) (stepup.Decision, error)
	// Risk hears of sign-in attempts and failed verifications, for the
	// engine's velocity signals (stepup.Engine); nil: nobody.
	Risk Risk
	// Actions answers the challenges of tracked actions (/challenge); nil
	// serves none.
	Actions Actions
	// Devices signs the device cookie each browser gets (DeviceCookie),
	// which names it to the engine's device signals. Nil: none.
	Devices *signals.DeviceCookie
	// Upstreams are the OpenID Providers the sign-in page offers, with
	// Federation to link their users; none without Federation.
	Upstreams  []Upstream
	Federation *stepup.Federation
	Now        func() time.Time // default time.Now
	Log        *slog.Logger     // default slog.Default()
}

// Risk is what the pages tell the engine's signals.
type Risk interface {
	Attempted(userID string)
	Failed(userID string)
}

var _ Risk = (*stepup.Engine)(nil)

// Server serves the hosted pages.
type Server struct {
	flows      *stepup.Flows
	sessions   *stepup.Sessions
	accounts   *stepup.Accounts
	completion func(http.ResponseWriter, *http.Request, stepup.Flow, *store.Session)
	factors    Factors
	users      store.Users
	pending    func(context.Context, stepup.Flow) (bool, error)
	csrfKey    []byte
	attempts   *seal.Sealer // seals upstream sign-in attempts
	secure     bool
	proxies    []netip.Prefix
	devices    *signals.DeviceCookie
	actions    Actions
	risk       Risk
	decide     func(context.Context, stepup.Request) (stepup.Decision, error)
	upstreams  []Upstream
	federation *stepup.Federation
	now        func() time.Time
	log        *slog.Logger
	origins    *http.CrossOriginProtection
	pages      *Pages
	mux        *http.ServeMux
}

// New returns the hosted pages' server. It panics when a required option
// is missing: that is a wiring mistake, found at start-up.
func New(o Options) *Server {
	switch {
	case o.Flows == nil, o.Sessions == nil, o.Accounts == nil, o.HandBack == nil:
		panic("web: Options.Flows, Sessions, Accounts and HandBack are required")
	case len(o.CSRFKey) < 32:
		panic("web: Options.CSRFKey needs at least 32 bytes")
	case o.Factors.enabled() && (o.Factors.Limiter == nil || o.Factors.Authenticators == nil || o.Users == nil ||
		o.Factors.ChangeWindow <= 0):
		panic("web: Options.Factors needs a Limiter, Authenticators, a ChangeWindow, and Options.Users")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	// The CSRF key is derived rather than used as is, so the same secret
	// can key something else without the two ever producing the same MAC.
	derive := hmac.New(sha256.New, o.CSRFKey)
	derive.Write([]byte("stepup web csrf v1"))
	s := &Server{
		flows:      o.Flows,
		sessions:   o.Sessions,
		accounts:   o.Accounts,
		completion: o.HandBack,
		factors:    o.Factors,
		users:      o.Users,
		pending:    o.Pending,
		csrfKey:    derive.Sum(nil),
		attempts:   attemptSealer(o.CSRFKey),
		secure:     o.SecureCookies,
		proxies:    slices.Clone(o.TrustedProxies),
		devices:    o.Devices,
		actions:    o.Actions,
		risk:       o.Risk,
		decide:     o.Decide,
		upstreams:  slices.Clone(o.Upstreams),
		federation: o.Federation,
		now:        o.Now,
		log:        o.Log,
		origins:    http.NewCrossOriginProtection(),
		pages:      NewPages(assets, o.Log, nil, "signin", "register", "stepup", "enroll", "codes", "account", "review", "challenge", "magic", "magic-opened", "error"),
		mux:        http.NewServeMux(),
	}
	s.routes()
	return s
}

func (s *Server) routes() {
	s.mux.HandleFunc("GET /signin", s.signInPage)
	s.mux.HandleFunc("POST /signin", s.signIn)
	s.mux.HandleFunc("GET /register", s.registerPage)
	s.mux.HandleFunc("POST /register", s.register)
	s.mux.HandleFunc("GET /stepup", s.stepUpPage)
	s.mux.HandleFunc("GET /challenge", s.challengePage)
	s.mux.HandleFunc("POST /challenge", s.openChallenge)
	s.mux.HandleFunc("GET /review", s.reviewPage)
	s.mux.HandleFunc("GET /review/check", s.reviewCheck)
	s.mux.HandleFunc("POST /review/cancel", s.stepUp)
	s.mux.HandleFunc("POST /stepup", s.stepUp)
	if s.federation != nil && len(s.upstreams) > 0 {
		s.mux.HandleFunc("POST /upstream/{id}/start", s.upstreamStart)
		s.mux.HandleFunc("GET /upstream/{id}/callback", s.upstreamCallback)
	}
	if s.factors.enabled() {
		s.mux.HandleFunc("POST /stepup/verify", s.verify)
		s.mux.HandleFunc("POST /stepup/send", s.sendCode)
		if s.factors.MagicLink != nil || s.factors.Push != nil {
			s.mux.HandleFunc("GET /stepup/wait", s.waitStatus)
		}
		if s.factors.MagicLink != nil {
			s.mux.HandleFunc("GET "+magiclink.Path, s.magicPage)
			s.mux.HandleFunc("POST "+magiclink.Path, s.openMagic)
		}
		s.mux.HandleFunc("POST /enroll/send", s.sendEnrollCode)
		s.mux.HandleFunc("POST /webauthn/options", s.webauthnOptions)
		s.mux.HandleFunc("POST /signin/passkey", s.passkeySignIn)
		s.mux.HandleFunc("GET /enroll", s.enrollPage)
		s.mux.HandleFunc("POST /enroll", s.enroll)
		s.mux.HandleFunc("POST /enroll/done", s.enrolled)
		s.mux.HandleFunc("GET /account", s.accountPage)
		s.mux.HandleFunc("POST /account/remove", s.removeFactor)
		s.mux.HandleFunc("POST /account/recovery", s.newRecoveryCodes)
		s.mux.HandleFunc("GET /account/recover", s.recover)
	}
	static, err := fs.Sub(assets, "static")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	s.mux.Handle("GET /static/", http.StripPrefix("/static/", noListing(http.FileServerFS(static))))
}

// Handler returns the handler of every hosted page and asset, each
// answered with the security headers.
func (s *Server) Handler() http.Handler {
	return SecurityHeaders(s.withDevice(s.mux))
}

// noListing answers 404 for directories, which http.FileServer would list.
func noListing(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "" || strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// view is what a page template shows. Every page has a Title; forms carry
// Flow and CSRF in hidden fields.
type view struct {
	Title string
	Flow  string
	CSRF  string
	// Error is a message about the whole form; the Field ones sit
	// next to their input.
	Error         string
	Username      string
	UsernameError string
	PasswordError string
	ConfirmError  string
	Level         string
	// Link, on the error page, offers a way on.
	Link, LinkText string
	// The challenge page of a tracked action: the action it confirms, and
	// the link's token, which Continue posts.
	Action         string
	ChallengeToken string

	// The step-up page: the method asked for (Offer), the others the
	// user may switch to, or the factors they may set up instead.
	Reason  string // why the relying party asks, in its words
	Offer   *offer
	Others  []offer
	Enrolls []offer
	// Enrollment: the challenge to answer, and for an authenticator app
	// its QR code and otpauth URI.
	Method    acr.Method
	Challenge string
	// SentTo is where a code went, masked; Destination what the user
	// typed to set up an address or a number.
	SentTo      string
	Destination string
	// DeviceName and DevicePlatform name the device that enrolled for
	// push, for the user to confirm.
	DeviceName, DevicePlatform string
	// Vouched: the code sent goes where a tracked action's application
	// vouches the user reads messages (web.vouchedOffers).
	Vouched bool
	// Elsewhere: the magic link sent was opened in another browser, and
	// the page waits for the code typed, not for the link.
	Elsewhere bool
	QRCode    template.URL
	URI       template.URL // an otpauth: link, which html/template would refuse as a string
	Secret    string
	// Codes are new recovery codes, shown once; Next is where the
	// codes page goes on to.
	Codes []string
	Next  string
	// The account page.
	Authenticators []authenticatorView
	Notice         string
	Passkeys, TOTP bool    // the factors that may be added (on the sign-in page: used)
	Adds           []offer // the code factors that may be added
	NoPassword     bool    // the sign-in page takes no password
	Upstreams      []upstreamButton
	Recovery       bool
	Recover        bool // recovery codes are left: a lost factor can be replaced
}

// render writes a hosted page, typed by view.
func (s *Server) render(w http.ResponseWriter, status int, page string, v view) {
	s.pages.Render(w, status, page, v)
}

func (s *Server) errorPage(w http.ResponseWriter, status int, title, message string) {
	s.render(w, status, "error", view{Title: title, Error: message})
}

// fail answers a fault of ours: the cause goes to the log, the user sees
// a fixed message.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	s.log.Error("web: request failed", "path", r.URL.Path, "err", err)
	s.errorPage(w, http.StatusInternalServerError, "Something went wrong",
		"Something went wrong on our side. Try again in a moment.")
}

// openFlow returns the flow named by the request's flow parameter, with
// its token and the browser binding, or answers 400 and returns false.
func (s *Server) openFlow(w http.ResponseWriter, r *http.Request) (flow stepup.Flow, token, binding string, ok bool) {
	token, binding = r.FormValue("flow"), FlowBinding(r, s.secure)
	flow, binding, ok = s.openFlowToken(w, r, token, binding)
	return flow, token, binding, ok
}

// openFlowToken is openFlow for a flow token from elsewhere than the
// request's flow parameter.
func (s *Server) openFlowToken(w http.ResponseWriter, r *http.Request, token, binding string) (stepup.Flow, string, bool) {
	flow, err := s.flows.Open(token, binding)
	pending := err == nil
	// A flow of the pages' own has no request to wait for it: it is
	// pending until it expires.
	if pending && s.pending != nil && flow.AuthRequestID != "" {
		if pending, err = s.pending(r.Context(), flow); err != nil {
			s.fail(w, r, err)
			return stepup.Flow{}, "", false
		}
	}
	if pending && flow.Held && !strings.HasPrefix(r.URL.Path, "/review") {
		pending = false
	}
	if !pending {
		s.errorPage(w, http.StatusBadRequest, "This link has expired",
			"This sign-in link has expired, was used already, or was opened in another browser. "+
				"Go back to the application and start again.")
		return stepup.Flow{}, "", false
	}
	if flow.ActionID != "" && s.actions != nil {
		// A challenge that is over has nowhere to send a code; the
		// page that acts on it says why.
		flow.Vouched, _ = s.actions.Vouched(r.Context(), flow)
	}
	// The page's forms may end at the relying party: a sign-in that
	// completes the flow is answered with a redirect there.
	w.Header().Set("Content-Security-Policy", ContentSecurityPolicy(flow.ReturnTo))
	return flow, binding, true
}

// openPost reads a posted form and checks, in order, that it came from
// this site, that its flow opens in this browser, and that it carries
// this browser's CSRF token. It answers 400 or 403 itself when not.
func (s *Server) openPost(w http.ResponseWriter, r *http.Request) (flow stepup.Flow, binding string, ok bool) {
	if !s.readPost(w, r) {
		return stepup.Flow{}, "", false
	}
	flow, _, binding, ok = s.openFlow(w, r)
	if !ok {
		return stepup.Flow{}, "", false
	}
	if !s.validCSRF(r.PostFormValue("csrf"), binding) {
		s.forbidden(w)
		return stepup.Flow{}, "", false
	}
	return flow, binding, true
}

// readPost reads a posted form, of at most maxFormBytes, and checks that
// it came from this site. It answers 400 or 403 itself when not.
func (s *Server) readPost(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, http.StatusBadRequest, "This form could not be read",
			"This form could not be read. Go back to the application and start again.")
		return false
	}
	if err := s.origins.Check(r); err != nil {
		s.forbidden(w)
		return false
	}
	return true
}

func (s *Server) forbidden(w http.ResponseWriter) {
	s.errorPage(w, http.StatusForbidden, "This form was refused",
		"This form has expired or did not come from this site. Go back to the application and start again.")
}

// clientIP is the address of the client behind r: the connection's, or
// the one a trusted proxy reports in X-Forwarded-For (clientAddr). Behind
// a proxy, the connection's address is the proxy's for every client, and
// one client's failed sign-ins would throttle them all.
func (s *Server) clientIP(r *http.Request) string {
	return clientAddr(r.RemoteAddr, r.Header.Values("X-Forwarded-For"), s.proxies)
}

// pageURL is a hosted page's address carrying the flow token.
func pageURL(path, flowToken string) string {
	return path + "?flow=" + url.QueryEscape(flowToken)
}
