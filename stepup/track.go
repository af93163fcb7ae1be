package stepup

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup/store"
)

// The states of a tracked action, as the track API reports them.
const (
	StateAllow              = "ALLOW"
	StateBlock              = "BLOCK"
	StateChallengeRequired  = "CHALLENGE_REQUIRED"
	StateReviewRequired     = store.ActionReviewRequired
	StateChallengeSucceeded = "CHALLENGE_SUCCEEDED"
	StateChallengeFailed    = "CHALLENGE_FAILED"
	StateReviewSucceeded    = "REVIEW_SUCCEEDED"
	StateReviewFailed       = "REVIEW_FAILED"
)

// Errors of the Tracker, to test with errors.Is.
var (
	// ErrNoAction: no record of that action (or not this user's).
	ErrNoAction = errors.New("stepup: no such action")
	// ErrActionState: the action is not in a state that allows this
	// (a review of an allowed action, a challenge already answered).
	ErrActionState = errors.New("stepup: the action is not in a state that allows this")
	// ErrActionToken: a challenge or validation token that is invalid,
	// expired, or already used.
	ErrActionToken = errors.New("stepup: invalid, expired or used action token")
	// ErrIdempotencyKey: an idempotency key already used for a different
	// request (another amount, another device): a retry must send the
	// same request.
	ErrIdempotencyKey = errors.New("stepup: the idempotency key was used for a different request")
)

// TrackerOptions configure a Tracker. Engine, Actions, Users and a Key of
// at least 32 bytes are required.
type TrackerOptions struct {
	Engine  *Engine
	Actions store.Actions
	Users   store.Users
	// Key signs the challenge and validation tokens.
	Key []byte
	// ChallengeLifetime is how long a user may take to answer a challenge
	// (default 10 minutes), and a validation token stays valid.
	ChallengeLifetime time.Duration
	// RecordLifetime is how long action records are kept (default 90 days).
	RecordLifetime time.Duration
	Now            func() time.Time
}

// Tracker answers the track API: a backend asks whether a user may go on
// with an action, the engine decides, and a challenge, when one is
// needed, is answered on the hosted pages, which the Tracker drives as a
// completion target of their flows (Open, Verified, Finish).
//
// The application that calls the track API has signed its user in: that
// sign-in counts as a first factor it vouches for (an upstream
// verification at 1fa, made when the action was tracked), so one of
// stepup's factors on top of it reaches mfa. No stepup session is made or
// used: a challenge's verifications live in its action record alone, and
// a challenge link can never sign anyone in to stepup.
type Tracker struct {
	engine  *Engine
	actions store.Actions
	users   store.Users
	tokens  actionTokens
	ttl     time.Duration
	keep    time.Duration
	now     func() time.Time
}

