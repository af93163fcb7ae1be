package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/stepup-auth/stepup/stepup/cognito"
	"github.com/stepup-auth/stepup/stepup/factor/deliver/delivertest"
)

// cognitoSignInRules decide a Cognito sign-in by the app client it came through
// (the triggers send it as custom data): one client is challenged, one
// blocked, the others allowed.
const cognitoSignInRules = `action: signIn
default: ALLOW
rules:
  - id: risky-client
    priority: 10
    when: action.custom.?cognitoClientId.orValue("") == "risky-client"
    outcome: CHALLENGE
    level: mfa
  - id: banned-client
    priority: 20
    when: action.custom.?cognitoClientId.orValue("") == "banned-client"
    outcome: BLOCK
`

// The trigger events as the AWS documentation shows them (the Define,
// Create and Verify Auth Challenge pages' request shapes, as
// aws-lambda-go's testdata holds them), with this test's user, client,
// session history, attempt id and answer filled in.
const (
	defineJSON = `{
  "version": "1",
  "region": "us-west-2",
  "userPoolId": "us-west-2_stepupTest",
  "userName": "%[1]s",
  "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": "%[2]s"},
  "triggerSource": "DefineAuthChallenge_Authentication",
  "request": {
    "userAttributes": {"sub": "%[1]s", "cognito:user_status": "CONFIRMED", "email_verified": "true", "email": "%[4]s"},
    "session": %[3]s,
    "clientMetadata": {"stepupAttempt": "%[5]s"},
    "userNotFound": false
  },
  "response": {"challengeName": null, "issueTokens": null, "failAuthentication": null}
}`
	createJSON = `{
  "version": "1",
  "region": "us-west-2",
  "userPoolId": "us-west-2_stepupTest",
  "userName": "%[1]s",
  "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": "%[2]s"},
  "triggerSource": "CreateAuthChallenge_Authentication",
  "request": {
    "userAttributes": {"sub": "%[1]s", "cognito:user_status": "CONFIRMED", "email_verified": "true", "email": "%[4]s"},
    "challengeName": "CUSTOM_CHALLENGE",
    "session": %[3]s,
    "clientMetadata": {"stepupAttempt": "%[5]s"},
    "userNotFound": false
  },
  "response": {"publicChallengeParameters": null, "privateChallengeParameters": null, "challengeMetadata": null}
}`
	verifyJSON = `{
  "version": "1",
  "region": "us-west-2",
  "userPoolId": "us-west-2_stepupTest",
  "userName": "%[1]s",
  "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": "%[2]s"},
  "triggerSource": "VerifyAuthChallengeResponse_Authentication",
  "request": {
    "userAttributes": {"sub": "%[1]s", "cognito:user_status": "CONFIRMED"},
    "privateChallengeParameters": %[3]s,
    "challengeAnswer": %[4]s,
    "clientMetadata": {},
    "userNotFound": false
  },
  "response": {"answerCorrect": null}
}`
)

const (
	srpAndPassword = `[{"challengeName": "SRP_A", "challengeResult": true, "challengeMetadata": ""},
      {"challengeName": "PASSWORD_VERIFIER", "challengeResult": true, "challengeMetadata": ""}]`
)

// custom is a session entry of stepup's custom challenge with the metadata
// Create gave it (stepup's name and the attempt's key), met or not.
func custom(metadata string, met bool) string {
	return fmt.Sprintf(`{"challengeName": "CUSTOM_CHALLENGE", "challengeResult": %t, "challengeMetadata": %q}`, met, metadata)
}

// cognitoPool plays a Cognito user pool calling the triggers of one
// Lambda function (the handler of cmd/stepup-cognito) with the
// documented event JSON.
type cognitoPool struct {
	t *testing.T
	h *cognito.Handler
}

func newCognitoPool(t *testing.T, ts *trackServer, vouchEmail bool) *cognitoPool {
	t.Helper()
	h, err := cognito.New(cognito.Config{StepupURL: ts.issuer, APIKey: ts.serverKey, RedirectURL: rpRedirect, VouchEmail: vouchEmail})
	if err != nil {
		t.Fatal(err)
	}
	return &cognitoPool{t: t, h: h}
}

