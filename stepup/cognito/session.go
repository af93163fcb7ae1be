package cognito

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"regexp"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// Cognito's challenge names this package reads in a session history.
const (
	challengeSRPA             = "SRP_A"
	challengePasswordVerifier = "PASSWORD_VERIFIER"
	challengeCustom           = "CUSTOM_CHALLENGE"
)

// ChallengeMetadata names stepup's custom challenge in the session
// history: Define counts only custom challenges that carry it. Create
// writes it followed by ":" and the attempt's idempotency key, so that a
// challenge presented again is of the same attempt whatever attempt id
// the app sends with its later answers.
const ChallengeMetadata = "STEPUP_CHALLENGE"

// challengeMetadata is the metadata of the challenge of the attempt whose
// idempotency key is key.
func challengeMetadata(key string) string { return ChallengeMetadata + ":" + key }

// stepupMetadata reports whether m is the metadata of stepup's challenge.
func stepupMetadata(m string) bool {
	return m == ChallengeMetadata || strings.HasPrefix(m, ChallengeMetadata+":")
}

// step is what a session history calls for next.
type step int

const (
	stepFail          step = iota // fail the authentication
	stepPassword                  // SRP_A done: ask for the password verifier
	stepDecide                    // the password verified: ask stepup
	stepChallengeMore             // stepup's challenge was not met yet: present it again
	stepIssueTokens               // stepup's challenge was met
)

func (s step) String() string {
	return [...]string{"fail", "password", "decide", "challenge again", "issue tokens"}[s]
}

// next reads a session history and says what comes next. Only one shape
// goes on: SRP_A, then PASSWORD_VERIFIER that succeeded, then at most max
// of stepup's custom challenges of which only the last may have
// succeeded. Everything else fails: an empty history (stepup is not a
// first factor here), a password that failed, another challenge (SMS_MFA,
// device SRP, another team's custom challenge), an entry missing.
func next(session []*events.CognitoEventUserPoolsChallengeResult, max int) step {
	for _, c := range session {
		if c == nil {
			return stepFail
		}
	}
	switch {
	case len(session) == 0 || session[0].ChallengeName != challengeSRPA:
		return stepFail
	case len(session) == 1:
		// SRP_A carries the client's SRP value; the password verifier
		// that follows is what proves the password.
		return stepPassword
	case session[1].ChallengeName != challengePasswordVerifier || !session[1].ChallengeResult:
		return stepFail
	case len(session) == 2:
		return stepDecide
	}
	custom := session[2:]
	if len(custom) > max {
		return stepFail
	}
	for i, c := range custom {
		if c.ChallengeName != challengeCustom || !stepupMetadata(c.ChallengeMetadata) {
			return stepFail
		}
		if c.ChallengeResult {
			if i != len(custom)-1 {
				return stepFail // nothing follows a challenge met
			}
			return stepIssueTokens
		}
	}
	if len(custom) == max {
		return stepFail
	}
	return stepChallengeMore
}

// AttemptKey is the clientMetadata key under which the app sends its
// sign-in attempt's id, a fresh random value per sign-in.
const AttemptKey = "stepupAttempt"

var (
	attemptPattern = regexp.MustCompile(`^[A-Za-z0-9-]{16,128}$`)
	// userIDPattern is the track API's userId.
	userIDPattern = regexp.MustCompile(`^[A-Za-z0-9._~:@+=-]{1,128}$`)
	// tokenPattern is a validation token as stepup makes them (two
	// base64url parts and a dot, under 100 bytes), with room: stepup
	// reads at most 512 bytes of one.
	tokenPattern = regexp.MustCompile(`^[A-Za-z0-9._~-]{1,512}$`)
)

var (
	errNoAttempt = errors.New("cognito: clientMetadata has no " + AttemptKey + " of 16 to 128 letters, digits or -")
	errAnswer    = errors.New("cognito: the challenge answer is not a validation token")
)

// parseAttempt reads the app's attempt id from a trigger's clientMetadata.
func parseAttempt(meta map[string]string) (string, error) {
	a, ok := meta[AttemptKey]
	if !ok || !attemptPattern.MatchString(a) {
		return "", errNoAttempt
	}
	return a, nil
}

// parseAnswer reads the app's challenge answer: the token the hosted
// challenge's redirect carried. Cognito hands it over as a JSON value.
func parseAnswer(answer any) (string, error) {
	s, ok := answer.(string)
	if !ok || !tokenPattern.MatchString(s) {
		return "", errAnswer
	}
	return s, nil
}

// idempotencyKey is the track API key of one sign-in attempt: the same
// for the Define and Create triggers of the attempt, which Cognito gives
// no other shared state, and for nothing else. It hashes the attempt with
// the pool and app client, so the app cannot name a key of another pool,
// client or of the application's own track calls.
func idempotencyKey(poolID, clientID, attempt string) string {
	h := sha256.New()
	for _, s := range []string{"stepup-cognito-v1", poolID, clientID, attempt} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return "cognito-" + hex.EncodeToString(h.Sum(nil)[:16])
}
