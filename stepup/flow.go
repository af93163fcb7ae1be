package stepup

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/stepup-auth/stepup/acr"
)

// Flow is a pending sign-in or step-up on its way through the hosted
// pages: what it needs, who it is for, and what it completes. It travels
// with the browser as a signed token, so each page (sign-in, step-up)
// carries exactly what the previous step decided and none can be skipped
// or altered; a page that is done hands it back to its completion target.
type Flow struct {
	// AuthRequestID is the completion target: the OpenID Connect
	// authorization request the flow finishes. Without one, the flow is
	// the hosted pages' own (a change on the account page), and Next is
	// the page of this site it returns to.
	AuthRequestID string `json:"ar,omitempty"`
	Next          string `json:"next,omitempty"`
	// ActionID is the completion target of a tracked action's challenge
	// (Tracker): the pages weigh and record its verifications in the
	// action, never in a session.
	ActionID string `json:"act,omitempty"`
	// UserID is the user the flow is for, once known: set by a sign-in,
	// or required from the start by id_token_hint. A flow never changes
	// user silently.
	UserID    string `json:"uid,omitempty"`
	LoginHint string `json:"lh,omitempty"`
	// Level is what the flow needs, counting verifications since Since.
	Level   acr.Level    `json:"lvl"`
	Since   time.Time    `json:"since,omitzero"`
	Methods []acr.Method `json:"m,omitempty"`
	// ACRValues are the relying party's acr_values as it sent them, for an
	// upstream that is to see them (forward_acr: forward).
	ACRValues []string `json:"acrv,omitempty"`
	// FreshSignIn asks for a new first-factor sign-in even with a session
	// (max_age exceeded, prompt=login, another user's session).
	FreshSignIn bool `json:"fresh,omitempty"`
	// Unmet says the hosted pages could not reach Level with what the
	// user has; the completion target decides what that means.
	Unmet bool `json:"unmet,omitempty"`
	// Cancelled says the user declined on a hosted page: the completion
	// target refuses the request (access_denied), whatever it asked.
	Cancelled bool `json:"cancel,omitempty"`
	// ReturnTo is the origin the completion target may redirect the
	// browser to (the relying party's redirect URI's): the pages' forms
	// must be allowed to end there.
	ReturnTo string `json:"rt,omitempty"`
	// Reason is why the completion target asks, in its own words, for the
	// step-up page to show.
	Reason string `json:"why,omitempty"`
	// Held marks a sign-in the rules hold for review: it opens on the
	// review pages alone, never to sign in, step up or set up a factor.
	Held bool `json:"held,omitempty"`
	// Vouched is where a tracked action's application says its user
	// reads messages (Track.Vouched). It is never in the token, which is
	// signed, not encrypted, and travels in URLs: the pages read it from
	// the action's record (Tracker.Vouched).
	Vouched   Vouched   `json:"-"`
	ExpiresAt time.Time `json:"exp"`
}

// Counted returns the verifications that count for the flow: as Counted
// weighs them for its methods, except that a tracked action's challenge
// always counts the application's sign-in (an upstream verification),
// whose methods narrow only what the challenge may be answered with, and
// never a password.
func (f Flow) Counted(vs []acr.Verification) []acr.Verification {
	if f.ActionID == "" {
		return Counted(vs, f.Methods)
	}
	// A password never answers a challenge: the application's sign-in may
	// well have been that very password.
	return slices.DeleteFunc(slices.Clone(vs), func(v acr.Verification) bool {
		return v.Method == acr.Password || v.Method != acr.Upstream && !MethodAllowed(f.Methods, v.Method)
	})
}

// ErrFlow means a flow token is invalid, expired, or was started in
// another browser.
var ErrFlow = errors.New("stepup: invalid or expired flow")

// Flows signs and checks flow tokens with an HMAC key.
type Flows struct {
	key []byte
	now func() time.Time
}

// NewFlows returns a flow signer; key must have at least 32 bytes.
func NewFlows(key []byte, now func() time.Time) (*Flows, error) {
	if len(key) < 32 {
		return nil, errors.New("stepup: a flow key needs at least 32 bytes")
	}
	if now == nil {
		now = time.Now
	}
	return &Flows{key: key, now: now}, nil
}

// Seal returns the token of f for the browser whose flow cookie holds
// binding.
func (fs *Flows) Seal(f Flow, binding string) (string, error) {
	body, err := json.Marshal(f)
	if err != nil {
		return "", fmt.Errorf("stepup: seal flow: %w", err)
	}
	payload := base64.RawURLEncoding.EncodeToString(body)
	return payload + "." + base64.RawURLEncoding.EncodeToString(fs.mac(payload, binding)), nil
}

// Open checks a token against the browser's binding and returns its flow.
func (fs *Flows) Open(token, binding string) (Flow, error) {
	payload, sig, ok := strings.Cut(token, ".")
	if !ok || binding == "" {
		return Flow{}, ErrFlow
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, fs.mac(payload, binding)) {
		return Flow{}, ErrFlow
	}
	body, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return Flow{}, ErrFlow
	}
	var f Flow
	if err := json.Unmarshal(body, &f); err != nil || !fs.now().Before(f.ExpiresAt) {
		return Flow{}, ErrFlow
	}
	return f, nil
}

// mac binds a payload to a browser. The binding is hashed in, so a token
// carried to another browser (a phished link) does not verify there.
func (fs *Flows) mac(payload, binding string) []byte {
	m := hmac.New(sha256.New, fs.key)
	b := sha256.Sum256([]byte(binding))
	m.Write([]byte("stepup-flow-v1\x00"))
	m.Write(b[:])
	m.Write([]byte(payload))
	return m.Sum(nil)
}
