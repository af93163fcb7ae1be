package demo

import (
	"context"
	"embed"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup/store"
	"github.com/stepup-auth/stepup/web"
)

//go:embed templates/*.html
var templates embed.FS

// PaymentRules are the example rules of the demo's payments (the action
// "payment"): the server publishes them when the demo is on and the
// action has no rules yet.
//
//go:embed rules/payment.yaml
var PaymentRules []byte

// maxFormBytes bounds the logout form, which holds one token.
const maxFormBytes = 4 << 10

// Options are what the demo works with. Issuer, Scheme and CookieKey are
// required.
type Options struct {
	// Issuer is the OP's issuer, the server's public URL without a
	// trailing slash. The demo lives at Issuer+"/demo/", and its cookies
	// are Secure when Issuer is https.
	Issuer string
	// Scheme maps the acr claim to a level.
	Scheme *acr.Scheme
	// CookieKey signs the demo's cookies and CSRF tokens; at least 32
	// bytes.
	CookieKey []byte
	// HTTPClient makes the demo's calls to the OP: discovery, JWKS, token
	// and userinfo. The default gives up after ten seconds.
	HTTPClient *http.Client
	// TrackKey is a server API key for stepup's track API, which the
	// demo's payments ask; empty: no payments.
	TrackKey string
	Now      func() time.Time // default time.Now
	Log      *slog.Logger     // default slog.Default()
}

// Server is the demo relying party.
type Server struct {
	issuer  string
	scheme  *acr.Scheme
	cookies cookieSigner
	secure  bool
	client  *http.Client
	now     func() time.Time
	log     *slog.Logger
	origins *http.CrossOriginProtection
	pages   *web.Pages
	handler http.Handler
	// verifier checks the access tokens the demo's API receives.
	verifier *lazyVerifier
	trackKey string

	mu       sync.Mutex
	provider *gooidc.Provider // discovered at first use
}

// New returns the demo relying party.
func New(o Options) (*Server, error) {
	switch {
	case o.Issuer == "", strings.HasSuffix(o.Issuer, "/"):
		return nil, errors.New("demo: Options.Issuer must be the issuer URL, without a trailing slash")
	case o.Scheme == nil:
		return nil, errors.New("demo: Options.Scheme is required")
	case len(o.CookieKey) < 32:
		return nil, errors.New("demo: Options.CookieKey needs at least 32 bytes")
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	s := &Server{
		issuer:   o.Issuer,
		scheme:   o.Scheme,
		cookies:  cookieSigner{key: o.CookieKey, now: o.Now},
		secure:   strings.HasPrefix(o.Issuer, "https://"),
		client:   o.HTTPClient,
		now:      o.Now,
		log:      o.Log,
		origins:  http.NewCrossOriginProtection(),
		pages:    web.NewPages(templates, o.Log, []string{"templates/claims.html"}, "home", "result", "error"),
		trackKey: o.TrackKey,
	}
	s.verifier = &lazyVerifier{s: s}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /demo/{$}", s.home)
	mux.HandleFunc("POST /demo/login", s.start)
	mux.HandleFunc("GET /demo/callback", s.signedIn)
	mux.HandleFunc("POST /demo/logout", s.logout)
	mux.HandleFunc("POST "+payPath, s.pay)
	mux.HandleFunc("GET "+paidPath, s.paid)
	s.mountAPI(mux)
	// The hosted pages' headers; here Referrer-Policy also keeps the
	// callback's code and state from leaking.
	s.handler = web.SecurityHeaders(mux)
	return s, nil
}

// Setup registers the demo client in clients and returns the demo, to
// mount at /demo/. When enabled is false it removes the client instead and
// returns a nil handler: a disabled demo leaves nothing behind.
func Setup(ctx context.Context, clients store.Clients, enabled bool, o Options) (http.Handler, error) {
	if !enabled {
		return nil, removeClient(ctx, clients)
	}
	s, err := New(o)
	if err != nil {
		return nil, err
	}
	if err := registerClient(ctx, clients, o.Issuer, s.now()); err != nil {
		return nil, err
	}
	return s, nil
}

// ServeHTTP serves the demo's pages.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

var _ http.Handler = (*Server)(nil)

// discover returns the OP's metadata, fetched at first use and kept. A
// failure is not kept: the next request tries again.
func (s *Server) discover(ctx context.Context) (*gooidc.Provider, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.provider == nil {
		p, err := gooidc.NewProvider(gooidc.ClientContext(ctx, s.client), s.issuer)
		if err != nil {
			return nil, err
		}
		s.provider = p
	}
	return s.provider, nil
}

// oauth returns the demo's OAuth 2.0 client configuration.
func (s *Server) oauth(p *gooidc.Provider) *oauth2.Config {
	return &oauth2.Config{
		ClientID:    ClientID,
		Endpoint:    p.Endpoint(),
		RedirectURL: s.issuer + callbackPath,
		Scopes:      []string{gooidc.ScopeOpenID, "profile"},
	}
}

// view is what a page shows.
type view struct {
	Title string
	// Session is the signed-in user, or nil.
	Session *session
	Claims  []field
	// Result is the outcome of an action; Refused marks one not done.
	Result  string
	Refused bool
	// Calls are the requests to the API behind Result.
	Calls []call
	// Error explains a failed sign-in; Code is the OP's error code.
	Error string
	Code  string
	CSRF  string
}

// field is one line of the claims' definition list.
type field struct{ Name, Value string }

// render writes a demo page, typed by view.
func (s *Server) render(w http.ResponseWriter, status int, page string, v view) {
	s.pages.Render(w, status, page, v)
}

func (s *Server) errorPage(w http.ResponseWriter, status int, title, message, code string) {
	s.render(w, status, "error", view{Title: title, Error: message, Code: code})
}

// fail answers a failure the user cannot fix: the cause goes to the log.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, message string, err error) {
	s.log.Error("demo: request failed", "path", r.URL.Path, "err", err)
	s.errorPage(w, http.StatusBadGateway, "Something went wrong", message, "")
}

// home shows who is signed in to the demo, and the actions.
func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	v := view{Title: "stepup demo"}
	if sess, raw, ok := s.session(r); ok {
		v.Session, v.Claims, v.CSRF = sess, sess.fields(s.now()), s.csrfToken(raw)
	}
	s.render(w, http.StatusOK, "home", v)
}
