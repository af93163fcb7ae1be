package cognito

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

const (
	testKey     = "su_server_test_secret"
	testAttempt = "0b7f2d0e-4a8c-4f7e-9a51-2a9f1c3e7d10"
)

// fakeStepup answers the track API as configured, and records the calls.
type fakeStepup struct {
	mu         sync.Mutex
	recorded   bool           // GET of the record: 200, else 404
	decision   map[string]any // POST track's answer
	status     int            // non-zero: every call answers this status
	raw        string         // non-empty: every call answers this body
	validation map[string]any
	calls      []string
	bodies     []map[string]any
}

func (f *fakeStepup) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, r.Method+" "+r.URL.Path)
	if r.Header.Get("Authorization") != "Bearer "+testKey {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var body map[string]any
	data, _ := io.ReadAll(r.Body)
	_ = json.Unmarshal(data, &body)
	f.bodies = append(f.bodies, body)
	switch {
	case f.status != 0:
		w.WriteHeader(f.status)
		_, _ = io.WriteString(w, `{"error":{"code":"internal","message":"stepup could not answer"}}`)
		return
	case f.raw != "":
		_, _ = io.WriteString(w, f.raw)
		return
	}
	var out any
	switch {
	case r.Method == "GET" && strings.Count(r.URL.Path, "/") == 6:
		if !f.recorded {
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `{"error":{"code":"not_found","message":"no such user or action"}}`)
			return
		}
		out = map[string]any{"state": "ALLOW"}
	case r.Method == "POST" && r.URL.Path == "/v1/validate":
		out = f.validation
	case r.Method == "POST":
		out = f.decision
	}
	_ = json.NewEncoder(w).Encode(out)
}

