package main

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"
)

// upstreamOP is a second, independent OpenID Provider on loopback, with its
// own keys, users and storage (zitadel/oidc's example storage), for stepup
// to federate to. Its login page signs in as whoever the test says, with
// the acr and amr the test says, and it records the acr_values of each
// authorization request it receives.
type upstreamOP struct {
	issuer string

	mu       sync.Mutex
	signInAs string   // the username the login page signs in
	acr      string   // the ID tokens' acr
	amr      []string // the ID tokens' amr
	nonce    string   // non-empty: the ID tokens carry this nonce instead of the request's
	authTime time.Time
	// noAuthTime: the ID tokens carry no auth_time, as some providers
	// send them when they ignore max_age.
	noAuthTime bool
	acrValues  [][]string
	requests   []*oidc.AuthRequest // every authorization request, as received
}

const (
	stepupCallbackGlob = "http://localhost:*/upstream/up/callback"
	upstreamClientID   = "stepup"
	upstreamSecret     = "upstream-secret-of-stepup-at-the-upstream"
)

// upstreamUsers are the upstream's accounts: one whose email the upstream
// verified, and one whose email it did not.
var upstreamUsers = map[string]*storage.User{
	"up-alice": {ID: "up-alice", Username: "alice", Password: "pw", FirstName: "Alice", LastName: "Up",
		Email: "alice@example.com", EmailVerified: true, PreferredLanguage: language.English},
	"up-mallory": {ID: "up-mallory", Username: "mallory", Password: "pw", FirstName: "Mallory", LastName: "Up",
		Email: "victim@example.com", EmailVerified: false, PreferredLanguage: language.English},
}

type upstreamUserStore struct{}

func (upstreamUserStore) GetUserByID(id string) *storage.User { return upstreamUsers[id] }
func (upstreamUserStore) GetUserByUsername(name string) *storage.User {
	for _, u := range upstreamUsers {
		if u.Username == name {
			return u
		}
	}
	return nil
}
func (upstreamUserStore) ExampleClientID() string { return upstreamClientID }

// startUpstreamOP runs the upstream on 127.0.0.1 (not localhost, so that
// the browser's cookies of stepup, on localhost, never reach it).
func startUpstreamOP(t *testing.T) *upstreamOP {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := &upstreamOP{issuer: "http://" + l.Addr().String(), signInAs: "alice", acr: "1", amr: []string{"pwd"}}
	// stepup's port is chosen later: the client's redirect URI is a glob.
	client := storage.WebClient(upstreamClientID, upstreamSecret, stepupCallbackGlob)
	st := &recordingStorage{Storage: storage.NewStorageWithClients(upstreamUserStore{}, map[string]*storage.Client{upstreamClientID: client}), op: u}
	provider, err := op.NewProvider(&op.Config{CryptoKey: sha256.Sum256([]byte("upstream")), CodeMethodS256: true, AuthMethodPost: true},
		st, op.StaticIssuer(u.issuer), op.WithAllowInsecure())
	if err != nil {
		t.Fatal(err)
	}
	callback := op.AuthCallbackURL(provider)
	mux := http.NewServeMux()
	mux.Handle("/login/username", op.NewIssuerInterceptor(provider.IssuerFromRequest).HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.URL.Query().Get("authRequestID")
		u.mu.Lock()
		name := u.signInAs
		u.mu.Unlock()
		if name == "" {
			// The user declined: the upstream answers stepup with an error.
			req, err := st.AuthRequestByID(r.Context(), id)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			http.Redirect(w, r, req.GetRedirectURI()+"?error=access_denied&state="+url.QueryEscape(req.GetState()), http.StatusFound)
			return
		}
		if err := st.CheckUsernamePassword(name, "pw", id); err != nil {
			http.Error(w, err.Error(), http.StatusForbidden)
			return
		}
		http.Redirect(w, r, callback(r.Context(), id), http.StatusFound)
	}))
	mux.Handle("/", provider)
	srv := &http.Server{Handler: mux}
	go srv.Serve(l) //nolint:errcheck // ends with Close
	t.Cleanup(func() { srv.Close() })
	return u
}

