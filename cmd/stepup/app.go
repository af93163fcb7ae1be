package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/config"
	"github.com/stepup-auth/stepup/oidc"
	"github.com/stepup-auth/stepup/stepup"
	"github.com/stepup-auth/stepup/stepup/api/admin"
	"github.com/stepup-auth/stepup/stepup/api/apikey"
	"github.com/stepup-auth/stepup/stepup/api/track"
	"github.com/stepup-auth/stepup/stepup/keys"
	"github.com/stepup-auth/stepup/stepup/seal"
	"github.com/stepup-auth/stepup/stepup/signals"
	"github.com/stepup-auth/stepup/stepup/store"
	"github.com/stepup-auth/stepup/web"
	"github.com/stepup-auth/stepup/web/demo"
)

// newApp assembles the OpenID Provider, the hosted pages and the admin
// API from the configuration, over an open store.
func newApp(ctx context.Context, cfg *config.Config, st store.Store, log *slog.Logger, now func() time.Time) (http.Handler, error) {
	if now == nil {
		now = time.Now
	}
	master, err := masterKey(cfg, log)
	if err != nil {
		return nil, err
	}
	derive := master.derive
	o := cfg.OIDC
	ring, _, err := signingRing(cfg, st, master, now)
	if err != nil {
		return nil, err
	}
	if err := ring.Ensure(ctx); err != nil {
		return nil, err
	}
	scheme, err := acr.NewScheme(cfg.ACR.Aliases)
	if err != nil {
		return nil, err
	}
	policies, err := syncClients(ctx, st.Clients(), cfg.OIDC.Clients)
	if err != nil {
		return nil, err
	}
	demoKey, err := demoTrackKey(ctx, st.APIKeys(), cfg.Demo.Enabled, now())
	if err != nil {
		return nil, err
	}
	// The demo's client has its own source, which syncClients leaves alone.
	demoApp, err := demo.Setup(ctx, st.Clients(), cfg.Demo.Enabled, demo.Options{
		Issuer: strings.TrimSuffix(cfg.Server.PublicURL.String(), "/"), Scheme: scheme, CookieKey: derive("demo"), Log: log,
		Now: now, TrackKey: demoKey,
	})
	if err != nil {
		return nil, err
	}
	flows, err := stepup.NewFlows(derive("flow"), now)
	if err != nil {
		return nil, err
	}
	sessions := stepup.NewSessions(st.Sessions(), stepup.SessionPolicy{Idle: cfg.Sessions.Idle, Absolute: cfg.Sessions.Absolute}, now, nil)
	accounts := stepup.NewAccounts(st.Users(), stepup.AccountPolicy{
		Password: cfg.Passwords.Params(), MinPasswordLength: cfg.Passwords.MinLength,
	}, stepup.NewThrottle(stepup.DefaultThrottlePolicy(), now), now, nil)
	var builtIn [][]byte
	if cfg.Demo.Enabled {
		builtIn = append(builtIn, demo.PaymentRules)
	}
	ruleBook, err := newRules(ctx, cfg.Rules, builtIn, st, log, now)
	if err != nil {
		return nil, err
	}
	risk, err := newSignals(cfg.Signals, st)
	if err != nil {
		return nil, err
	}
	secure := cfg.Server.PublicURL.Scheme == "https"
	engine := stepup.NewEngine(stepup.EngineOptions{Clients: policies, Rules: ruleBook, Signals: risk, Now: now})
	tracker, err := stepup.NewTracker(stepup.TrackerOptions{
		Engine: engine, Actions: st.Actions(), Users: st.Users(), Key: derive("actions"), Now: now,
	})
	if err != nil {
		return nil, err
	}
	devices, err := signals.NewDeviceCookie(derive("device"))
	if err != nil {
		return nil, err
	}
	var pages *web.Server // built after the provider, whose Continue it takes
	provider, err := oidc.New(oidc.Options{
		Issuer:   strings.TrimSuffix(cfg.Server.PublicURL.String(), "/"),
		Store:    st,
		Keys:     ring,
		Scheme:   scheme,
		Engine:   engine,
		Sessions: sessions,
		Flows:    flows,
		Lifetimes: oidc.Lifetimes{
			AccessToken: o.AccessTokenLifetime, IDToken: o.IDTokenLifetime, RefreshToken: o.RefreshTokenLifetime,
			Code: o.CodeLifetime, AuthRequest: o.AuthRequestLifetime,
		},
		CryptoKey: [32]byte(derive("codes")),
		Session: func(r *http.Request) (*store.Session, error) {
			s, _, err := web.SessionFromRequest(r, sessions, secure)
			return s, err
		},
		FlowBinding:    func(r *http.Request) string { return web.FlowBinding(r, secure) },
		SetFlowBinding: func(w http.ResponseWriter, v string) { web.SetFlowCookie(w, v, secure) },
		Origin:         func(r *http.Request) stepup.Origin { return pages.Origin(r) },
		SignInPath:     "/signin",
		StepUpPath:     "/stepup",
		ReviewPath:     "/review",
		Reviews:        reviewsOf(cfg.Rules, tracker),
		Decisions:      tracker,
		Log:            log,
		Now:            now,
	})
	if err != nil {
		return nil, err
	}
	factors, err := newFactors(cfg, st, master, log, now)
	if err != nil {
		return nil, err
	}
	pushes, deviceAPI, err := newPush(cfg, st, log, now)
	if err != nil {
		return nil, err
	}
	if pushes != nil { // a nil *push.Factor in the interface would not be nil
		factors.Push = pushes
	}
	upstreams, err := newUpstreams(cfg, now)
	if err != nil {
		return nil, err
	}
	var federation *stepup.Federation
	if len(upstreams) > 0 {
		federation = stepup.NewFederation(st.Users(), st.UpstreamLinks(), now, nil)
	}
	pages = web.New(web.Options{
		Flows: flows, Sessions: sessions, Accounts: accounts, HandBack: provider.Continue, Pending: provider.Pending,
		Factors: factors, Users: st.Users(),
		CSRFKey: derive("csrf"), SecureCookies: secure, Log: log, Now: now,
		TrustedProxies: config.Prefixes(cfg.Server.TrustedProxies), Devices: devices, Actions: tracker, Risk: engine, Decide: engine.Decide,
		Upstreams: upstreams, Federation: federation,
	})
	mux := http.NewServeMux()
	hosted := pages.Handler()
	for _, path := range []string{"/signin", "/signin/", "/register", "/stepup", "/stepup/", "/enroll", "/enroll/",
		"/webauthn/", "/account", "/account/", "/challenge", "/magic", "/review", "/review/", "/static/", "/upstream/"} {
		mux.Handle(path, hosted)
	}
	if demoApp != nil {
		mux.Handle("/demo/", demoApp)
	}
	// One key check for both APIs, each behind its own kind of key. The
	// admin API publishes to the RuleBook the engine decides with, so a
	// new version applies to the next decision.
	keyCheck := apikey.New(st.APIKeys(), now)
	keyCheck.Log = log
	adminAPI, err := admin.New(admin.Options{
		Keys: keyCheck, Rules: ruleBook, RuleSets: st.RuleSets(), Audit: st.Audit(), Actions: st.Actions(), Tracker: tracker, Lists: risk.Lists,
		Log: log, Now: now,
	})
	if err != nil {
		return nil, err
	}
	mux.Handle(admin.Prefix, adminAPI.Handler())
	trackAPI, err := track.New(track.Options{
		Tracker: tracker, Users: st.Users(), Authenticators: st.Authenticators(), Audit: st.Audit(),
		Issuer: strings.TrimSuffix(cfg.Server.PublicURL.String(), "/"), Log: log, Now: now,
		Caller: func(ctx context.Context) string {
			if k, ok := apikey.FromContext(ctx); ok {
				return k.Name
			}
			return ""
		},
	})
	if err != nil {
		return nil, err
	}
	mux.Handle("/v1/", keyCheck.Middleware(apikey.Server)(trackAPI))
	if deviceAPI != nil {
		// Devices sign each request with their own key: no API key.
		mux.Handle("/v1/device/", deviceAPI)
	}
	mux.Handle("/", provider.Handler())
	return mux, nil
}

