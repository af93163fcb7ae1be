package cognito

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// hist builds a session history from "NAME:ok" / "NAME:no" entries, with
// stepup's metadata on custom challenges unless written "NAME:ok:meta".
func hist(entries ...string) []*events.CognitoEventUserPoolsChallengeResult {
	var out []*events.CognitoEventUserPoolsChallengeResult
	for _, e := range entries {
		if e == "nil" {
			out = append(out, nil)
			continue
		}
		parts := strings.Split(e, ":")
		c := &events.CognitoEventUserPoolsChallengeResult{ChallengeName: parts[0], ChallengeResult: parts[1] == "ok"}
		if c.ChallengeName == challengeCustom {
			c.ChallengeMetadata = ChallengeMetadata
		}
		if len(parts) > 2 {
			c.ChallengeMetadata = parts[2]
		}
		out = append(out, c)
	}
	return out
}

// Every history shape Define can see, and what comes next.
func TestNextStep(t *testing.T) {
	const srp, pw, pwBad, cc, ccOK = "SRP_A:ok", "PASSWORD_VERIFIER:ok", "PASSWORD_VERIFIER:no", "CUSTOM_CHALLENGE:no", "CUSTOM_CHALLENGE:ok"
	for _, tc := range []struct {
		name    string
		session []string
		want    step
	}{
		{"empty: no first factor", nil, stepFail},
		{"SRP_A", []string{srp}, stepPassword},
		{"SRP_A not ok: the password verifier still decides", []string{"SRP_A:no"}, stepPassword},
		{"the password verified", []string{srp, pw}, stepDecide},
		{"the password failed", []string{srp, pwBad}, stepFail},
		{"a password verifier without SRP", []string{pw}, stepFail},
		{"custom auth without a password", []string{cc}, stepFail},
		{"SRP_A twice", []string{srp, srp}, stepFail},
		{"a nil entry", []string{srp, "nil"}, stepFail},
		{"a nil first entry", []string{"nil", pw}, stepFail},
		{"the challenge met", []string{srp, pw, ccOK}, stepIssueTokens},
		{"the challenge not met", []string{srp, pw, cc}, stepChallengeMore},
		{"met on the second try", []string{srp, pw, cc, ccOK}, stepIssueTokens},
		{"met on the third try", []string{srp, pw, cc, cc, ccOK}, stepIssueTokens},
		{"not met three times", []string{srp, pw, cc, cc, cc}, stepFail},
		{"more than three", []string{srp, pw, cc, cc, cc, ccOK}, stepFail},
		{"met, then more", []string{srp, pw, ccOK, cc}, stepFail},
		{"met twice", []string{srp, pw, ccOK, ccOK}, stepFail},
		{"another team's custom challenge", []string{srp, pw, "CUSTOM_CHALLENGE:ok:CAPTCHA"}, stepFail},
		{"a custom challenge without metadata", []string{srp, pw, "CUSTOM_CHALLENGE:ok:"}, stepFail},
		{"SMS MFA after the password", []string{srp, pw, "SMS_MFA:ok"}, stepFail},
		{"device SRP after the password", []string{srp, pw, "DEVICE_SRP_AUTH:ok", "DEVICE_PASSWORD_VERIFIER:ok"}, stepFail},
		{"a failed password, then the challenge", []string{srp, pwBad, ccOK}, stepFail},
		{"our metadata on a non-custom challenge", []string{srp, pw, "SMS_MFA:ok:" + ChallengeMetadata}, stepFail},
		{"lower-case names", []string{"srp_a:ok", "password_verifier:ok"}, stepFail},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := next(hist(tc.session...), 3); got != tc.want {
				t.Errorf("%v: %v, want %v", tc.session, got, tc.want)
			}
		})
	}
}

// Documented example events decode into the types, and their histories
// mean what they should.
func TestNextStepOfDocumentedEvents(t *testing.T) {
	var ev events.CognitoEventUserPoolsDefineAuthChallenge
	if err := json.Unmarshal([]byte(`{"version":"1","triggerSource":"DefineAuthChallenge_Authentication","request":{"userAttributes":{"sub":"s"},
		"session":[{"challengeName":"SRP_A","challengeResult":true,"challengeMetadata":""},
		{"challengeName":"PASSWORD_VERIFIER","challengeResult":true,"challengeMetadata":""},
		{"challengeName":"CUSTOM_CHALLENGE","challengeResult":true,"challengeMetadata":"STEPUP_CHALLENGE"}],
		"clientMetadata":{},"userNotFound":false},"response":{}}`), &ev); err != nil {
		t.Fatal(err)
	}
	if got := next(ev.Request.Session, 3); got != stepIssueTokens {
		t.Errorf("SRP_A, PASSWORD_VERIFIER, CUSTOM_CHALLENGE met: %v", got)
	}
}