func (u *upstreamOP) set(f func(u *upstreamOP)) {
	u.mu.Lock()
	defer u.mu.Unlock()
	f(u)
}

// lastRequest returns the latest authorization request.
func (u *upstreamOP) lastRequest(t *testing.T) *oidc.AuthRequest {
	t.Helper()
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.requests) == 0 {
		t.Fatal("the upstream received no authorization request")
	}
	return u.requests[len(u.requests)-1]
}

// received returns the acr_values of each authorization request so far.
func (u *upstreamOP) received() [][]string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return slices.Clone(u.acrValues)
}

// recordingStorage is the example storage with what the tests need: the
// acr_values each request brings, ID tokens with the test's acr, amr (and
// nonce, to play a token meant for another sign-in), and the user's
// email claims in the ID token, as Keycloak and Cognito put them.
type recordingStorage struct {
	*storage.Storage
	op *upstreamOP
}

func (s *recordingStorage) CreateAuthRequest(ctx context.Context, r *oidc.AuthRequest, userID string) (op.AuthRequest, error) {
	s.op.mu.Lock()
	s.op.acrValues = append(s.op.acrValues, slices.Clone(r.ACRValues))
	c := *r
	s.op.requests = append(s.op.requests, &c)
	s.op.mu.Unlock()
	return s.Storage.CreateAuthRequest(ctx, r, userID)
}

func (s *recordingStorage) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	r, err := s.Storage.AuthRequestByCode(ctx, code)
	if err != nil {
		return nil, err
	}
	s.op.mu.Lock()
	defer s.op.mu.Unlock()
	return &upstreamAuthRequest{AuthRequest: r, acr: s.op.acr, amr: slices.Clone(s.op.amr), nonce: s.op.nonce, authTime: s.op.authTime, noAuthTime: s.op.noAuthTime}, nil
}

func (s *recordingStorage) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	c, err := s.Storage.GetClientByClientID(ctx, id)
	if err != nil {
		return nil, err
	}
	return userinfoInIDToken{c}, nil
}

type userinfoInIDToken struct{ op.Client }

func (userinfoInIDToken) IDTokenUserinfoClaimsAssertion() bool { return true }

// RedirectURIGlobs lets stepup's callback be on any port: stepup's is
// chosen after the upstream starts.
func (userinfoInIDToken) RedirectURIGlobs() []string             { return []string{stepupCallbackGlob} }
func (c userinfoInIDToken) PostLogoutRedirectURIGlobs() []string { return nil }

type upstreamAuthRequest struct {
	op.AuthRequest
	acr        string
	amr        []string
	nonce      string
	authTime   time.Time
	noAuthTime bool
}

func (r *upstreamAuthRequest) GetAuthTime() time.Time {
	if r.noAuthTime {
		return time.Time{} // zitadel's op leaves a zero auth_time out
	}
	if !r.authTime.IsZero() {
		return r.authTime
	}
	return r.AuthRequest.GetAuthTime()
}

func (r *upstreamAuthRequest) GetACR() string   { return r.acr }
func (r *upstreamAuthRequest) GetAMR() []string { return r.amr }
func (r *upstreamAuthRequest) GetNonce() string {
	if r.nonce != "" {
		return r.nonce
	}
	return r.AuthRequest.GetNonce()
}

// upstreamYAML is the upstreams section for u, with more keys of the entry
// as YAML lines indented by four spaces.
func upstreamYAML(u *upstreamOP, more string) string {
	return fmt.Sprintf(`upstreams:
  - id: up
    name: Upstream IdP
    issuer: %s
    client_id: %s
    client_secret: %s
%s`, u.issuer, upstreamClientID, upstreamSecret, more)
}