func (f *fakeStepup) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func newHandler(t *testing.T, url string, tweak func(*Config)) *Handler {
	t.Helper()
	c := Config{StepupURL: url, APIKey: testKey, RedirectURL: "https://app.example/stepup-done",
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if tweak != nil {
		tweak(&c)
	}
	h, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func header(trigger string) events.CognitoEventUserPoolsHeader {
	return events.CognitoEventUserPoolsHeader{Version: "1", TriggerSource: trigger, Region: "us-west-2",
		UserPoolID: "us-west-2_pool", UserName: "carl",
		CallerContext: events.CognitoEventUserPoolsCallerContext{AWSSDKVersion: "aws-sdk-unknown-unknown", ClientID: "client1"}}
}

var testAttrs = map[string]string{"sub": "user-42", "email": "carl@example.com", "email_verified": "true",
	"phone_number": "+4915112345678", "phone_number_verified": "false"}

func defineEvent(session ...string) events.CognitoEventUserPoolsDefineAuthChallenge {
	return events.CognitoEventUserPoolsDefineAuthChallenge{CognitoEventUserPoolsHeader: header(TriggerDefine),
		Request: events.CognitoEventUserPoolsDefineAuthChallengeRequest{UserAttributes: testAttrs, Session: hist(session...),
			ClientMetadata: map[string]string{AttemptKey: testAttempt}}}
}

var challenge = map[string]any{"state": "CHALLENGE_REQUIRED", "actionId": "act-1", "idempotencyKey": "k",
	"url": "https://stepup.example/challenge?token=ct", "token": "ct"}

// Define after the password: stepup's decision, and a sign-in that fails
// closed whenever stepup does not say ALLOW or CHALLENGE_REQUIRED.
func TestDefineAsksStepup(t *testing.T) {
	type want struct {
		challenge     string
		tokens, fails bool
	}
	for _, tc := range []struct {
		name  string
		fake  *fakeStepup
		event func(*events.CognitoEventUserPoolsDefineAuthChallenge)
		want  want
		calls int // calls to stepup
	}{
		{"ALLOW issues tokens", &fakeStepup{decision: map[string]any{"state": "ALLOW"}}, nil, want{tokens: true}, 2},
		{"CHALLENGE_REQUIRED is the custom challenge", &fakeStepup{decision: challenge}, nil, want{challenge: "CUSTOM_CHALLENGE"}, 2},
		{"BLOCK fails", &fakeStepup{decision: map[string]any{"state": "BLOCK"}}, nil, want{fails: true}, 2},
		{"REVIEW_REQUIRED fails", &fakeStepup{decision: map[string]any{"state": "REVIEW_REQUIRED"}}, nil, want{fails: true}, 2},
		{"a challenge with no url fails", &fakeStepup{decision: map[string]any{"state": "CHALLENGE_REQUIRED"}}, nil, want{fails: true}, 2},
		{"an unknown state fails", &fakeStepup{decision: map[string]any{"state": "MAYBE"}}, nil, want{fails: true}, 2},
		{"no state fails", &fakeStepup{decision: map[string]any{}}, nil, want{fails: true}, 2},
		{"stepup's 500 fails", &fakeStepup{status: 500}, nil, want{fails: true}, 1},
		{"stepup's 401 fails", &fakeStepup{status: 401}, nil, want{fails: true}, 1},
		{"an answer that is not JSON fails", &fakeStepup{raw: "<html>ok</html>"}, nil, want{fails: true}, 1},
		{"a used attempt id fails, with no decision", &fakeStepup{recorded: true, decision: map[string]any{"state": "ALLOW"}}, nil, want{fails: true}, 1},
		{"no attempt id fails", &fakeStepup{decision: map[string]any{"state": "ALLOW"}},
			func(e *events.CognitoEventUserPoolsDefineAuthChallenge) { e.Request.ClientMetadata = nil }, want{fails: true}, 0},
		{"no sub fails", &fakeStepup{decision: map[string]any{"state": "ALLOW"}},
			func(e *events.CognitoEventUserPoolsDefineAuthChallenge) {
				e.Request.UserAttributes = map[string]string{"email": "carl@example.com"}
			}, want{fails: true}, 0},
		{"a user not found fails", &fakeStepup{decision: map[string]any{"state": "ALLOW"}},
			func(e *events.CognitoEventUserPoolsDefineAuthChallenge) { e.Request.UserNotFound = true }, want{fails: true}, 0},
		{"a response set by the caller is replaced", &fakeStepup{decision: map[string]any{"state": "BLOCK"}},
			func(e *events.CognitoEventUserPoolsDefineAuthChallenge) { e.Response.IssueTokens = true }, want{fails: true}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.fake)
			defer srv.Close()
			ev := defineEvent("SRP_A:ok", "PASSWORD_VERIFIER:ok")
			if tc.event != nil {
				tc.event(&ev)
			}
			out, err := newHandler(t, srv.URL, nil).Define(context.Background(), ev)
			got := want{out.Response.ChallengeName, out.Response.IssueTokens, out.Response.FailAuthentication}
			if err != nil || got != tc.want {
				t.Errorf("%+v %v, want %+v", got, err, tc.want)
			}
			if calls := tc.fake.Calls(); len(calls) != tc.calls {
				t.Errorf("calls %v, want %d", calls, tc.calls)
			}
		})
	}
}

// stepup out of reach fails the sign-in: it never issues tokens.
func TestDefineFailsClosedWhenStepupIsDown(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	out, err := newHandler(t, url, nil).Define(context.Background(), defineEvent("SRP_A:ok", "PASSWORD_VERIFIER:ok"))
	if err != nil || out.Response.IssueTokens || !out.Response.FailAuthentication || out.Response.ChallengeName != "" {
		t.Errorf("stepup down: %+v %v", out.Response, err)
	}
}

