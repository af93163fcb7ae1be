package passkey_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	"github.com/descope/virtualwebauthn"

	"github.com/stepup-auth/stepup/stepup/factor"
	"github.com/stepup-auth/stepup/stepup/factor/factortest"
	"github.com/stepup-auth/stepup/stepup/factor/passkey"
	"github.com/stepup-auth/stepup/stepup/store"
	"github.com/stepup-auth/stepup/stepup/store/conformance"
)

const (
	rpID   = "localhost"
	origin = "http://localhost:8443"
	flowID = "flow-1"
)

// device is an authenticator in a browser at origin: real ES256 keys and
// signatures from virtualwebauthn, with the flags, counter and origin a
// test chooses.
type device struct {
	rp   virtualwebauthn.RelyingParty
	auth virtualwebauthn.Authenticator
	cred virtualwebauthn.Credential
	// attachment is the response's authenticatorAttachment.
	attachment string
	// frozen keeps the counter as set, like a synced passkey's 0;
	// otherwise each assertion counts one up, as a security key does.
	frozen bool
}

// newDevice returns a platform authenticator with o's flags (UV on
// unless o.UserNotVerified).
func newDevice(o virtualwebauthn.AuthenticatorOptions) *device {
	return &device{
		rp:         virtualwebauthn.RelyingParty{ID: rpID, Name: "stepup", Origin: origin},
		auth:       virtualwebauthn.NewAuthenticatorWithOptions(o),
		cred:       newCredential(),
		attachment: "platform",
	}
}

// newCredential returns a credential with a new P-256 key whose
// coordinates are both 32 bytes long. virtualwebauthn encodes them
// without their leading zero bytes, which go-webauthn rightly refuses (a
// real authenticator pads them): about one key in 128 would fail.
func newCredential() virtualwebauthn.Credential {
	for {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			panic(err)
		}
		if len(k.X.Bytes()) != 32 || len(k.Y.Bytes()) != 32 {
			continue
		}
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			panic(err)
		}
		return virtualwebauthn.NewCredentialWithImportedKey(virtualwebauthn.KeyTypeEC2, der)
	}
}

// create answers an enrollment prompt with a new credential, keeping the
// user handle for later assertions as an authenticator does.
func (d *device) create(t testing.TB, p factor.Prompt) []byte {
	t.Helper()
	opts, err := virtualwebauthn.ParseAttestationOptions(string(p.Options))
	if err != nil {
		t.Fatalf("creation options %s: %v", p.Options, err)
	}
	d.auth.Options.UserHandle = []byte(opts.UserID)
	return d.withAttachment(t, virtualwebauthn.CreateAttestationResponse(d.rp, d.auth, d.cred, *opts))
}

// get answers a verification or sign-in prompt with an assertion.
func (d *device) get(t testing.TB, p factor.Prompt) []byte {
	t.Helper()
	opts, err := virtualwebauthn.ParseAssertionOptions(string(p.Options))
	if err != nil {
		t.Fatalf("request options %s: %v", p.Options, err)
	}
	if !d.frozen {
		d.cred.Counter++
	}
	return d.withAttachment(t, virtualwebauthn.CreateAssertionResponse(d.rp, d.auth, d.cred, *opts))
}

// withAttachment adds authenticatorAttachment, which browsers send and
// virtualwebauthn does not.
func (d *device) withAttachment(t testing.TB, response string) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(response), &m); err != nil {
		t.Fatal(err)
	}
	m["authenticatorAttachment"] = d.attachment
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// env is a factor over a fresh store on a fake clock, whose warnings go
// to logs.
type env struct {
	clock *conformance.Clock
	st    store.Store
	f     *passkey.Factor
	logs  *bytes.Buffer
}

func newEnv(t testing.TB, mod func(*passkey.Options)) *env {
	t.Helper()
	e := &env{clock: conformance.NewClockAt(time.Now()), logs: &bytes.Buffer{}}
	e.st = factortest.NewStore(t, e.clock.Now)
	e.f = newFactor(t, e.st, e.clock.Now, e.logs, mod)
	return e
}

func newFactor(t testing.TB, st store.Store, now func() time.Time, logs *bytes.Buffer, mod func(*passkey.Options)) *passkey.Factor {
	t.Helper()
	o := passkey.Options{
		Authenticators: st.Authenticators(), Challenges: st.Challenges(), Users: st.Users(),
		RPID: rpID, RPOrigins: []string{origin}, RPDisplayName: "stepup",
		Now: now, Log: slog.New(slog.NewTextHandler(logs, nil)),
	}
	if mod != nil {
		mod(&o)
	}
	f, err := passkey.New(o)
	if err != nil {
		t.Fatalf("passkey.New: %v", err)
	}
	return f
}

func (e *env) user(t testing.TB, id string) *store.User {
	t.Helper()
	u := &store.User{ID: id, Username: "user-" + id, CreatedAt: e.clock.Now()}
	if err := e.st.Users().Create(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	return u
}

func target(u *store.User) factor.Target { return factor.Target{UserID: u.ID, FlowID: flowID} }

// enroll enrolls d for u and returns the result.
func (e *env) enroll(t testing.TB, u *store.User, d *device) factor.Result {
	t.Helper()
	ctx := context.Background()
	p, err := e.f.BeginEnroll(ctx, u, target(u))
	if err != nil {
		t.Fatalf("BeginEnroll: %v", err)
	}
	res, err := e.f.FinishEnroll(ctx, u, target(u), factor.Answer{ChallengeID: p.ChallengeID, Response: d.create(t, p)})
	if err != nil {
		t.Fatalf("FinishEnroll: %v", err)
	}
	return res
}

// beginVerify starts a verification of u in flowID.
func (e *env) beginVerify(t testing.TB, u *store.User) factor.Prompt {
	t.Helper()
	p, err := e.f.BeginVerify(context.Background(), target(u))
	if err != nil {
		t.Fatalf("BeginVerify: %v", err)
	}
	return p
}

// verify answers a new verification prompt of u with d.
func (e *env) verify(t testing.TB, u *store.User, d *device) (factor.Result, error) {
	t.Helper()
	p := e.beginVerify(t, u)
	return e.f.FinishVerify(context.Background(), target(u), factor.Answer{ChallengeID: p.ChallengeID, Response: d.get(t, p)})
}
