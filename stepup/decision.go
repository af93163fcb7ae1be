package stepup

import (
	"fmt"
	"time"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup/rules"
	"github.com/stepup-auth/stepup/stepup/store"
)

// Request is one question to the engine: may this user go on with this
// action, given what their session proves? Every entry point (the OpenID
// Connect authorize flow, the track API, the Cognito triggers) asks it the
// same way.
type Request struct {
	Action   string // "signIn" for an OpenID Connect sign-in
	ClientID string
	UserID   string
	// User is the user's record when the caller has read it already
	// (the track API does), sparing the signals a second read.
	User *store.User
	// Requested is the level the caller asked for (acr_values, an
	// essential acr claim, or the track API's level): a floor that
	// policy may raise, never lower.
	Requested acr.Level
	// MaxAge, when set, is how recent the verifications that count must
	// be; zero (max_age=0, prompt=login) counts only those made after
	// FlowStarted.
	MaxAge      *time.Duration
	FlowStarted time.Time
	// Verifications are what the user's session has proved so far.
	Verifications []acr.Verification
	// Origin is where the request comes from, for the signals.
	Origin
	// Custom is the caller's data about the action (the track API's
	// custom), action.custom in the rules.
	Custom map[string]any
	// Tracked marks a tracked action's request (Tracker): the application
	// signed the user in, and a rule's methods bound the challenge alone.
	Tracked bool
	// Attempt marks the first decision of an attempt (an authorization
	// request arriving, a tracked action), which the velocity signals
	// count; the decisions that follow each verification of the same
	// attempt do not count again.
	Attempt bool
}

// Outcome is what the engine decided.
type Outcome int

// The outcomes.
const (
	Allow     Outcome = iota + 1 // go on
	Challenge                    // verify more first, to Decision.Level
	Review                       // hold for a person to look at
	Block                        // refuse
)

// MarshalText writes the outcome's name, for the records of decisions.
func (o Outcome) MarshalText() ([]byte, error) { return []byte(o.String()), nil }

// UnmarshalText reads a name MarshalText wrote.
func (o *Outcome) UnmarshalText(b []byte) error {
	for _, c := range []Outcome{Allow, Challenge, Review, Block} {
		if c.String() == string(b) {
			*o = c
			return nil
		}
	}
	return fmt.Errorf("stepup: unknown outcome %q", b)
}

func (o Outcome) String() string {
	switch o {
	case Allow:
		return "ALLOW"
	case Challenge:
		return "CHALLENGE"
	case Review:
		return "REVIEW"
	case Block:
		return "BLOCK"
	}
	return "UNKNOWN"
}

// Decision is the engine's answer to a Request.
type Decision struct {
	Outcome Outcome
	// Action is the action decided: the request's, or its client's.
	Action string
	// Level is the level the action needs, and Since the instant from
	// which verifications count toward it (zero: all of them).
	Level acr.Level
	Since time.Time
	// Methods the user may verify with to reach Level; empty allows any.
	Methods []acr.Method
	// Assurance is what the session proves now, counting from Since.
	Assurance acr.Assurance
	// Reasons say why, one line each, for logs and the action record.
	Reasons []string
	// Rules is how the action's rules decided, nil when it has none.
	Rules *Evaluation
}

// Evaluation is the record of an action's rules deciding: which version,
// what they answered, and the input values the matching rules read.
type Evaluation struct {
	Version uint64         `json:"version"`
	Result  rules.Result   `json:"result"`
	Values  map[string]any `json:"values,omitempty"`
	// Input is what the rules saw, without the named lists (they are
	// configuration): a simulation of other rules replays it.
	Input *rules.Input `json:"input,omitempty"`
}