// The shapes Define answers without stepup.
func TestDefineWithoutStepup(t *testing.T) {
	fake := &fakeStepup{}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	h := newHandler(t, srv.URL, nil)
	for _, tc := range []struct {
		session          []string
		challenge        string
		tokens, fails    bool
		withoutAttemptID bool
	}{
		{session: []string{"SRP_A:ok"}, challenge: "PASSWORD_VERIFIER"},
		{session: []string{"SRP_A:ok", "PASSWORD_VERIFIER:ok", "CUSTOM_CHALLENGE:ok"}, tokens: true},
		{session: []string{"SRP_A:ok", "PASSWORD_VERIFIER:ok", "CUSTOM_CHALLENGE:no"}, challenge: "CUSTOM_CHALLENGE"},
		{session: []string{"SRP_A:ok", "PASSWORD_VERIFIER:ok", "CUSTOM_CHALLENGE:no", "CUSTOM_CHALLENGE:no", "CUSTOM_CHALLENGE:no"}, fails: true},
		{session: []string{"SRP_A:ok", "PASSWORD_VERIFIER:no"}, fails: true},
		{session: nil, fails: true},
		{session: []string{"SRP_A:ok", "PASSWORD_VERIFIER:ok", "CUSTOM_CHALLENGE:ok:CAPTCHA"}, fails: true},
	} {
		out, err := h.Define(context.Background(), defineEvent(tc.session...))
		r := out.Response
		if err != nil || r.ChallengeName != tc.challenge || r.IssueTokens != tc.tokens || r.FailAuthentication != tc.fails {
			t.Errorf("%v: %+v %v", tc.session, r, err)
		}
	}
	// A user Cognito did not find goes on to the password verifier like
	// any other, so the sign-in does not tell that the user does not
	// exist, and fails after it.
	ev := defineEvent("SRP_A:ok")
	ev.Request.UserNotFound = true
	if out, _ := h.Define(context.Background(), ev); out.Response.ChallengeName != "PASSWORD_VERIFIER" || out.Response.FailAuthentication {
		t.Errorf("SRP_A of a user not found: %+v", out.Response)
	}
	ev = defineEvent("SRP_A:ok", "PASSWORD_VERIFIER:ok", "CUSTOM_CHALLENGE:ok")
	ev.Request.UserNotFound = true
	if out, _ := h.Define(context.Background(), ev); !out.Response.FailAuthentication || out.Response.IssueTokens {
		t.Errorf("a met challenge of a user not found: %+v", out.Response)
	}
	if calls := fake.Calls(); len(calls) != 0 {
		t.Errorf("calls to stepup: %v", calls)
	}
}

// Define and Create of one attempt make the same track call, with the
// attempt's key; the email goes along only when Cognito verified it.
func TestDefineAndCreateShareOneTrackCall(t *testing.T) {
	fake := &fakeStepup{decision: challenge}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	h := newHandler(t, srv.URL, func(c *Config) { c.VouchEmail, c.VouchPhone = true, true })
	if out, _ := h.Define(context.Background(), defineEvent("SRP_A:ok", "PASSWORD_VERIFIER:ok")); out.Response.ChallengeName != "CUSTOM_CHALLENGE" {
		t.Fatalf("define: %+v", out.Response)
	}
	create := events.CognitoEventUserPoolsCreateAuthChallenge{CognitoEventUserPoolsHeader: header(TriggerCreate),
		Request: events.CognitoEventUserPoolsCreateAuthChallengeRequest{UserAttributes: testAttrs, ChallengeName: "CUSTOM_CHALLENGE",
			Session: hist("SRP_A:ok", "PASSWORD_VERIFIER:ok"), ClientMetadata: map[string]string{AttemptKey: testAttempt}}}
	out, err := h.Create(context.Background(), create)
	if err != nil {
		t.Fatal(err)
	}
	key := idempotencyKey("us-west-2_pool", "client1", testAttempt)
	r := out.Response
	if r.PublicChallengeParameters["url"] != challenge["url"] || r.PublicChallengeParameters["token"] != "ct" || len(r.PublicChallengeParameters) != 2 ||
		r.PrivateChallengeParameters["idempotencyKey"] != key || r.PrivateChallengeParameters["userId"] != "user-42" ||
		r.PrivateChallengeParameters["action"] != "signIn" || r.PrivateChallengeParameters["actionId"] != "act-1" || r.ChallengeMetadata != challengeMetadata(key) {
		t.Fatalf("create: %+v", r)
	}
	calls := fake.Calls()
	want := []string{"GET /v1/users/user-42/actions/signIn/" + key, "POST /v1/users/user-42/actions/signIn", "POST /v1/users/user-42/actions/signIn"}
	if strings.Join(calls, "\n") != strings.Join(want, "\n") {
		t.Fatalf("calls %v, want %v", calls, want)
	}
	def, cre := fake.bodies[1], fake.bodies[2]
	db, _ := json.Marshal(def)
	cb, _ := json.Marshal(cre)
	if string(db) != string(cb) || def["idempotencyKey"] != key || def["email"] != "carl@example.com" || def["phoneNumber"] != nil ||
		def["redirectUrl"] != "https://app.example/stepup-done" {
		t.Fatalf("the track bodies: define %s, create %s", db, cb)
	}
}