// invoke hands raw to the function as Lambda would, and returns its
// answer as Cognito reads it back: JSON into the event's type.
func invoke[E any](p *cognitoPool, raw string) (E, error) {
	p.t.Helper()
	var ev E
	if err := json.Unmarshal([]byte(raw), &ev); err != nil {
		p.t.Fatalf("the documented event does not decode into %T: %v\n%s", ev, err, raw)
	}
	out, err := p.h.Handle(context.Background(), json.RawMessage(raw))
	if err != nil {
		return ev, err
	}
	b, _ := json.Marshal(out)
	var back E
	if err := json.Unmarshal(b, &back); err != nil {
		p.t.Fatal(err)
	}
	return back, nil
}

// signIn is one sign-in attempt of user through client.
type signIn struct {
	p                       *cognitoPool
	user, client, attemptID string
	email                   string
}

func (s signIn) define(history string) events.CognitoEventUserPoolsDefineAuthChallengeResponse {
	s.p.t.Helper()
	out, err := invoke[events.CognitoEventUserPoolsDefineAuthChallenge](s.p, fmt.Sprintf(defineJSON, s.user, s.client, history, s.email, s.attemptID))
	if err != nil {
		s.p.t.Fatalf("define: %v", err)
	}
	return out.Response
}

func (s signIn) create(history string) (events.CognitoEventUserPoolsCreateAuthChallengeResponse, error) {
	s.p.t.Helper()
	out, err := invoke[events.CognitoEventUserPoolsCreateAuthChallenge](s.p, fmt.Sprintf(createJSON, s.user, s.client, history, s.email, s.attemptID))
	return out.Response, err
}

func (s signIn) verify(private map[string]string, answer string) bool {
	s.p.t.Helper()
	priv, _ := json.Marshal(private)
	ans, _ := json.Marshal(answer)
	out, err := invoke[events.CognitoEventUserPoolsVerifyAuthChallenge](s.p, fmt.Sprintf(verifyJSON, s.user, s.client, priv, ans))
	if err != nil {
		s.p.t.Fatalf("verify: %v", err)
	}
	return out.Response.AnswerCorrect
}

func history(entries ...string) string {
	return strings.TrimSuffix(srpAndPassword, "]") + strings.Join(append([]string{""}, entries...), ", ") + "]"
}

// answerWithTOTP opens the hosted challenge in a fresh browser and answers
// it with the authenticator app of uri, at the step after at; it returns
// the validation token the redirect carries.
func answerWithTOTP(t *testing.T, ts *trackServer, link, uri string, at time.Time) string {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	a := &attempt{rp: ts.browser(jar)}
	a.openChallenge(link)
	a.submit("/stepup/verify", url.Values{"method": {"TOTP"}, "code": {totpCode(t, uri, at)}})
	if a.callback == nil || !strings.HasPrefix(a.callback.String(), rpRedirect) || a.callback.Query().Get("token") == "" {
		t.Fatalf("after the challenge the browser is at %v (page %v)\n%.1500s", a.callback, a.page, a.body)
	}
	return a.callback.Query().Get("token")
}

