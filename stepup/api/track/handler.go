package track

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup"
	"github.com/stepup-auth/stepup/stepup/api"
	"github.com/stepup-auth/stepup/stepup/api/apikey"
	"github.com/stepup-auth/stepup/stepup/store"
)

// Options are what the API works with. Tracker, Users, Authenticators,
// Audit and Issuer are required.
type Options struct {
	Tracker        *stepup.Tracker
	Users          store.Users
	Authenticators store.Authenticators
	// Audit is the audit trail, the admin API's: a review decided here
	// is an event of it, as one decided there is.
	Audit store.Audit
	// Issuer is the server's public URL, without a trailing slash: the
	// hosted challenge page is Issuer+"/challenge".
	Issuer string
	// Caller names the API key a request was authenticated with, for the
	// rules' request.client; nil: none.
	Caller func(context.Context) string
	Log    *slog.Logger
	Now    func() time.Time // nil: time.Now
}

// Handler serves the track API.
type Handler struct {
	o   Options
	mux *http.ServeMux
}

// New returns the track API's handler, to mount behind the server API
// keys' middleware.
func New(o Options) (*Handler, error) {
	if o.Tracker == nil || o.Users == nil || o.Authenticators == nil || o.Audit == nil || o.Issuer == "" {
		return nil, errors.New("track: Options.Tracker, Users, Authenticators, Audit and Issuer are required")
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Caller == nil {
		o.Caller = func(context.Context) string { return "" }
	}
	h := &Handler{o: o, mux: http.NewServeMux()}
	h.mux.HandleFunc("POST /v1/users/{userId}/actions/{action}", h.track)
	h.mux.HandleFunc("GET /v1/users/{userId}/actions/{action}/{key}", h.get)
	h.mux.HandleFunc("PATCH /v1/users/{userId}/actions/{action}/{key}", h.review)
	h.mux.HandleFunc("POST /v1/validate", h.validate)
	h.mux.HandleFunc("GET /v1/users/{userId}", h.user)
	h.mux.HandleFunc("GET /v1/users/{userId}/authenticators", h.authenticators)
	h.mux.HandleFunc("/v1/", func(w http.ResponseWriter, r *http.Request) {
		api.WriteError(w, http.StatusNotFound, api.CodeNotFound, "no such endpoint: see the stepup track API reference")
	})
	return h, nil
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// A body is JSON, as the APIs' conventions say.
	api.JSONBodies(h.mux).ServeHTTP(w, r)
}

// trackResponse is the answer to a track call.
type trackResponse struct {
	State          string   `json:"state"`
	IdempotencyKey string   `json:"idempotencyKey"`
	ActionID       string   `json:"actionId"`
	URL            string   `json:"url,omitempty"`
	Token          string   `json:"token,omitempty"`
	RequiredLevel  string   `json:"requiredLevel,omitempty"`
	AllowedMethods []string `json:"allowedMethods,omitempty"`
	RuleIDs        []string `json:"ruleIds"`
}

func (h *Handler) track(w http.ResponseWriter, r *http.Request) {
	userID, action, ok := pathIDs(w, r)
	if !ok {
		return
	}
	body, err := parseTrack(http.MaxBytesReader(w, r.Body, maxBody+1))
	if err != nil {
		h.refuse(w, err)
		return
	}
	if body.key == "" {
		body.key = newKey()
	}
	out, err := h.o.Tracker.Track(r.Context(), stepup.Track{
		UserID: userID, Action: action, IdempotencyKey: body.key, ClientID: h.o.Caller(r.Context()),
		Origin:      stepup.Origin{IP: body.ip, UserAgent: body.userAgent, DeviceID: body.deviceID},
		RedirectURL: body.redirectURL, Custom: body.custom, Vouched: body.vouched,
	})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	resp := trackResponse{State: out.State, IdempotencyKey: out.IdempotencyKey, ActionID: out.ID, RuleIDs: ruleIDs(out)}
	if c := out.Challenge; c != nil {
		resp.RequiredLevel = c.Level.String()
		resp.AllowedMethods = methodNames(c.Methods)
		if out.Token != "" {
			resp.Token = out.Token
			resp.URL = h.o.Issuer + "/challenge?" + url.Values{"token": {out.Token}}.Encode()
		}
	}
	api.WriteJSON(w, http.StatusOK, resp)
}

// actionResponse is an action's record.
type actionResponse struct {
	ActionID       string         `json:"actionId"`
	UserID         string         `json:"userId"`
	Action         string         `json:"action"`
	IdempotencyKey string         `json:"idempotencyKey"`
	State          string         `json:"state"`
	CreatedAt      time.Time      `json:"createdAt"`
	UpdatedAt      time.Time      `json:"updatedAt"`
	RequiredLevel  string         `json:"requiredLevel,omitempty"`
	RuleIDs        []string       `json:"ruleIds"`
	Rule           string         `json:"rule,omitempty"` // the winning rule
	Reasons        []string       `json:"reasons"`
	Values         map[string]any `json:"signals,omitempty"` // the values the matched rules read
	Verification   *verification  `json:"verification,omitempty"`
	Custom         map[string]any `json:"custom,omitempty"`
}

type verification struct {
	Method string    `json:"verificationMethod"`
	ACR    string    `json:"acr"`
	AMR    []string  `json:"amr"`
	At     time.Time `json:"verifiedAt"`
}

func record(t stepup.Tracked) actionResponse {
	out := actionResponse{
		ActionID: t.ID, UserID: t.UserID, Action: t.Action, IdempotencyKey: t.IdempotencyKey, State: t.State,
		CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt, RuleIDs: ruleIDs(t), Reasons: t.Decision.Reasons, Custom: t.Custom,
	}
	if t.Challenge != nil {
		out.RequiredLevel = t.Challenge.Level.String()
	}
	if ev := t.Decision.Rules; ev != nil {
		out.Rule, out.Values = ev.Result.Rule, ev.Values
	}
	if v := t.Verified; v != nil {
		out.Verification = &verification{Method: string(v.Method), ACR: v.Level.String(), AMR: v.AMR, At: v.At}
	}
	return out
}

func (h *Handler) get(w http.ResponseWriter, r *http.Request) {
	userID, action, ok := pathIDs(w, r)
	if !ok {
		return
	}
	out, err := h.o.Tracker.Get(r.Context(), userID, action, r.PathValue("key"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	api.WriteJSON(w, http.StatusOK, record(out))
}

func (h *Handler) review(w http.ResponseWriter, r *http.Request) {
	userID, action, ok := pathIDs(w, r)
	if !ok {
		return
	}
	var body struct {
		State string `json:"state"`
	}
	if err := decode(http.MaxBytesReader(w, r.Body, maxBody+1), &body); err != nil {
		h.refuse(w, err)
		return
	}
	if body.State != stepup.StateReviewSucceeded && body.State != stepup.StateReviewFailed {
		api.WriteError(w, http.StatusBadRequest, api.CodeInvalidRequest, "state must be REVIEW_SUCCEEDED or REVIEW_FAILED")
		return
	}
	key, who := r.PathValue("key"), apikey.Author(r.Context())
	out, err := h.o.Tracker.Review(r.Context(), userID, action, key, body.State == stepup.StateReviewSucceeded, who)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	// The event the admin API writes for its decisions, so the trail
	// holds every decision whichever API made it; via says which. It is
	// written after the decision, which is made once: an event written
	// first would record decisions refused as already made.
	data, _ := json.Marshal(map[string]any{"action": action, "key": key, "record": out.ID, "state": out.State,
		"comment": "", "via": "track API"}) // plain strings
	if err := h.o.Audit.Append(r.Context(), &store.AuditEvent{Time: h.o.Now(), Type: "review.decided", ActorID: who,
		SubjectID: userID, Data: data}); err != nil {
		// The decision stands; the trail lacks it, which the log says.
		h.o.Log.Error("track: the review's audit event was not written", "record", out.ID, "actor", who, "err", err)
	}
	api.WriteJSON(w, http.StatusOK, record(out))
}

// validateResponse says how a challenge ended.
type validateResponse struct {
	IsValid        bool     `json:"isValid"`
	State          string   `json:"state,omitempty"`
	ActionID       string   `json:"actionId,omitempty"`
	UserID         string   `json:"userId,omitempty"`
	Action         string   `json:"action,omitempty"`
	IdempotencyKey string   `json:"idempotencyKey,omitempty"`
	Method         string   `json:"verificationMethod,omitempty"`
	ACR            string   `json:"acr,omitempty"`
	AMR            []string `json:"amr,omitempty"`
}

func (h *Handler) validate(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Token string `json:"token"`
	}
	if err := decode(http.MaxBytesReader(w, r.Body, maxBody+1), &body); err != nil {
		h.refuse(w, err)
		return
	}
	out, err := h.o.Tracker.Validate(r.Context(), body.Token)
	switch {
	case errors.Is(err, stepup.ErrActionToken):
		// An invalid, expired or used token is an answer, not an error.
		api.WriteJSON(w, http.StatusOK, validateResponse{IsValid: false})
		return
	case err != nil:
		h.fail(w, r, err)
		return
	}
	resp := validateResponse{
		IsValid: out.State == stepup.StateChallengeSucceeded, State: out.State, ActionID: out.ID,
		UserID: out.UserID, Action: out.Action, IdempotencyKey: out.IdempotencyKey,
	}
	if v := out.Verified; v != nil {
		resp.Method, resp.ACR, resp.AMR = string(v.Method), v.Level.String(), v.AMR
	}
	api.WriteJSON(w, http.StatusOK, resp)
}

// userResponse is a user as the API shows it.
type userResponse struct {
	UserID          string    `json:"userId"`
	CreatedAt       time.Time `json:"createdAt"`
	EnrolledMethods []string  `json:"enrolledMethods"`
}

type authenticatorResponse struct {
	ID         string    `json:"authenticatorId"`
	Method     string    `json:"verificationMethod"`
	Name       string    `json:"name,omitempty"`
	CreatedAt  time.Time `json:"createdAt"`
	LastUsedAt time.Time `json:"lastUsedAt,omitzero"`
}

func (h *Handler) user(w http.ResponseWriter, r *http.Request) {
	u, auths, ok := h.userAndFactors(w, r)
	if !ok {
		return
	}
	out := userResponse{UserID: u.ID, CreatedAt: u.CreatedAt, EnrolledMethods: []string{}}
	for _, a := range auths {
		if !slices.Contains(out.EnrolledMethods, string(a.Method)) {
			out.EnrolledMethods = append(out.EnrolledMethods, string(a.Method))
		}
	}
	api.WriteJSON(w, http.StatusOK, out)
}

func (h *Handler) authenticators(w http.ResponseWriter, r *http.Request) {
	_, auths, ok := h.userAndFactors(w, r)
	if !ok {
		return
	}
	out := []authenticatorResponse{}
	for _, a := range auths {
		out = append(out, authenticatorResponse{ID: a.ID, Method: string(a.Method), Name: a.Name, CreatedAt: a.CreatedAt, LastUsedAt: a.LastUsedAt})
	}
	api.WriteJSON(w, http.StatusOK, out)
}

func (h *Handler) userAndFactors(w http.ResponseWriter, r *http.Request) (*store.User, []*store.Authenticator, bool) {
	id := r.PathValue("userId")
	if !idPattern.MatchString(id) {
		api.WriteError(w, http.StatusBadRequest, api.CodeInvalidRequest, "userId must be 1 to 128 letters, digits or ._~:@+=-")
		return nil, nil, false
	}
	u, err := h.o.Users.Get(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return nil, nil, false
	}
	auths, err := h.o.Authenticators.ListByUser(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return nil, nil, false
	}
	return u, auths, true
}

// pathIDs reads and checks the userId and action of the path.
func pathIDs(w http.ResponseWriter, r *http.Request) (userID, action string, ok bool) {
	userID, action = r.PathValue("userId"), r.PathValue("action")
	switch {
	case !idPattern.MatchString(userID):
		api.WriteError(w, http.StatusBadRequest, api.CodeInvalidRequest, "userId must be 1 to 128 letters, digits or ._~:@+=-")
	case !actionPattern.MatchString(action):
		api.WriteError(w, http.StatusBadRequest, api.CodeInvalidRequest, "action must be a letter followed by at most 63 letters, digits or _")
	default:
		return userID, action, true
	}
	return "", "", false
}

// refuse answers a body the API cannot take.
func (h *Handler) refuse(w http.ResponseWriter, err error) {
	var bad errBody
	switch {
	case errors.As(err, &bad) && bad.status == http.StatusRequestEntityTooLarge:
		api.WriteError(w, bad.status, api.CodeTooLarge, bad.msg)
		return
	case errors.As(err, &bad):
		api.WriteError(w, http.StatusBadRequest, api.CodeInvalidRequest, bad.msg)
		return
	}
	api.WriteError(w, http.StatusBadRequest, api.CodeInvalidRequest, "the body could not be read")
}

// fail answers an error of the tracker or the store.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, stepup.ErrNoAction), errors.Is(err, store.ErrNotFound):
		api.WriteError(w, http.StatusNotFound, api.CodeNotFound, "no such user or action")
	case errors.Is(err, stepup.ErrActionState):
		api.WriteError(w, http.StatusConflict, api.CodeConflict, "the action is not in a state that allows this")
	case errors.Is(err, stepup.ErrIdempotencyKey):
		api.WriteError(w, http.StatusConflict, api.CodeConflict, "the idempotencyKey was used for a different request: a retry sends the same one")
	default:
		h.o.Log.Error("track: request failed", "path", r.URL.Path, "err", err)
		api.WriteError(w, http.StatusInternalServerError, api.CodeInternal, "stepup could not answer; the cause is in its log")
	}
}

func ruleIDs(t stepup.Tracked) []string {
	if t.Decision.Rules == nil || t.Decision.Rules.Result.Matched == nil {
		return []string{}
	}
	return t.Decision.Rules.Result.Matched
}

func methodNames(ms []acr.Method) []string {
	var out []string
	for _, m := range ms {
		out = append(out, string(m))
	}
	return out
}

// newKey is an idempotency key for a call that sent none, so the caller
// can read the record back.
func newKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand does not fail
	return base64.RawURLEncoding.EncodeToString(b[:])
}