// A history read from any JSON never panics, and issues tokens only for
// the one shape that may.
func FuzzNextStep(f *testing.F) {
	f.Add(`[{"challengeName":"SRP_A","challengeResult":true},{"challengeName":"PASSWORD_VERIFIER","challengeResult":true},{"challengeName":"CUSTOM_CHALLENGE","challengeResult":true,"challengeMetadata":"STEPUP_CHALLENGE"}]`, 3)
	f.Add(`[null,{"challengeName":"PASSWORD_VERIFIER"}]`, 1)
	f.Add(`[]`, 0)
	f.Fuzz(func(t *testing.T, data string, max int) {
		var s []*events.CognitoEventUserPoolsChallengeResult
		if json.Unmarshal([]byte(data), &s) != nil {
			return
		}
		if next(s, max) != stepIssueTokens {
			return
		}
		last := s[len(s)-1]
		if len(s) < 3 || s[0].ChallengeName != challengeSRPA || s[1].ChallengeName != challengePasswordVerifier || !s[1].ChallengeResult ||
			last.ChallengeName != challengeCustom || !last.ChallengeResult || last.ChallengeMetadata != ChallengeMetadata || len(s)-2 > max {
			t.Fatalf("tokens for %s", data)
		}
		for _, c := range s[2 : len(s)-1] {
			if c.ChallengeResult || c.ChallengeName != challengeCustom {
				t.Fatalf("tokens for %s", data)
			}
		}
	})
}

func TestParseAttemptAndAnswer(t *testing.T) {
	for _, tc := range []struct {
		meta map[string]string
		ok   bool
	}{
		{map[string]string{AttemptKey: "0b7f2d0e-4a8c-4f7e-9a51-2a9f1c3e7d10"}, true},
		{map[string]string{AttemptKey: strings.Repeat("a", 128)}, true},
		{map[string]string{AttemptKey: strings.Repeat("a", 129)}, false},
		{map[string]string{AttemptKey: "short"}, false},
		{map[string]string{AttemptKey: "0b7f2d0e/4a8c/4f7e/9a51"}, false},
		{map[string]string{AttemptKey: ""}, false},
		{map[string]string{"other": "0b7f2d0e-4a8c-4f7e-9a51"}, false},
		{nil, false},
	} {
		if _, err := parseAttempt(tc.meta); (err == nil) != tc.ok {
			t.Errorf("%v: %v", tc.meta, err)
		}
	}
	for _, tc := range []struct {
		answer any
		ok     bool
	}{
		{"eyJpZCI6IjAxSiJ9.Zm9v-YmFy_YmF6", true},
		{"a+b/c=", false}, // standard base64 is not stepup's
		{strings.Repeat("a", 512), true},
		{"", false},
		{"a b", false},
		{"a\n", false},
		{strings.Repeat("a", 513), false},
		{12345, false},
		{nil, false},
		{map[string]any{"token": "x"}, false},
	} {
		if _, err := parseAnswer(tc.answer); (err == nil) != tc.ok {
			t.Errorf("%#v: %v", tc.answer, err)
		}
	}
}

func FuzzParseAttempt(f *testing.F) {
	f.Add("0b7f2d0e-4a8c-4f7e-9a51-2a9f1c3e7d10")
	f.Add("../../v1/validate")
	f.Fuzz(func(t *testing.T, a string) {
		got, err := parseAttempt(map[string]string{AttemptKey: a})
		if err != nil {
			return
		}
		if got != a || len(a) < 16 || len(a) > 128 || strings.ContainsAny(a, "/?#% \x00") {
			t.Fatalf("accepted %q", a)
		}
		// The key it makes is one the track API takes.
		if k := idempotencyKey("pool", "client", got); !userIDPattern.MatchString(k) {
			t.Fatalf("key %q", k)
		}
	})
}

func FuzzParseAnswer(f *testing.F) {
	f.Add(`"eyJhbGciOi.x-y"`)
	f.Add(`{"token":"x"}`)
	f.Add(`null`)
	f.Fuzz(func(t *testing.T, data string) {
		var v any
		if json.Unmarshal([]byte(data), &v) != nil {
			return
		}
		got, err := parseAnswer(v)
		if err == nil && (got == "" || len(got) > 512 || strings.ContainsAny(got, " \t\r\n\x00\"")) {
			t.Fatalf("accepted %q", got)
		}
	})
}

// The key of an attempt differs with the pool, the client and the attempt.
func TestIdempotencyKey(t *testing.T) {
	k := idempotencyKey("pool", "client", "attempt-0123456789")
	for _, other := range []string{
		idempotencyKey("pool2", "client", "attempt-0123456789"),
		idempotencyKey("pool", "client2", "attempt-0123456789"),
		idempotencyKey("pool", "client", "attempt-0123456780"),
		idempotencyKey("poolc", "lient", "attempt-0123456789"),
	} {
		if other == k {
			t.Errorf("the same key %s", k)
		}
	}
	if k != idempotencyKey("pool", "client", "attempt-0123456789") || !strings.HasPrefix(k, "cognito-") || len(k) != 40 {
		t.Errorf("key %s", k)
	}
}
