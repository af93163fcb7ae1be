package admin

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/stepup-auth/stepup/stepup"
	"github.com/stepup-auth/stepup/stepup/api"
	"github.com/stepup-auth/stepup/stepup/api/apikey"
	"github.com/stepup-auth/stepup/stepup/signals"
	"github.com/stepup-auth/stepup/stepup/store"
)

// Prefix is the path the API is served under.
const Prefix = "/admin/v1/"

// Options configure the API. Keys, Rules, RuleSets and Audit are required.
type Options struct {
	// Keys checks the admin keys: every route needs one.
	Keys *apikey.Authenticator
	// Rules is the RuleBook the engine decides with, so that a version
	// published here applies to the next decision.
	Rules    *stepup.RuleBook
	RuleSets store.RuleSets
	Audit    store.Audit
	// Actions are the action records a simulation may replay ("recent"),
	// and Tracker decides the ones held for review; nil: neither.
	Actions store.Actions
	Tracker *stepup.Tracker
	// Lists are the configured value lists, which a simulated input that
	// names none gets, as the engine's inputs do; nil: none.
	Lists *signals.Lists
	Log   *slog.Logger     // nil: nothing is logged
	Now   func() time.Time // nil: time.Now
}

// API is the admin API.
type API struct {
	keys     *apikey.Authenticator
	book     *stepup.RuleBook
	ruleSets store.RuleSets
	audit    store.Audit
	actions  store.Actions
	tracker  *stepup.Tracker
	lists    map[string][]string
	log      *slog.Logger
	now      func() time.Time
}

// New returns the admin API.
func New(o Options) (*API, error) {
	if o.Keys == nil || o.Rules == nil || o.RuleSets == nil || o.Audit == nil {
		return nil, errors.New("admin: Keys, Rules, RuleSets and Audit are required")
	}
	a := &API{keys: o.Keys, book: o.Rules, ruleSets: o.RuleSets, audit: o.Audit, actions: o.Actions, tracker: o.Tracker,
		log: o.Log, now: o.Now}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if a.now == nil {
		a.now = time.Now
	}
	if o.Lists != nil {
		a.lists = o.Lists.Values()
	}
	return a, nil
}

// route is one path of the API and its handler per method.
type route struct {
	path    string
	methods map[string]http.HandlerFunc
}

// Handler serves the API under Prefix, every route behind an admin key.
func (a *API) Handler() http.Handler {
	routes := []route{
		{"actions", map[string]http.HandlerFunc{http.MethodGet: a.listActions}},
		{"actions/{action}/rules", map[string]http.HandlerFunc{http.MethodGet: a.latestRules, http.MethodPut: a.publish}},
		{"actions/{action}/rules/versions", map[string]http.HandlerFunc{http.MethodGet: a.listVersions}},
		{"actions/{action}/rules/versions/{version}", map[string]http.HandlerFunc{http.MethodGet: a.getVersion}},
		{"actions/{action}/reviews", map[string]http.HandlerFunc{http.MethodGet: a.listReviews}},
		{"actions/{action}/reviews/{user}/{key}", map[string]http.HandlerFunc{http.MethodPost: a.decideReview}},
		{"simulate", map[string]http.HandlerFunc{http.MethodPost: a.simulate}},
		{"audit", map[string]http.HandlerFunc{http.MethodGet: a.listAudit}},
	}
	mux := http.NewServeMux()
	for _, rt := range routes {
		var allowed []string
		for method, h := range rt.methods {
			mux.HandleFunc(method+" "+Prefix+rt.path, h)
			allowed = append(allowed, method)
			if method == http.MethodGet {
				allowed = append(allowed, http.MethodHead)
			}
		}
		// The same path without a method answers the other methods, in
		// JSON rather than the mux's plain-text 405.
		allow := strings.Join(allowed, ", ")
		mux.HandleFunc(Prefix+rt.path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", allow)
			api.WriteError(w, http.StatusMethodNotAllowed, api.CodeMethodNotAllowed, fmt.Sprintf("%s takes %s", r.URL.Path, allow))
		})
	}
	mux.HandleFunc(Prefix, func(w http.ResponseWriter, r *http.Request) {
		api.WriteError(w, http.StatusNotFound, api.CodeNotFound, "there is no such admin API route")
	})
	return a.keys.Middleware(apikey.Admin)(mux)
}

// internal answers a failure the client cannot act on, and logs its cause.
func (a *API) internal(w http.ResponseWriter, r *http.Request, msg string, err error) {
	a.log.Error(msg, "method", r.Method, "path", r.URL.Path, "err", err)
	api.WriteError(w, http.StatusInternalServerError, api.CodeInternal, "the server failed; the cause is in its log")
}

// author names the admin key of the request, for the rule sets it
// publishes and the audit trail; Handler puts every request behind the
// middleware, so there is one.
func author(r *http.Request) string { return apikey.Author(r.Context()) }
