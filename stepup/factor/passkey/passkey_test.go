package passkey_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/descope/virtualwebauthn"
	"github.com/google/uuid"

	"github.com/stepup-auth/stepup/stepup/factor"
	"github.com/stepup-auth/stepup/stepup/factor/factortest"
	"github.com/stepup-auth/stepup/stepup/factor/passkey"
	"github.com/stepup-auth/stepup/stepup/store"
	"github.com/stepup-auth/stepup/stepup/store/conformance"
)

func TestFactorSuite(t *testing.T) {
	clock := conformance.NewClockAt(time.Now())
	devices := map[string]*device{} // by user id, the device last enrolled
	answer := func(t *testing.T, u *store.User, p factor.Prompt) factor.Answer {
		return factor.Answer{ChallengeID: p.ChallengeID, Response: devices[u.ID].get(t, p)}
	}
	factortest.Run(t, factortest.Harness{
		New: func(t *testing.T, st store.Store) factor.Factor {
			return newFactor(t, st, clock.Now, &bytes.Buffer{}, nil)
		},
		Enroll: func(t *testing.T, f factor.Factor, u *store.User) {
			d := newDevice(virtualwebauthn.AuthenticatorOptions{})
			ctx := context.Background()
			tg := factor.Target{UserID: u.ID, FlowID: "enroll"}
			p, err := f.(*passkey.Factor).BeginEnroll(ctx, u, tg)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.(*passkey.Factor).FinishEnroll(ctx, u, tg, factor.Answer{ChallengeID: p.ChallengeID, Response: d.create(t, p)}); err != nil {
				t.Fatal(err)
			}
			devices[u.ID] = d
		},
		Answer: answer,
		Wrong: func(t *testing.T, u *store.User, p factor.Prompt) factor.Answer {
			// The right credential id, signed by another key.
			d := *devices[u.ID]
			d.cred = newCredential()
			d.cred.ID = devices[u.ID].cred.ID
			d.cred.Counter = devices[u.ID].cred.Counter
			return factor.Answer{ChallengeID: p.ChallengeID, Response: d.get(t, p)}
		},
		Now:     clock.Now,
		Advance: clock.Advance,
	})
}

func TestNewRefusesBadOptions(t *testing.T) {
	st := factortest.NewStore(t, nil)
	good := func() passkey.Options {
		return passkey.Options{
			Authenticators: st.Authenticators(), Challenges: st.Challenges(), Users: st.Users(),
			RPID: rpID, RPOrigins: []string{origin}, RPDisplayName: "stepup",
		}
	}
	if _, err := passkey.New(good()); err != nil {
		t.Fatalf("good options: %v", err)
	}
	for _, tc := range []struct {
		name string
		mod  func(*passkey.Options)
		want string
	}{
		{"NoStore", func(o *passkey.Options) { o.Challenges = nil }, "Challenges"},
		{"NoRPID", func(o *passkey.Options) { o.RPID = "" }, "RPID is required"},
		{"IPAsRPID", func(o *passkey.Options) { o.RPID = "127.0.0.1" }, "not a domain"},
		{"NoOrigins", func(o *passkey.Options) { o.RPOrigins = nil }, "RPOrigins needs"},
		{"OriginWithPath", func(o *passkey.Options) { o.RPOrigins = []string{"https://example.com/login"} }, "not an origin"},
		{"OriginWithoutScheme", func(o *passkey.Options) { o.RPOrigins = []string{"localhost:8443"} }, "not an origin"},
		{"NoDisplayName", func(o *passkey.Options) { o.RPDisplayName = "" }, "RPDisplayName"},
		{"ZeroAAGUID", func(o *passkey.Options) { o.HardwareAAGUIDs = []uuid.UUID{uuid.Nil} }, "zero AAGUID"},
		{"NegativeTimeout", func(o *passkey.Options) { o.Timeout = -time.Second }, "negative"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := good()
			tc.mod(&o)
			_, err := passkey.New(o)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "passkey: ") {
				t.Fatalf("New: %v, want an error naming %q", err, tc.want)
			}
		})
	}
}

// TestPromptOptions checks the options the browser gets: the inner
// publicKey object, asking for a discoverable credential and user
// verification.
func TestPromptOptions(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, nil)
	u := e.user(t, "alice")
	first := newDevice(virtualwebauthn.AuthenticatorOptions{})
	e.enroll(t, u, first)

	p, err := e.f.BeginEnroll(ctx, u, target(u))
	if err != nil {
		t.Fatal(err)
	}
	var creation struct {
		Challenge string `json:"challenge"`
		RP        struct{ ID string }
		User      struct{ ID, Name string }
		Selection struct {
			ResidentKey      string `json:"residentKey"`
			UserVerification string `json:"userVerification"`
		} `json:"authenticatorSelection"`
		Attestation string
		Exclude     []struct{ ID string } `json:"excludeCredentials"`
		PublicKey   json.RawMessage       `json:"publicKey"`
	}
	if err := json.Unmarshal(p.Options, &creation); err != nil {
		t.Fatal(err)
	}
	if p.ChallengeID == "" || creation.PublicKey != nil {
		t.Errorf("prompt %q %s: want a challenge id and the inner publicKey object", p.ChallengeID, p.Options)
	}
	if c, err := base64.RawURLEncoding.DecodeString(creation.Challenge); err != nil || len(c) < 16 {
		t.Errorf("creation challenge %q: want 16 bytes or more, base64url", creation.Challenge)
	}
	if creation.RP.ID != rpID || creation.User.Name != u.Username ||
		creation.User.ID != base64.RawURLEncoding.EncodeToString([]byte(u.ID)) {
		t.Errorf("rp %+v, user %+v: want rp %s and the user's id and name", creation.RP, creation.User, rpID)
	}
	if creation.Selection.ResidentKey != "required" || creation.Selection.UserVerification != "required" {
		t.Errorf("authenticatorSelection %+v: want residentKey and userVerification required", creation.Selection)
	}
	if creation.Attestation != "none" {
		t.Errorf("attestation %q, want none", creation.Attestation)
	}
	if len(creation.Exclude) != 1 || creation.Exclude[0].ID != base64.RawURLEncoding.EncodeToString(first.cred.ID) {
		t.Errorf("excludeCredentials %+v, want the enrolled credential", creation.Exclude)
	}

	var request struct {
		Challenge        string                `json:"challenge"`
		RPID             string                `json:"rpId"`
		UserVerification string                `json:"userVerification"`
		Allow            []struct{ ID string } `json:"allowCredentials"`
	}
	checkRequest := func(name string, p factor.Prompt, allow int) {
		t.Helper()
		request.Allow = nil
		if err := json.Unmarshal(p.Options, &request); err != nil {
			t.Fatal(err)
		}
		if c, err := base64.RawURLEncoding.DecodeString(request.Challenge); err != nil || len(c) < 16 || p.ChallengeID == "" {
			t.Errorf("%s: challenge %q, id %q", name, request.Challenge, p.ChallengeID)
		}
		if request.RPID != rpID || request.UserVerification != "required" || len(request.Allow) != allow {
			t.Errorf("%s options %s: want rpId %s, userVerification required, %d allowed", name, p.Options, rpID, allow)
		}
	}
	checkRequest("verify", e.beginVerify(t, u), 1)
	p, err = e.f.BeginSignIn(ctx, factor.Target{FlowID: flowID})
	if err != nil {
		t.Fatal(err)
	}
	checkRequest("sign-in", p, 0)
}