// The issue's acceptance: the three triggers, with the documented event
// shapes, against a real stepup on loopback. After SRP_A and
// PASSWORD_VERIFIER, Define asks stepup and issues CUSTOM_CHALLENGE;
// Create presents the hosted challenge; the user answers it in a browser
// with their authenticator app; Verify refuses an invalid answer, the
// challenge's own token, another user's validation token, and a
// replayed token, and accepts the valid one once; Define then issues
// tokens.
func TestCognitoCustomAuthEndToEnd(t *testing.T) {
	ts := startTrackServerWith(t, cognitoSignInRules, "")
	user, uri := registerWithTOTP(t, ts.issuer, "carl")
	p := newCognitoPool(t, ts, false)
	s := signIn{p: p, user: user, client: "risky-client", attemptID: "5f0c8a8e-2b5e-4f6d-9a51-000000000001", email: "carl@example.com"}

	if r := s.define(`[{"challengeName": "SRP_A", "challengeResult": true, "challengeMetadata": ""}]`); r.ChallengeName != "PASSWORD_VERIFIER" || r.IssueTokens || r.FailAuthentication {
		t.Fatalf("define after SRP_A: %+v", r)
	}
	if r := s.define(srpAndPassword); r.ChallengeName != "CUSTOM_CHALLENGE" || r.IssueTokens || r.FailAuthentication {
		t.Fatalf("define after the password: %+v", r)
	}
	c, err := s.create(srpAndPassword)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	link, token := c.PublicChallengeParameters["url"], c.PublicChallengeParameters["token"]
	if !strings.HasPrefix(link, ts.issuer+"/challenge?token=") || token == "" || !strings.Contains(link, url.QueryEscape(token)) ||
		len(c.PublicChallengeParameters) != 2 || c.ChallengeMetadata != "STEPUP_CHALLENGE:"+c.PrivateChallengeParameters["idempotencyKey"] {
		t.Fatalf("create: %+v", c)
	}
	for k := range c.PublicChallengeParameters {
		if v := c.PublicChallengeParameters[k]; v == c.PrivateChallengeParameters["idempotencyKey"] || strings.Contains(v, ts.serverKey) {
			t.Errorf("a public parameter %s carries a private value", k)
		}
	}
	// Define and Create made one decision: stepup holds one record for
	// the attempt, waiting for the challenge.
	key := c.PrivateChallengeParameters["idempotencyKey"]
	if _, rec := ts.call("GET", "/v1/users/"+user+"/actions/signIn/"+key, ts.serverKey, nil); rec["state"] != "CHALLENGE_REQUIRED" ||
		rec["actionId"] != c.PrivateChallengeParameters["actionId"] {
		t.Fatalf("the attempt's record: %v", rec)
	}

	// Answers that are not the redirect's validation token are wrong:
	// made up, or the challenge token of the public parameters.
	if s.verify(c.PrivateChallengeParameters, "eyJpZCI6Im5vIn0.bm90LWEtc2lnbmF0dXJl") {
		t.Error("a made-up answer was accepted")
	}
	if s.verify(c.PrivateChallengeParameters, token) {
		t.Error("the challenge's own token was accepted as the answer: whoever holds the password would pass")
	}
	// A wrong answer presents the same challenge again.
	if r := s.define(history(custom(c.ChallengeMetadata, false))); r.ChallengeName != "CUSTOM_CHALLENGE" || r.FailAuthentication {
		t.Fatalf("define after a wrong answer: %+v", r)
	}
	again, err := s.create(history(custom(c.ChallengeMetadata, false)))
	if err != nil || again.PublicChallengeParameters["url"] != link || again.PrivateChallengeParameters["actionId"] != c.PrivateChallengeParameters["actionId"] {
		t.Fatalf("create again: %+v %v, want the same challenge", again, err)
	}

	// The user answers in a browser with the app.
	valid := answerWithTOTP(t, ts, link, uri, time.Now().Add(30*time.Second))

	// Another sign-in attempt of the same user is a challenge of its own.
	other := signIn{p: p, user: user, client: "risky-client", attemptID: "5f0c8a8e-2b5e-4f6d-9a51-000000000002"}
	if r := other.define(srpAndPassword); r.ChallengeName != "CUSTOM_CHALLENGE" {
		t.Fatalf("define of the other attempt: %+v", r)
	}
	if oc, err := other.create(srpAndPassword); err != nil || oc.PublicChallengeParameters["url"] == link ||
		oc.PrivateChallengeParameters["idempotencyKey"] == key {
		t.Fatalf("create of the other attempt: %+v %v, want a challenge of its own", oc, err)
	}
	// The validation token of another user's challenge, met, is not this
	// challenge's answer.
	bobID, bobURI := registerWithTOTP(t, ts.issuer, "bob")
	bob := signIn{p: p, user: bobID, client: "risky-client", attemptID: "5f0c8a8e-2b5e-4f6d-9a51-000000000003"}
	if r := bob.define(srpAndPassword); r.ChallengeName != "CUSTOM_CHALLENGE" {
		t.Fatalf("define of bob: %+v", r)
	}
	bc, err := bob.create(srpAndPassword)
	if err != nil {
		t.Fatal(err)
	}
	bobToken := answerWithTOTP(t, ts, bc.PublicChallengeParameters["url"], bobURI, time.Now().Add(30*time.Second))
	if s.verify(c.PrivateChallengeParameters, bobToken) {
		t.Error("bob's validation token answered carl's challenge")
	}

	// The valid answer, once.
	if !s.verify(c.PrivateChallengeParameters, valid) {
		t.Fatal("the valid answer was refused")
	}
	if s.verify(c.PrivateChallengeParameters, valid) {
		t.Error("the valid answer was accepted a second time (replayed)")
	}
	if r := s.define(history(custom(c.ChallengeMetadata, false), custom(c.ChallengeMetadata, true))); !r.IssueTokens || r.FailAuthentication || r.ChallengeName != "" {
		t.Fatalf("define after the challenge met: %+v", r)
	}

	// The attempt id again: no second decision.
	if r := s.define(srpAndPassword); !r.FailAuthentication || r.IssueTokens {
		t.Errorf("define with a used attempt id: %+v, want the sign-in failed", r)
	}
	// Its challenge no longer waits: Create has none to present.
	if _, err := s.create(history(custom(c.ChallengeMetadata, false))); err == nil {
		t.Error("create for a met challenge presented one")
	}
	// A challenge presented three times in all ends the sign-in.
	if r := s.define(history(custom(c.ChallengeMetadata, false), custom(c.ChallengeMetadata, false), custom(c.ChallengeMetadata, false))); !r.FailAuthentication {
		t.Errorf("define after three wrong answers: %+v", r)
	}
}