func TestCreateRefuses(t *testing.T) {
	base := events.CognitoEventUserPoolsCreateAuthChallenge{CognitoEventUserPoolsHeader: header(TriggerCreate),
		Request: events.CognitoEventUserPoolsCreateAuthChallengeRequest{UserAttributes: testAttrs, ChallengeName: "CUSTOM_CHALLENGE",
			Session: hist("SRP_A:ok", "PASSWORD_VERIFIER:ok"), ClientMetadata: map[string]string{AttemptKey: testAttempt}}}
	for _, tc := range []struct {
		name  string
		fake  *fakeStepup
		event func(*events.CognitoEventUserPoolsCreateAuthChallenge)
	}{
		{"stepup's 500", &fakeStepup{status: 500}, nil},
		{"a record no longer waiting", &fakeStepup{decision: map[string]any{"state": "CHALLENGE_SUCCEEDED"}}, nil},
		{"an ALLOW", &fakeStepup{decision: map[string]any{"state": "ALLOW"}}, nil},
		{"a challenge without token", &fakeStepup{decision: map[string]any{"state": "CHALLENGE_REQUIRED", "url": "https://x"}}, nil},
		{"another challenge name", &fakeStepup{decision: challenge}, func(e *events.CognitoEventUserPoolsCreateAuthChallenge) { e.Request.ChallengeName = "SMS_MFA" }},
		{"a history that does not call for it", &fakeStepup{decision: challenge}, func(e *events.CognitoEventUserPoolsCreateAuthChallenge) {
			e.Request.Session = hist("SRP_A:ok", "PASSWORD_VERIFIER:no")
		}},
		{"no attempt id", &fakeStepup{decision: challenge}, func(e *events.CognitoEventUserPoolsCreateAuthChallenge) { e.Request.ClientMetadata = nil }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.fake)
			defer srv.Close()
			ev := base
			if tc.event != nil {
				tc.event(&ev)
			}
			out, err := newHandler(t, srv.URL, nil).Create(context.Background(), ev)
			if err == nil || out.Response.PublicChallengeParameters != nil {
				t.Errorf("%+v %v, want an error", out.Response, err)
			}
			if err != nil && err.Error() != errCreate.Error() {
				t.Errorf("the error Cognito shows: %q", err)
			}
		})
	}
}

