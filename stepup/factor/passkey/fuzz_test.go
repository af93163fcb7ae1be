package passkey_test

import (
	"context"
	"testing"

	"github.com/descope/virtualwebauthn"

	"github.com/stepup-auth/stepup/stepup/factor"
)

// FuzzFinishVerify answers a real pending challenge with arbitrary bytes:
// nothing may panic, and nothing but an assertion signed over that
// challenge by alice's key may verify, which a fuzzer cannot make.
func FuzzFinishVerify(f *testing.F) {
	e := newEnv(f, nil)
	u := e.user(f, "alice")
	d := newDevice(virtualwebauthn.AuthenticatorOptions{})
	e.enroll(f, u, d)
	// Seeds: a real assertion over an earlier challenge, and its edits.
	stale := d.get(f, e.beginVerify(f, u))
	f.Add(stale)
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"id":"AA","rawId":"AA","type":"public-key","response":{"clientDataJSON":"e30","authenticatorData":"","signature":""}}`))
	f.Add([]byte(`null`))
	f.Add([]byte{})
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, response []byte) {
		p := e.beginVerify(t, u)
		res, err := e.f.FinishVerify(ctx, target(u), factor.Answer{ChallengeID: p.ChallengeID, Response: response})
		if err == nil {
			t.Fatalf("arbitrary bytes verified: %q gave %+v", response, res)
		}
	})
}