// The other decisions: ALLOW issues tokens at once, BLOCK fails, and a
// stepup out of reach fails the sign-in, never issues tokens.
func TestCognitoCustomAuthAllowAndBlock(t *testing.T) {
	ts := startTrackServerWith(t, cognitoSignInRules, "")
	user := registerLocalUser(t, ts.issuer, "dana")
	p := newCognitoPool(t, ts, false)
	allowed := signIn{p: p, user: user, client: "app-client", attemptID: "9d1c7f52-6a2e-4b8e-8c11-000000000001"}
	if r := allowed.define(srpAndPassword); !r.IssueTokens || r.FailAuthentication || r.ChallengeName != "" {
		t.Errorf("an allowed sign-in: %+v", r)
	}
	// The app sending the same attempt id again gets no second look at
	// the ALLOW: a new attempt is a new decision, a reused id none.
	if r := allowed.define(srpAndPassword); r.IssueTokens || !r.FailAuthentication {
		t.Errorf("an allowed attempt's id again: %+v, want the sign-in failed", r)
	}
	blocked := signIn{p: p, user: user, client: "banned-client", attemptID: "9d1c7f52-6a2e-4b8e-8c11-000000000002"}
	if r := blocked.define(srpAndPassword); r.IssueTokens || !r.FailAuthentication {
		t.Errorf("a blocked sign-in: %+v", r)
	}

	down, err := cognito.New(cognito.Config{StepupURL: "http://127.0.0.1:9", APIKey: ts.serverKey, RedirectURL: rpRedirect})
	if err != nil {
		t.Fatal(err)
	}
	offline := signIn{p: &cognitoPool{t: t, h: down}, user: user, client: "app-client", attemptID: "9d1c7f52-6a2e-4b8e-8c11-000000000003"}
	if r := offline.define(srpAndPassword); r.IssueTokens || !r.FailAuthentication {
		t.Errorf("stepup out of reach: %+v, want the sign-in failed", r)
	}
	// A wrong key is stepup refusing, the same.
	wrongKey, _ := cognito.New(cognito.Config{StepupURL: ts.issuer, APIKey: "su_server_x_y", RedirectURL: rpRedirect})
	refused := signIn{p: &cognitoPool{t: t, h: wrongKey}, user: user, client: "app-client", attemptID: "9d1c7f52-6a2e-4b8e-8c11-000000000004"}
	if r := refused.define(srpAndPassword); r.IssueTokens || !r.FailAuthentication {
		t.Errorf("a wrong API key: %+v, want the sign-in failed", r)
	}
}