// Verify says correct only for stepup's CHALLENGE_SUCCEEDED of this
// user's challenge of this attempt.
func TestVerify(t *testing.T) {
	key := idempotencyKey("us-west-2_pool", "client1", testAttempt)
	good := map[string]any{"isValid": true, "state": "CHALLENGE_SUCCEEDED", "actionId": "act-1", "userId": "user-42",
		"action": "signIn", "idempotencyKey": key, "verificationMethod": "TOTP", "acr": "urn:stepup:acr:mfa"}
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for kk, vv := range good {
			m[kk] = vv
		}
		m[k] = v
		return m
	}
	private := map[string]string{"userId": "user-42", "action": "signIn", "idempotencyKey": key, "actionId": "act-1"}
	for _, tc := range []struct {
		name   string
		fake   *fakeStepup
		event  func(*events.CognitoEventUserPoolsVerifyAuthChallenge)
		answer bool
	}{
		{"stepup's success", &fakeStepup{validation: good}, nil, true},
		{"not valid (used, expired, made up)", &fakeStepup{validation: map[string]any{"isValid": false}}, nil, false},
		{"valid but failed", &fakeStepup{validation: with("state", "CHALLENGE_FAILED")}, nil, false},
		{"isValid false with a success state", &fakeStepup{validation: with("isValid", false)}, nil, false},
		{"another user's", &fakeStepup{validation: with("userId", "user-43")}, nil, false},
		{"another action's", &fakeStepup{validation: with("action", "payment")}, nil, false},
		{"another attempt's", &fakeStepup{validation: with("idempotencyKey", "cognito-0000")}, nil, false},
		{"another record's", &fakeStepup{validation: with("actionId", "act-2")}, nil, false},
		{"stepup's 500", &fakeStepup{status: 500, validation: good}, nil, false},
		{"the challenge of another Cognito user", &fakeStepup{validation: good}, func(e *events.CognitoEventUserPoolsVerifyAuthChallenge) {
			e.Request.UserAttributes = map[string]string{"sub": "user-43"}
		}, false},
		{"not stepup's challenge", &fakeStepup{validation: good}, func(e *events.CognitoEventUserPoolsVerifyAuthChallenge) {
			e.Request.PrivateChallengeParameters = map[string]string{"answer": "42"}
		}, false},
		{"an answer that is not a token", &fakeStepup{validation: good}, func(e *events.CognitoEventUserPoolsVerifyAuthChallenge) {
			e.Request.ChallengeAnswer = map[string]any{"token": "vt.sig"}
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.fake)
			defer srv.Close()
			ev := events.CognitoEventUserPoolsVerifyAuthChallenge{CognitoEventUserPoolsHeader: header(TriggerVerify),
				Request: events.CognitoEventUserPoolsVerifyAuthChallengeRequest{UserAttributes: testAttrs,
					PrivateChallengeParameters: private, ChallengeAnswer: "vt.sig"}}
			if tc.event != nil {
				tc.event(&ev)
			}
			out, err := newHandler(t, srv.URL, nil).Verify(context.Background(), ev)
			if err != nil || out.Response.AnswerCorrect != tc.answer {
				t.Errorf("answerCorrect %v %v, want %v", out.Response.AnswerCorrect, err, tc.answer)
			}
		})
	}
	// stepup out of reach: wrong.
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	ev := events.CognitoEventUserPoolsVerifyAuthChallenge{CognitoEventUserPoolsHeader: header(TriggerVerify),
		Request: events.CognitoEventUserPoolsVerifyAuthChallengeRequest{UserAttributes: testAttrs, PrivateChallengeParameters: private, ChallengeAnswer: "vt.sig"}}
	if out, err := newHandler(t, url, nil).Verify(context.Background(), ev); err != nil || out.Response.AnswerCorrect {
		t.Errorf("stepup down: %v %v", out.Response.AnswerCorrect, err)
	}
}

// Handle dispatches on the trigger source and refuses the others.
func TestHandleDispatches(t *testing.T) {
	h := newHandler(t, "http://127.0.0.1:1", nil)
	out, err := h.Handle(context.Background(), json.RawMessage(`{"triggerSource":"DefineAuthChallenge_Authentication","request":{"session":[{"challengeName":"SRP_A","challengeResult":true}]}}`))
	if d, ok := out.(events.CognitoEventUserPoolsDefineAuthChallenge); err != nil || !ok || d.Response.ChallengeName != "PASSWORD_VERIFIER" {
		t.Errorf("define: %#v %v", out, err)
	}
	for _, raw := range []string{`{"triggerSource":"PreSignUp_SignUp"}`, `[]`, `{"triggerSource":"CreateAuthChallenge_Authentication","request":{"session":7}}`} {
		if _, err := h.Handle(context.Background(), json.RawMessage(raw)); err == nil {
			t.Errorf("%s: no error", raw)
		}
	}
}