// NewTracker returns a Tracker.
func NewTracker(o TrackerOptions) (*Tracker, error) {
	if o.Engine == nil || o.Actions == nil || o.Users == nil || len(o.Key) < 32 {
		return nil, errors.New("stepup: a Tracker needs an Engine, Actions, Users and a Key of at least 32 bytes")
	}
	if o.ChallengeLifetime <= 0 {
		o.ChallengeLifetime = 10 * time.Minute
	}
	if o.RecordLifetime <= 0 {
		o.RecordLifetime = 90 * 24 * time.Hour
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Tracker{
		engine: o.Engine, actions: o.Actions, users: o.Users, tokens: actionTokens{key: o.Key, now: o.Now},
		ttl: o.ChallengeLifetime, keep: o.RecordLifetime, now: o.Now,
	}, nil
}

// Track is one action a backend asks about.
type Track struct {
	UserID string
	Action string
	// IdempotencyKey makes a retried call return the first call's record
	// instead of deciding again; empty: a new record every time.
	IdempotencyKey string
	// ClientID names the caller (its API key), for the rules'
	// request.client.
	ClientID string
	Origin
	// RedirectURL is where the hosted challenge page sends the browser
	// when it is done, with the validation token as the token parameter.
	RedirectURL string
	Custom      map[string]any
	// Vouched is where the application says its user reads messages, for
	// a challenge the user has no factor to answer: see Vouched.
	Vouched Vouched
}

// Vouched are an email address and a phone number the calling application
// vouches for as its user's. A challenge of a user with no factor it
// allows may send a code there, and the first right code sets the address
// or number up as the user's factor: proof that whoever answers reads
// that inbox or phone. Someone holding the challenge link cannot change
// them; they stay in the record, which the pages read (never in the
// flow token, which travels in URLs).
type Vouched struct {
	Email string `json:"email,omitempty"`
	Phone string `json:"phone,omitempty"`
}

// Tracked is an action record as the track API shows it.
type Tracked struct {
	ID             string
	UserID         string
	Action         string
	IdempotencyKey string
	State          string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	// Challenge is what a CHALLENGE_REQUIRED action asks for.
	Challenge *Requirement
	// Verified is how a challenge was answered, once it succeeded.
	Verified *Verified
	// Decision is the engine's record: outcome, level, reasons, rules.
	Decision Decision
	Custom   map[string]any
	// Token is the challenge token of a CHALLENGE_REQUIRED action, for
	// the hosted page's URL or a custom UI; set only by Track.
	Token string
}

// Requirement is what a challenge must reach.
type Requirement struct {
	Level       acr.Level    `json:"level"`
	Since       time.Time    `json:"since,omitzero"`
	Methods     []acr.Method `json:"methods,omitempty"`
	RedirectURL string       `json:"redirect_url,omitempty"`
	Vouched     Vouched      `json:"vouched,omitzero"`
}

// Verified is how a challenge was answered: the method of the last
// verification, and the level and amr reached.
type Verified struct {
	Method acr.Method `json:"method"`
	Level  acr.Level  `json:"level"`
	AMR    []string   `json:"amr"`
	At     time.Time  `json:"at"`
}

// record is what an action record's Decision field holds: the engine's
// decision and what followed it.
type record struct {
	Decision  Decision     `json:"decision"`
	Challenge *Requirement `json:"challenge,omitempty"`
	// Binding is the hash of the browser binding of the first browser to
	// open the challenge: no other may answer it.
	Binding string `json:"binding,omitempty"`
	// Answers are the verifications made on the hosted page, in order.
	Answers   []acr.Verification `json:"answers,omitempty"`
	Verified  *Verified          `json:"verified,omitempty"`
	Validated bool               `json:"validated,omitempty"`
	Reviewer  string             `json:"reviewer,omitempty"`
	// Device, IP and UserAgent are the tracked request's origin: a
	// challenge that succeeds makes the device known.
	Device    string `json:"device,omitempty"`
	IP        string `json:"ip,omitempty"`
	UserAgent string `json:"user_agent,omitempty"`
	// Fingerprint is a hash of the request, to refuse another request
	// under the same idempotency key.
	Fingerprint string `json:"fingerprint,omitempty"`
}

// Track decides an action and stores its record. A call with the
// idempotency key of an earlier one returns that record as it is now,
// without deciding again. A user the store does not know is created, with
// no password: the application's users become stepup's on first sight.
func (t *Tracker) Track(ctx context.Context, r Track) (Tracked, error) {
	// The custom data are encoded once, for the record and its fingerprint.
	custom, err := json.Marshal(r.Custom)
	if err != nil {
		return Tracked{}, fmt.Errorf("stepup: track: custom data: %w", err)
	}
	fingerprint := fingerprintOf(r, custom)
	if r.IdempotencyKey != "" {
		if rec, err := t.actions.GetByIdempotencyKey(ctx, r.UserID, r.Action, r.IdempotencyKey); err == nil {
			return t.again(rec, fingerprint)
		} else if !errors.Is(err, store.ErrNotFound) {
			return Tracked{}, fmt.Errorf("stepup: track: %w", err)
		}
	}
	u, err := t.ensureUser(ctx, r.UserID)
	if err != nil {
		return Tracked{}, err
	}
	now := t.now()
	d, err := t.engine.Decide(ctx, Request{
		Action: r.Action, ClientID: r.ClientID, UserID: r.UserID, User: u, Origin: r.Origin, Custom: r.Custom, Attempt: true,
		Tracked: true, FlowStarted: now, Verifications: []acr.Verification{appSignIn(now)},
	})
	if err != nil {
		return Tracked{}, err
	}
	if u.Disabled {
		// A disabled account does nothing, whatever the rules allow.
		d.Outcome = Block
		d.Reasons = append(d.Reasons, "the user is disabled")
	}
	doc := record{Decision: d, Device: r.DeviceID, UserAgent: r.UserAgent, Fingerprint: fingerprint}
	if r.IP.IsValid() {
		doc.IP = r.IP.String()
	}
	state := StateAllow
	switch d.Outcome {
	case Block:
		state = StateBlock
	case Review:
		state = StateReviewRequired
	case Challenge:
		state = StateChallengeRequired
		doc.Challenge = &Requirement{Level: d.Level, Since: d.Since, Methods: d.Methods, RedirectURL: r.RedirectURL, Vouched: r.Vouched}
	}
	rec := &store.ActionRecord{
		ID: newID(now), UserID: r.UserID, Action: r.Action, IdempotencyKey: r.IdempotencyKey, State: state, Data: custom,
		CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(t.keep),
	}
	if rec.Decision, err = json.Marshal(doc); err != nil {
		return Tracked{}, fmt.Errorf("stepup: track: %w", err)
	}
	switch err := t.actions.Create(ctx, rec); {
	case errors.Is(err, store.ErrConflict) && r.IdempotencyKey != "":
		// Another call with the same key won the race: its record is the
		// one, never a second decision.
		first, err := t.actions.GetByIdempotencyKey(ctx, r.UserID, r.Action, r.IdempotencyKey)
		if err != nil {
			return Tracked{}, fmt.Errorf("stepup: track: %w", err)
		}
		return t.again(first, fingerprint)
	case err != nil:
		return Tracked{}, fmt.Errorf("stepup: track: %w", err)
	}
	// Built from what was just stored, not read back from its JSON: this
	// is the track API's hot path.
	out := Tracked{
		ID: rec.ID, UserID: rec.UserID, Action: rec.Action, IdempotencyKey: rec.IdempotencyKey, State: state,
		CreatedAt: now, UpdatedAt: now, Challenge: doc.Challenge, Decision: d, Custom: r.Custom,
	}
	if state == StateChallengeRequired {
		out.Token = t.tokens.seal(purposeChallenge, rec.ID, now.Add(t.ttl))
	}
	return out, nil
}

// again answers a retry: the record as it is, with its challenge token
// again while the challenge waits (the first answer may have been lost on
// its way). A different request under the same key is refused.
func (t *Tracker) again(rec *store.ActionRecord, fingerprint string) (Tracked, error) {
	var doc record
	if err := json.Unmarshal(rec.Decision, &doc); err != nil {
		return Tracked{}, fmt.Errorf("stepup: action %s: %w", rec.ID, err)
	}
	if subtle.ConstantTimeCompare([]byte(doc.Fingerprint), []byte(fingerprint)) != 1 {
		return Tracked{}, ErrIdempotencyKey
	}
	out, err := t.tracked(rec)
	if err == nil && rec.State == StateChallengeRequired && t.now().Before(rec.CreatedAt.Add(t.ttl)) {
		out.Token = t.tokens.seal(purposeChallenge, rec.ID, rec.CreatedAt.Add(t.ttl))
	}
	return out, err
}

// fingerprintOf is a hash of what the request asks, to tell a retry from
// another request under the same idempotency key. custom is r.Custom as
// JSON, encoded once for the record too; the bytes hashed are those of
// records stored before, when the map was encoded here, and the vouched
// destinations, left out when empty, keep those bytes too.
func fingerprintOf(r Track, custom json.RawMessage) string {
	b, _ := json.Marshal(struct { // strings and bytes already valid JSON: cannot fail
		Client, Device, UserAgent, IP, Redirect string
		Custom                                  json.RawMessage
		Vouched                                 *Vouched `json:",omitempty"`
	}{r.ClientID, r.DeviceID, r.UserAgent, r.IP.String(), r.RedirectURL, custom, vouchedOrNil(r.Vouched)})
	sum := sha256.Sum256(b)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func vouchedOrNil(v Vouched) *Vouched {
	if v == (Vouched{}) {
		return nil
	}
	return &v
}

// appSignIn is the sign-in the calling application vouches for.
func appSignIn(at time.Time) acr.Verification {
	return acr.Verification{Method: acr.Upstream, Level: acr.OneFactor, At: at}
}

// ensureUser returns the user, created if the store has none of that ID.
func (t *Tracker) ensureUser(ctx context.Context, id string) (*store.User, error) {
	u, err := t.users.Get(ctx, id)
	if !errors.Is(err, store.ErrNotFound) {
		return u, err
	}
	now := t.now()
	u = &store.User{ID: id, CreatedAt: now, UpdatedAt: now}
	switch err := t.users.Create(ctx, u); {
	case errors.Is(err, store.ErrConflict): // created meanwhile by a concurrent call
		return t.users.Get(ctx, id)
	case err != nil:
		return nil, fmt.Errorf("stepup: track: create user %s: %w", id, err)
	}
	return u, nil
}

// Hold records a decision of another entry point that the rules hold for
// review (an OpenID Connect sign-in), under key, once, and returns the
// record's state: REVIEW_REQUIRED until a person decides through the
// track API (Review), then REVIEW_SUCCEEDED or REVIEW_FAILED.
func (t *Tracker) Hold(ctx context.Context, userID, action, key string, d Decision) (string, error) {
	rec, err := t.actions.GetByIdempotencyKey(ctx, userID, action, key)
	if err == nil {
		return rec.State, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return "", fmt.Errorf("stepup: hold: %w", err)
	}
	doc, err := json.Marshal(record{Decision: d})
	if err != nil {
		return "", fmt.Errorf("stepup: hold: %w", err)
	}
	now := t.now()
	rec = &store.ActionRecord{
		ID: newID(now), UserID: userID, Action: action, IdempotencyKey: key, State: StateReviewRequired, Data: []byte("null"),
		Decision: doc, CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(t.keep),
	}
	switch err := t.actions.Create(ctx, rec); {
	case errors.Is(err, store.ErrConflict): // held by a concurrent request of the same flow
		first, err := t.actions.GetByIdempotencyKey(ctx, userID, action, key)
		if err != nil {
			return "", fmt.Errorf("stepup: hold: %w", err)
		}
		return first.State, nil
	case err != nil:
		return "", fmt.Errorf("stepup: hold: %w", err)
	}
	return StateReviewRequired, nil
}

// Record stores the final decision of another entry point (an OpenID
// Connect sign-in allowed, blocked or refused on review) as the record of
// userID's action under key, so that every decision the rules make can be
// read back and replayed. Only decisions the rules took part in are
// stored, once per key: a later one under the same key (a hold decided)
// leaves the first.
func (t *Tracker) Record(ctx context.Context, userID, action, key string, d Decision) error {
	if d.Rules == nil || userID == "" {
		return nil
	}
	state := map[Outcome]string{Allow: StateAllow, Block: StateBlock, Review: StateReviewRequired}[d.Outcome]
	if state == "" {
		return nil // a challenge is not an end
	}
	doc, err := json.Marshal(record{Decision: d})
	if err != nil {
		return fmt.Errorf("stepup: record: %w", err)
	}
	now := t.now()
	rec := &store.ActionRecord{
		ID: newID(now), UserID: userID, Action: action, IdempotencyKey: key, State: state, Data: []byte("null"),
		Decision: doc, CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(t.keep),
	}
	if err := t.actions.Create(ctx, rec); err != nil && !errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("stepup: record: %w", err)
	}
	return nil
}

// RecordedDecision is the decision an action record keeps: what the
// rules saw and answered, for a simulation to replay.
func RecordedDecision(rec *store.ActionRecord) (Decision, error) {
	var doc record
	if err := json.Unmarshal(rec.Decision, &doc); err != nil {
		return Decision{}, fmt.Errorf("stepup: action %s: %w", rec.ID, err)
	}
	return doc.Decision, nil
}

// Get returns the record of a user's action by its idempotency key.
func (t *Tracker) Get(ctx context.Context, userID, action, key string) (Tracked, error) {
	rec, err := t.actions.GetByIdempotencyKey(ctx, userID, action, key)
	if errors.Is(err, store.ErrNotFound) {
		return Tracked{}, ErrNoAction
	} else if err != nil {
		return Tracked{}, fmt.Errorf("stepup: action: %w", err)
	}
	return t.tracked(rec)
}

// Review records a person's decision on an action held for review.
func (t *Tracker) Review(ctx context.Context, userID, action, key string, approve bool, reviewer string) (Tracked, error) {
	rec, err := t.actions.GetByIdempotencyKey(ctx, userID, action, key)
	if errors.Is(err, store.ErrNotFound) {
		return Tracked{}, ErrNoAction
	} else if err != nil {
		return Tracked{}, fmt.Errorf("stepup: review: %w", err)
	}
	state := StateReviewFailed
	if approve {
		state = StateReviewSucceeded
	}
	return t.update(ctx, rec, ErrNoAction, func(cur *store.ActionRecord, doc *record) (string, error) {
		if cur.State != StateReviewRequired { // decided already, perhaps a moment ago
			return "", ErrActionState
		}
		doc.Reviewer = reviewer
		return state, nil
	})
}

// Validate reads the validation token the hosted page gave the browser on
// its way back. A token is valid once: a second look says so, and so does
// one for a record that is not the caller's to see (checked by the API).
func (t *Tracker) Validate(ctx context.Context, token string) (Tracked, error) {
	id, err := t.tokens.open(purposeValidate, token)
	if err != nil {
		return Tracked{}, err
	}
	rec, err := t.actions.Get(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return Tracked{}, ErrActionToken
	} else if err != nil {
		return Tracked{}, fmt.Errorf("stepup: validate: %w", err)
	}
	var used bool
	out, err := t.update(ctx, rec, ErrActionToken, func(cur *store.ActionRecord, doc *record) (string, error) {
		used = doc.Validated
		doc.Validated = true
		return cur.State, nil
	})
	if err != nil {
		return Tracked{}, err
	}
	if used {
		return out, ErrActionToken
	}
	return out, nil
}

// update changes a record with change, which returns its new state, and
// retries on a concurrent change. change sees the record as it is at each
// try, and must check there whatever its change depends on (the state,
// above all): a check made before update may no longer hold on a retry.
// A record that went away meanwhile (it expired, or its user was deleted)
// is the caller's gone.
func (t *Tracker) update(ctx context.Context, rec *store.ActionRecord, gone error, change func(cur *store.ActionRecord, doc *record) (string, error)) (Tracked, error) {
	id := rec.ID
	for range 8 {
		var doc record
		if err := json.Unmarshal(rec.Decision, &doc); err != nil {
			return Tracked{}, fmt.Errorf("stepup: action %s: %w", rec.ID, err)
		}
		state, err := change(rec, &doc)
		if err != nil {
			return Tracked{}, err
		}
		next := *rec
		next.State, next.UpdatedAt = state, t.now()
		if next.Decision, err = json.Marshal(doc); err != nil {
			return Tracked{}, fmt.Errorf("stepup: action %s: %w", rec.ID, err)
		}
		err = t.actions.Update(ctx, &next)
		if err == nil {
			return t.tracked(&next)
		}
		if errors.Is(err, store.ErrConflict) {
			rec, err = t.actions.Get(ctx, id)
		}
		switch {
		case errors.Is(err, store.ErrNotFound):
			return Tracked{}, gone
		case err != nil:
			return Tracked{}, fmt.Errorf("stepup: action %s: %w", id, err)
		}
	}
	return Tracked{}, fmt.Errorf("stepup: action %s: too many concurrent changes", id)
}

// tracked reads a stored record.
func (t *Tracker) tracked(rec *store.ActionRecord) (Tracked, error) {
	var doc record
	if err := json.Unmarshal(rec.Decision, &doc); err != nil {
		return Tracked{}, fmt.Errorf("stepup: action %s: %w", rec.ID, err)
	}
	out := Tracked{
		ID: rec.ID, UserID: rec.UserID, Action: rec.Action, IdempotencyKey: rec.IdempotencyKey, State: rec.State,
		CreatedAt: rec.CreatedAt, UpdatedAt: rec.UpdatedAt, Decision: doc.Decision, Verified: doc.Verified,
	}
	if rec.State == StateChallengeRequired {
		out.Challenge = doc.Challenge
	}
	if len(rec.Data) > 0 && string(rec.Data) != "null" {
		if err := json.Unmarshal(rec.Data, &out.Custom); err != nil {
			return Tracked{}, fmt.Errorf("stepup: action %s: custom data: %w", rec.ID, err)
		}
	}
	return out, nil
}

// newID returns a new record id made at now: 22 URL-safe characters that
// encode the time in milliseconds (48 bits) and then 80 random bits, in an
// alphabet in byte order, so that ids sort by the time they were made, as
// ULIDs and UUIDv7 do. Ids made one after another share a prefix, and the
// store's radix trees copy fewer and smaller nodes to index them than
// for random ids: an action record's insert went from 46 µs to 31 µs,
// the largest part of a tracked action (BenchmarkTrack).
func newID(now time.Time) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(now.UnixMilli())<<16)
	_, _ = rand.Read(b[6:]) // crypto/rand does not fail
	return sortableBase64.EncodeToString(b[:])
}

// sortableBase64 is base64url's alphabet in byte order.
var sortableBase64 = base64.NewEncoding("-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz").WithPadding(base64.NoPadding)

// redirectWith is u with the token parameter set.
func redirectWith(u, token string) (string, error) {
	parsed, err := url.Parse(u)
	if err != nil {
		return "", err
	}
	q := parsed.Query()
	q.Set("token", token)
	parsed.RawQuery = q.Encode()
	return parsed.String(), nil
}