// A Cognito user stepup does not know, with a verified email: the
// triggers vouch for the address, the challenge sends a code there, and
// the right code answers it and sets the address up at stepup.
func TestCognitoCustomAuthWithAVouchedEmail(t *testing.T) {
	mb := delivertest.StartMailbox(t)
	delivery := fmt.Sprintf("delivery:\n  email: {smtp: %q, from: \"Pool <no-reply@pool.test>\", security: plaintext}\n", mb.Addr)
	ts := startTrackServerWith(t, cognitoSignInRules, delivery)
	p := newCognitoPool(t, ts, true)
	s := signIn{p: p, user: "8e1b5f3c-1f0e-4d7a-9c2b-6a7d2e9f4b10", client: "risky-client",
		attemptID: "1e2d3c4b-5a69-4788-9900-aabbccddeeff", email: "erin@example.com"}
	if r := s.define(srpAndPassword); r.ChallengeName != "CUSTOM_CHALLENGE" {
		t.Fatalf("define: %+v", r)
	}
	c, err := s.create(srpAndPassword)
	if err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	a := &attempt{rp: ts.browser(jar)}
	a.openChallenge(c.PublicChallengeParameters["url"])
	a.submit("/stepup/send", url.Values{"method": {"EMAIL_OTP"}, "vouched": {"1"}})
	a.submit("/stepup/verify", url.Values{"method": {"EMAIL_OTP"}, "vouched": {"1"}, "challenge": {challengeOf(t, a.body)},
		"code": {codeFrom(t, mb.Wait(t, "erin@example.com", 1).Text)}})
	if a.callback == nil {
		t.Fatalf("after the code: %v\n%.1500s", a.page, a.body)
	}
	if !s.verify(c.PrivateChallengeParameters, a.callback.Query().Get("token")) {
		t.Fatal("the valid answer was refused")
	}
	if r := s.define(history(custom(c.ChallengeMetadata, true))); !r.IssueTokens {
		t.Fatalf("define after the challenge: %+v", r)
	}
	if _, usr := ts.call("GET", "/v1/users/"+s.user, ts.serverKey, nil); !sameStrings(usr["enrolledMethods"], "EMAIL_OTP") {
		t.Errorf("the user after the code: %v", usr)
	}
}

// A user who cancels the hosted challenge comes back to the app with a
// validation token of this very challenge, of CHALLENGE_FAILED: Verify
// refuses it, and the sign-in has no challenge left to present.
func TestCognitoCancelledChallenge(t *testing.T) {
	ts := startTrackServerWith(t, cognitoSignInRules, "")
	user := registerLocalUser(t, ts.issuer, "erik") // a password, no factor
	s := signIn{p: newCognitoPool(t, ts, false), user: user, client: "risky-client", attemptID: "7a6b5c4d-3e2f-4a1b-8c9d-000000000001"}
	if r := s.define(srpAndPassword); r.ChallengeName != "CUSTOM_CHALLENGE" {
		t.Fatalf("define: %+v", r)
	}
	c, err := s.create(srpAndPassword)
	if err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	a := &attempt{rp: ts.browser(jar)}
	a.openChallenge(c.PublicChallengeParameters["url"])
	a.submit("/stepup", url.Values{"action": {"cancel"}})
	if a.callback == nil || a.callback.Query().Get("token") == "" {
		t.Fatalf("after cancelling: %v\n%.1500s", a.page, a.body)
	}
	if s.verify(c.PrivateChallengeParameters, a.callback.Query().Get("token")) {
		t.Error("the token of a cancelled challenge was accepted")
	}
	if r := s.define(history(custom(c.ChallengeMetadata, false))); r.ChallengeName != "CUSTOM_CHALLENGE" {
		t.Fatalf("define after the wrong answer: %+v", r)
	}
	if _, err := s.create(history(custom(c.ChallengeMetadata, false))); err == nil {
		t.Error("create presented the cancelled challenge again")
	}
}
