package passkey_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/descope/virtualwebauthn"
	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/stepup-auth/stepup/stepup/factor"
)

// BenchmarkFinishVerify measures the check of one assertion. Library is
// go-webauthn alone (parse and ValidateLogin; it accepts the same session
// again, so one suffices); Factor is FinishVerify, with the Consume of the
// challenge and the compare-and-set of the counter in a store writing its
// journal. The authenticator's signing is done before the timer.
func BenchmarkFinishVerify(b *testing.B) {
	b.Run("Library", func(b *testing.B) {
		wa, err := webauthn.New(&webauthn.Config{RPID: rpID, RPDisplayName: "stepup", RPOrigins: []string{origin}})
		if err != nil {
			b.Fatal(err)
		}
		d := newDevice(virtualwebauthn.AuthenticatorOptions{})
		u := &benchUser{id: []byte("alice")}
		creation, s, err := wa.BeginRegistration(u)
		if err != nil {
			b.Fatal(err)
		}
		p := factor.Prompt{Options: mustJSON(b, creation.Response)}
		parsedCreation, err := protocol.ParseCredentialCreationResponseBytes(d.create(b, p))
		if err != nil {
			b.Fatal(err)
		}
		cred, err := wa.CreateCredential(u, *s, parsedCreation)
		if err != nil {
			b.Fatal(err)
		}
		u.creds = []webauthn.Credential{*cred}
		assertion, s, err := wa.BeginLogin(u, webauthn.WithUserVerification(protocol.VerificationRequired))
		if err != nil {
			b.Fatal(err)
		}
		response := d.get(b, factor.Prompt{Options: mustJSON(b, assertion.Response)})
		b.ReportAllocs()
		for b.Loop() {
			parsed, err := protocol.ParseCredentialRequestResponseBytes(response)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := wa.ValidateLogin(u, *s, parsed); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Factor", func(b *testing.B) {
		e := newEnv(b, nil)
		u := e.user(b, "alice")
		d := newDevice(virtualwebauthn.AuthenticatorOptions{})
		e.enroll(b, u, d)
		ctx := context.Background()
		answers := make([]factor.Answer, b.N)
		for i := range answers {
			p := e.beginVerify(b, u)
			answers[i] = factor.Answer{ChallengeID: p.ChallengeID, Response: d.get(b, p)}
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			if _, err := e.f.FinishVerify(ctx, target(u), answers[i]); err != nil {
				b.Fatal(err)
			}
		}
	})
}

type benchUser struct {
	id    []byte
	creds []webauthn.Credential
}

func (u *benchUser) WebAuthnID() []byte                         { return u.id }
func (u *benchUser) WebAuthnName() string                       { return "alice" }
func (u *benchUser) WebAuthnDisplayName() string                { return "Alice" }
func (u *benchUser) WebAuthnCredentials() []webauthn.Credential { return u.creds }

func mustJSON(b *testing.B, v any) []byte {
	b.Helper()
	out, err := json.Marshal(v)
	if err != nil {
		b.Fatal(err)
	}
	return out
}