func TestNewRefuses(t *testing.T) {
	for name, c := range map[string]Config{
		"no key":           {StepupURL: "https://stepup.example", RedirectURL: "https://app.example/x"},
		"http":             {StepupURL: "http://stepup.example", APIKey: testKey, RedirectURL: "https://app.example/x"},
		"no redirect":      {StepupURL: "https://stepup.example", APIKey: testKey},
		"a bad action":     {StepupURL: "https://stepup.example", APIKey: testKey, RedirectURL: "https://app.example/x", Action: "sign in"},
		"too many retries": {StepupURL: "https://stepup.example", APIKey: testKey, RedirectURL: "https://app.example/x", MaxChallenges: 11},
		"a URL with query": {StepupURL: "https://stepup.example/?a=b", APIKey: testKey, RedirectURL: "https://app.example/x"},
	} {
		if _, err := New(c); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// An address Cognito has not verified is not vouched for: whoever signed
// up with it may not own it.
func TestUnverifiedAddressesAreNotVouched(t *testing.T) {
	fake := &fakeStepup{decision: map[string]any{"state": "ALLOW"}}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	h := newHandler(t, srv.URL, func(c *Config) { c.VouchEmail, c.VouchPhone = true, true })
	ev := defineEvent("SRP_A:ok", "PASSWORD_VERIFIER:ok")
	ev.Request.UserAttributes = map[string]string{"sub": "user-42", "email": "carl@example.com", "email_verified": "false",
		"phone_number": "+4915112345678"}
	if out, _ := h.Define(context.Background(), ev); !out.Response.IssueTokens {
		t.Fatalf("define: %+v", out.Response)
	}
	if body := fake.bodies[1]; body["email"] != nil || body["phoneNumber"] != nil {
		t.Errorf("the track body vouches for unverified addresses: %v", body)
	}
}

// A challenge presented again is the attempt's own record: an app that
// answers wrong and then sends another attempt id (one of an earlier
// sign-in, whose challenge still waits, perhaps at a lower level) gets no
// other record's challenge, which Define never looked at for this
// attempt.
func TestCreateAgainKeepsTheAttempt(t *testing.T) {
	fake := &fakeStepup{decision: challenge}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	h := newHandler(t, srv.URL, nil)
	ev := events.CognitoEventUserPoolsCreateAuthChallenge{CognitoEventUserPoolsHeader: header(TriggerCreate),
		Request: events.CognitoEventUserPoolsCreateAuthChallengeRequest{UserAttributes: testAttrs, ChallengeName: "CUSTOM_CHALLENGE",
			Session: hist("SRP_A:ok", "PASSWORD_VERIFIER:ok"), ClientMetadata: map[string]string{AttemptKey: testAttempt}}}
	first, err := h.Create(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	// The answer was wrong; Define presents the challenge again.
	again := ev
	again.Request.Session = append(hist("SRP_A:ok", "PASSWORD_VERIFIER:ok"),
		&events.CognitoEventUserPoolsChallengeResult{ChallengeName: challengeCustom, ChallengeMetadata: first.Response.ChallengeMetadata})
	if d, _ := h.Define(context.Background(), events.CognitoEventUserPoolsDefineAuthChallenge{CognitoEventUserPoolsHeader: header(TriggerDefine),
		Request: events.CognitoEventUserPoolsDefineAuthChallengeRequest{UserAttributes: testAttrs, Session: again.Request.Session}}); d.Response.ChallengeName != challengeCustom {
		t.Fatalf("define after a wrong answer: %+v", d.Response)
	}
	if _, err := h.Create(context.Background(), again); err != nil {
		t.Fatalf("the same attempt's challenge again: %v", err)
	}
	other := again
	other.Request.ClientMetadata = map[string]string{AttemptKey: "an-earlier-attempt-0001"}
	if out, err := h.Create(context.Background(), other); err == nil {
		t.Fatalf("another attempt id's challenge was presented: %+v", out.Response)
	}
}