// signingAlgorithms are the algorithms stepup keeps keys for, the default
// first.
var signingAlgorithms = []string{string(config.ES256), string(config.RS256), string(config.EdDSA)}

// signingRing builds over st the ring that signs tokens, for serve and for
// the keys commands alike, and returns how long it keeps retired keys
// published: the longest lifetime of a token it signs.
func signingRing(cfg *config.Config, st store.Store, m master, now func() time.Time) (*keys.Ring, time.Duration, error) {
	sealKey := seal.Key{Secret: [32]byte(m.derive("seal"))}
	sealKey.ID = seal.DeriveKeyID(sealKey.Secret)
	sealer, err := seal.New(sealKey)
	if err != nil {
		return nil, 0, err
	}
	retireAfter := max(cfg.OIDC.AccessTokenLifetime, cfg.OIDC.IDTokenLifetime)
	ring, err := keys.New(st.SigningKeys(), sealer, keys.Options{Algorithms: signingAlgorithms, RetireAfter: retireAfter, Now: now})
	if err != nil {
		return nil, 0, err
	}
	return ring, retireAfter, nil
}

// syncClients makes the stored clients managed by the configuration match
// it, and returns each client's policy for the engine.
func syncClients(ctx context.Context, st store.Clients, clients []config.Client) (map[string]stepup.ClientPolicy, error) {
	policies := map[string]stepup.ClientPolicy{}
	now := time.Now()
	for _, c := range clients {
		rec := &store.Client{
			ID: c.ID, Name: c.Name, RedirectURIs: urls(c.RedirectURIs), PostLogoutRedirectURIs: urls(c.PostLogoutRedirectURIs),
			GrantTypes: []string{"authorization_code", "refresh_token"}, ResponseTypes: []string{"code"},
			MinimumACR: c.MinimumACR.String(), Methods: c.Methods, AccessTokenFormat: string(c.AccessTokenFormat),
			SigningAlgorithm: string(c.SigningAlg), ShowsReasons: c.StepUpReasons, PKCEOptional: c.PKCEOptional, Source: "config", CreatedAt: now, UpdatedAt: now,
		}
		if c.Secret != "" {
			rec.SecretHash = oidc.HashClientSecret(c.Secret)
		}
		old, err := st.Get(ctx, c.ID)
		switch {
		case errors.Is(err, store.ErrNotFound):
			err = st.Create(ctx, rec)
		case err == nil:
			rec.CreatedAt, rec.Version = old.CreatedAt, old.Version
			err = st.Update(ctx, rec)
		}
		if err != nil {
			return nil, fmt.Errorf("client %s: %w", c.ID, err)
		}
		policies[c.ID] = stepup.ClientPolicy{MinimumLevel: c.MinimumACR, Methods: c.Methods, Action: c.Action}
	}
	// Clients the configuration no longer names are removed.
	for p := (store.Page{}); ; {
		page, err := st.List(ctx, p)
		if err != nil {
			return nil, err
		}
		for _, c := range page {
			if _, ok := policies[c.ID]; !ok && c.Source == "config" {
				if err := st.Delete(ctx, c.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
					return nil, err
				}
			}
		}
		if len(page) < p.PageLimit() {
			break
		}
		p.After = page[len(page)-1].ID
	}
	return policies, nil
}

func urls(us []config.URL) []string {
	out := make([]string, len(us))
	for i, u := range us {
		out[i] = u.String()
	}
	return slices.Clip(out)
}

// reviewsOf is what holds sign-ins for review: the tracker, when
// rules.review is wait; nothing (a review refuses) otherwise.
func reviewsOf(cfg config.Rules, t *stepup.Tracker) oidc.Reviews {
	if cfg.Review != "wait" {
		return nil
	}
	return t
}
