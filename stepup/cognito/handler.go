package cognito

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"

	"github.com/aws/aws-lambda-go/events"
)

// The trigger sources of the three triggers, as Cognito names them in an
// event's triggerSource.
const (
	TriggerDefine = "DefineAuthChallenge_Authentication"
	TriggerCreate = "CreateAuthChallenge_Authentication"
	TriggerVerify = "VerifyAuthChallengeResponse_Authentication"
)

// Config is what the handlers work with. StepupURL, APIKey and
// RedirectURL are required.
type Config struct {
	// StepupURL is stepup's public URL, APIKey a server API key of it.
	StepupURL, APIKey string
	// Action is the action the triggers track; "" is "signIn". Its rules
	// in stepup decide the sign-in.
	Action string
	// RedirectURL is where the hosted challenge sends the user's browser
	// with the validation token when it ends: an https link the app
	// opens (a universal link or app link), or http on localhost for
	// development.
	RedirectURL string
	// VouchEmail and VouchPhone send the user's email and phone_number
	// attributes with the track call when Cognito has them verified
	// (email_verified, phone_number_verified "true"), so a user with no
	// factor at stepup can answer with a code sent there.
	VouchEmail, VouchPhone bool
	// MaxChallenges bounds how many times one sign-in presents stepup's
	// challenge (an answer that was not yet the token counts one); 0 is 3.
	MaxChallenges int
	// HTTPClient calls stepup; nil is one with a 3-second timeout.
	HTTPClient *http.Client
	Log        *slog.Logger
}

var actionPattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,63}$`)

// Handler answers Cognito's Define, Create and Verify Auth Challenge
// triggers with stepup's decisions.
type Handler struct {
	c      Config
	stepup *Client
	log    *slog.Logger
}

// New returns the handlers of c.
func New(c Config) (*Handler, error) {
	if c.Action == "" {
		c.Action = "signIn"
	}
	if !actionPattern.MatchString(c.Action) {
		return nil, errors.New("cognito: the action must be a letter followed by at most 63 letters, digits or _")
	}
	if c.RedirectURL == "" {
		return nil, errors.New("cognito: a redirect URL is required: the hosted challenge ends there with the token")
	}
	if c.MaxChallenges == 0 {
		c.MaxChallenges = 3
	}
	if c.MaxChallenges < 1 || c.MaxChallenges > 10 {
		return nil, errors.New("cognito: MaxChallenges must be 1 to 10")
	}
	client, err := NewClient(c.StepupURL, c.APIKey, c.HTTPClient)
	if err != nil {
		return nil, err
	}
	log := c.Log
	if log == nil {
		log = slog.Default()
	}
	return &Handler{c: c, stepup: client, log: log}, nil
}

// attempt is one sign-in attempt as the triggers know it.
type attempt struct {
	userID, key string
}

// attemptOf reads the user and the attempt's idempotency key from a
// trigger's event. The user is the Cognito user's sub: unlike the
// userName it is never reassigned, and it is what stepup knows the user by.
func attemptOf(h events.CognitoEventUserPoolsHeader, attrs, meta map[string]string) (attempt, error) {
	sub := attrs["sub"]
	if !userIDPattern.MatchString(sub) {
		return attempt{}, errors.New("cognito: the user has no sub stepup can take as a userId")
	}
	a, err := parseAttempt(meta)
	if err != nil {
		return attempt{}, err
	}
	return attempt{userID: sub, key: idempotencyKey(h.UserPoolID, h.CallerContext.ClientID, a)}, nil
}

// track is the one track call of an attempt: Define's and Create's are the
// same request with the same key, so stepup answers both with one record.
func (h *Handler) track(ctx context.Context, hd events.CognitoEventUserPoolsHeader, attrs map[string]string, a attempt) (Decision, error) {
	body := Track{IdempotencyKey: a.key, RedirectURL: h.c.RedirectURL,
		Custom: map[string]any{"cognitoUserPoolId": hd.UserPoolID, "cognitoClientId": hd.CallerContext.ClientID}}
	if h.c.VouchEmail && attrs["email_verified"] == "true" {
		body.Email = attrs["email"]
	}
	if h.c.VouchPhone && attrs["phone_number_verified"] == "true" {
		body.PhoneNumber = attrs["phone_number"]
	}
	return h.stepup.Track(ctx, a.userID, h.c.Action, body)
}

// Define answers the Define Auth Challenge trigger. It never returns an
// error: a sign-in it cannot decide fails, with the cause in the log.
func (h *Handler) Define(ctx context.Context, ev events.CognitoEventUserPoolsDefineAuthChallenge) (events.CognitoEventUserPoolsDefineAuthChallenge, error) {
	fail := func(why string, args ...any) (events.CognitoEventUserPoolsDefineAuthChallenge, error) {
		h.log.Warn("cognito: define: the sign-in fails: "+why, append([]any{"user", ev.UserName}, args...)...)
		ev.Response = events.CognitoEventUserPoolsDefineAuthChallengeResponse{FailAuthentication: true}
		return ev, nil
	}
	ev.Response = events.CognitoEventUserPoolsDefineAuthChallengeResponse{}
	switch s := next(ev.Request.Session, h.c.MaxChallenges); {
	case s == stepPassword:
		// Also for a user Cognito did not find: the same answer as for
		// anyone, so that it does not tell the user does not exist.
		ev.Response.ChallengeName = challengePasswordVerifier
		return ev, nil
	case ev.Request.UserNotFound:
		return fail("no such user")
	case s == stepChallengeMore:
		ev.Response.ChallengeName = challengeCustom
		return ev, nil
	case s == stepIssueTokens:
		ev.Response.IssueTokens = true
		return ev, nil
	case s == stepDecide:
		// below
	default:
		return fail("the session history is not one this trigger continues", "history", history(ev.Request.Session))
	}
	a, err := attemptOf(ev.CognitoEventUserPoolsHeader, ev.Request.UserAttributes, ev.Request.ClientMetadata)
	if err != nil {
		return fail(err.Error())
	}
	// The attempt's first decision must be a new one: an attempt id the
	// app sent before would give it that attempt's decision, an ALLOW
	// perhaps, instead of the rules' answer now.
	seen, err := h.stepup.Recorded(ctx, a.userID, h.c.Action, a.key)
	if err != nil {
		return fail("stepup did not answer", "err", err)
	}
	if seen {
		return fail("the attempt id was used before", "key", a.key)
	}
	d, err := h.track(ctx, ev.CognitoEventUserPoolsHeader, ev.Request.UserAttributes, a)
	if err != nil {
		return fail("stepup did not decide", "err", err)
	}
	switch {
	case d.State == StateAllow:
		ev.Response.IssueTokens = true
	case d.State == StateChallengeRequired && d.URL != "":
		ev.Response.ChallengeName = challengeCustom
	default:
		return fail("stepup's decision", "state", d.State, "action", d.ActionID)
	}
	return ev, nil
}

// errCreate is what Cognito, and so the app, sees when Create cannot
// present the challenge; the cause is in the log.
var errCreate = errors.New("stepup could not present its challenge")

// Create answers the Create Auth Challenge trigger: the public parameters
// carry the hosted challenge's url and its token, for the app to open in
// a browser; the private ones what Verify checks the answer against.
func (h *Handler) Create(ctx context.Context, ev events.CognitoEventUserPoolsCreateAuthChallenge) (events.CognitoEventUserPoolsCreateAuthChallenge, error) {
	fail := func(why string, args ...any) (events.CognitoEventUserPoolsCreateAuthChallenge, error) {
		h.log.Warn("cognito: create: no challenge: "+why, append([]any{"user", ev.UserName}, args...)...)
		return ev, errCreate
	}
	if ev.Request.ChallengeName != challengeCustom {
		return fail("the challenge asked for is not CUSTOM_CHALLENGE", "challenge", ev.Request.ChallengeName)
	}
	if s := next(ev.Request.Session, h.c.MaxChallenges); s != stepDecide && s != stepChallengeMore {
		return fail("the session history does not call for stepup's challenge", "history", history(ev.Request.Session))
	}
	a, err := attemptOf(ev.CognitoEventUserPoolsHeader, ev.Request.UserAttributes, ev.Request.ClientMetadata)
	if err != nil {
		return fail(err.Error())
	}
	// Presented again, the challenge is the one of the attempt Define
	// decided: the clientMetadata of a later answer may name another
	// attempt id, whose record Define never looked at.
	for _, c := range ev.Request.Session[2:] {
		if c.ChallengeMetadata != challengeMetadata(a.key) {
			return fail("the attempt id is not the one of the challenge presented before", "key", a.key)
		}
	}
	d, err := h.track(ctx, ev.CognitoEventUserPoolsHeader, ev.Request.UserAttributes, a)
	if err != nil {
		return fail("stepup did not answer", "err", err)
	}
	if d.State != StateChallengeRequired || d.URL == "" || d.Token == "" {
		// Met, failed or expired meanwhile: the record's challenge no
		// longer waits, and this attempt has no other.
		return fail("the attempt's challenge no longer waits", "state", d.State, "action", d.ActionID)
	}
	ev.Response = events.CognitoEventUserPoolsCreateAuthChallengeResponse{
		PublicChallengeParameters: map[string]string{"url": d.URL, "token": d.Token},
		PrivateChallengeParameters: map[string]string{
			"userId": a.userID, "action": h.c.Action, "idempotencyKey": a.key, "actionId": d.ActionID,
		},
		ChallengeMetadata: challengeMetadata(a.key),
	}
	return ev, nil
}

// Verify answers the Verify Auth Challenge Response trigger: the answer
// is correct only when stepup validates it, once, as the successful end
// of this user's challenge of this attempt. It never returns an error: an
// answer it cannot check is wrong, with the cause in the log.
func (h *Handler) Verify(ctx context.Context, ev events.CognitoEventUserPoolsVerifyAuthChallenge) (events.CognitoEventUserPoolsVerifyAuthChallenge, error) {
	ev.Response.AnswerCorrect = false
	wrong := func(why string, args ...any) (events.CognitoEventUserPoolsVerifyAuthChallenge, error) {
		h.log.Warn("cognito: verify: the answer is wrong: "+why, append([]any{"user", ev.UserName}, args...)...)
		return ev, nil
	}
	p := ev.Request.PrivateChallengeParameters
	userID, action, key, actionID := p["userId"], p["action"], p["idempotencyKey"], p["actionId"]
	if userID == "" || action == "" || key == "" || actionID == "" {
		return wrong("the challenge is not stepup's")
	}
	if sub := ev.Request.UserAttributes["sub"]; sub != userID {
		return wrong("the challenge is another user's")
	}
	token, err := parseAnswer(ev.Request.ChallengeAnswer)
	if err != nil {
		return wrong(err.Error())
	}
	v, err := h.stepup.Validate(ctx, token)
	switch {
	case err != nil:
		return wrong("stepup did not answer", "err", err)
	case !v.IsValid || v.State != StateChallengeSucceeded:
		return wrong("stepup does not validate the token (invalid, used, or the challenge not met)", "state", v.State)
	case v.UserID != userID || v.Action != action || v.IdempotencyKey != key || v.ActionID != actionID:
		return wrong("the token is of another challenge", "record", v.ActionID, "key", v.IdempotencyKey)
	}
	h.log.Info("cognito: verify: stepup's challenge met", "user", ev.UserName, "method", v.Method, "acr", v.ACR)
	ev.Response.AnswerCorrect = true
	return ev, nil
}

// Handle answers any of the three triggers, by the event's triggerSource:
// the one handler of a Lambda function wired to all three.
func (h *Handler) Handle(ctx context.Context, raw json.RawMessage) (any, error) {
	var hd events.CognitoEventUserPoolsHeader
	if err := json.Unmarshal(raw, &hd); err != nil {
		return nil, errors.New("cognito: the event is not a Cognito trigger's")
	}
	switch hd.TriggerSource {
	case TriggerDefine:
		var ev events.CognitoEventUserPoolsDefineAuthChallenge
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, fmt.Errorf("cognito: %s: the event does not decode", hd.TriggerSource)
		}
		return h.Define(ctx, ev)
	case TriggerCreate:
		var ev events.CognitoEventUserPoolsCreateAuthChallenge
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, fmt.Errorf("cognito: %s: the event does not decode", hd.TriggerSource)
		}
		return h.Create(ctx, ev)
	case TriggerVerify:
		var ev events.CognitoEventUserPoolsVerifyAuthChallenge
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, fmt.Errorf("cognito: %s: the event does not decode", hd.TriggerSource)
		}
		return h.Verify(ctx, ev)
	}
	return nil, fmt.Errorf("cognito: trigger %q is not one of Define, Create or Verify Auth Challenge", hd.TriggerSource)
}

// history names a session's challenges for the log.
func history(session []*events.CognitoEventUserPoolsChallengeResult) []string {
	out := make([]string, 0, len(session))
	for _, c := range session {
		if c == nil {
			out = append(out, "<nil>")
			continue
		}
		out = append(out, fmt.Sprintf("%s:%t:%s", c.ChallengeName, c.ChallengeResult, c.ChallengeMetadata))
	}
	return out
}
