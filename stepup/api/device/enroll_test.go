package device_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"image/png"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup/factor"
	"github.com/stepup-auth/stepup/stepup/factor/push"
	"github.com/stepup-auth/stepup/stepup/factor/push/pushdevice"
	"github.com/stepup-auth/stepup/stepup/store"
)

func TestEnrollment(t *testing.T) {
	e := newEnv(t, envOptions{})
	target := factor.Target{UserID: "alice", FlowID: "settings"}
	p, err := e.f.BeginEnroll(e.ctx, e.alice, target)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(p.URI)
	if err != nil || u.Scheme != "stepup-push" || u.Host != "enroll" || u.Query().Get("server") != e.url || u.Query().Get("token") == "" {
		t.Fatalf("the enrollment URI is %q", p.URI)
	}
	if _, err := png.Decode(bytes.NewReader(p.QRCode)); err != nil {
		t.Fatalf("the QR code is not a PNG: %v", err)
	}
	if _, err := e.f.FinishEnroll(e.ctx, e.alice, target, factor.Answer{ChallengeID: p.ChallengeID}); !errors.Is(err, factor.ErrPending) {
		t.Fatalf("FinishEnroll before the phone enrolled: %v, want ErrPending", err)
	}
	phone, _ := pushdevice.New(pushdevice.Options{Now: e.clock.Now})
	if err := phone.Enroll(e.ctx, p.URI, "  Alice's Pixel ", "android"); err != nil {
		t.Fatal(err)
	}
	// A token enrolls one device.
	thief, _ := pushdevice.New(pushdevice.Options{Now: e.clock.Now})
	var apiErr *pushdevice.Error
	if err := thief.Enroll(e.ctx, p.URI, "thief", "ios"); !errors.As(err, &apiErr) || apiErr.Status != http.StatusUnauthorized {
		t.Fatalf("a second device with the same token: %v, want 401", err)
	}
	// Another user's page, or another flow, learns nothing.
	bob, _ := e.st.Users().Get(e.ctx, "bob")
	for what, call := range map[string]func() error{
		"another flow": func() error {
			_, err := e.f.FinishEnroll(e.ctx, e.alice, factor.Target{UserID: "alice", FlowID: "other"}, factor.Answer{ChallengeID: p.ChallengeID})
			return err
		},
		"another user": func() error {
			_, err := e.f.FinishEnroll(e.ctx, bob, factor.Target{UserID: "bob", FlowID: target.FlowID}, factor.Answer{ChallengeID: p.ChallengeID})
			return err
		},
	} {
		if err := call(); !errors.Is(err, factor.ErrExpired) {
			t.Fatalf("FinishEnroll in %s: %v, want ErrExpired", what, err)
		}
	}
	res, err := e.f.FinishEnroll(e.ctx, e.alice, target, factor.Answer{ChallengeID: p.ChallengeID})
	if err != nil {
		t.Fatal(err)
	}
	a := res.Authenticator
	if a.ID != phone.ID() || a.UserID != "alice" || a.Method != acr.Push || !a.Verified || a.Name != "Alice's Pixel" || push.Platform(a) != "android" {
		t.Fatalf("the enrolled authenticator is %+v", a)
	}
	if v := res.Verification; v.Method != acr.Push || v.AuthenticatorID != a.ID || !v.At.Equal(e.clock.Now()) {
		t.Fatalf("the enrollment's verification is %+v", v)
	}
	if _, err := e.f.FinishEnroll(e.ctx, e.alice, target, factor.Answer{ChallengeID: p.ChallengeID}); !errors.Is(err, factor.ErrExpired) {
		t.Fatalf("FinishEnroll a second time: %v, want ErrExpired", err)
	}
	if _, err := thief.Next(e.ctx, 0); err == nil {
		t.Fatal("the device whose enrollment was refused can poll")
	}
	// The phone works.
	pr := e.begin(e.flow)
	if _, err := phone.Approve(e.ctx, e.only(phone), number(t, pr)); err != nil {
		t.Fatal(err)
	}
}

// The enrollment's proof is checked: a token with a key the sender does
// not hold enrolls nothing, nor does a token that is wrong or expired.
func TestEnrollmentRefused(t *testing.T) {
	e := newEnv(t, envOptions{})
	target := factor.Target{UserID: "alice", FlowID: "settings"}
	p, err := e.f.BeginEnroll(e.ctx, e.alice, target)
	if err != nil {
		t.Fatal(err)
	}
	token, _ := url.Parse(p.URI)
	tok := token.Query().Get("token")
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	pub, _ := push.MarshalPublicKey(&key.PublicKey)
	body := func(tok, pub string, signer *ecdsa.PrivateKey, proofOf string) []byte {
		sig, err := push.Sign(rand.Reader, signer, push.EnrollProof(proofOf, pub))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(map[string]string{"token": tok, "public_key": pub, "name": "n", "platform": "p", "proof": base64.RawURLEncoding.EncodeToString(sig)})
		return b
	}
	// One character of the secret changed (not the last, whose low bits
	// base64 leaves unused).
	b := []byte(tok)
	b[30] = map[bool]byte{true: 'B', false: 'A'}[b[30] == 'A']
	wrongSecret := string(b)
	for _, tc := range []struct {
		name   string
		body   []byte
		status int
	}{
		{"a proof by another key", body(tok, pub, other, tok), http.StatusUnauthorized},
		{"a proof of another token", body(tok, pub, key, "x"+tok), http.StatusUnauthorized},
		{"a wrong secret", body(wrongSecret, pub, key, wrongSecret), http.StatusUnauthorized},
		{"not a token", body("nope", pub, key, "nope"), http.StatusUnauthorized},
		{"not a key", body(tok, "AAAA", key, tok), http.StatusBadRequest},
		{"a name with a newline", bytes.Replace(body(tok, pub, key, tok), []byte(`"name":"n"`), []byte(`"name":"a\nb"`), 1), http.StatusBadRequest},
		{"an unknown field", bytes.Replace(body(tok, pub, key, tok), []byte(`{`), []byte(`{"admin":true,`), 1), http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := http.Post(e.url+"/v1/device/enroll", "application/json", bytes.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			_ = resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Fatalf("HTTP %d, want %d", resp.StatusCode, tc.status)
			}
		})
	}
	if _, err := e.f.FinishEnroll(e.ctx, e.alice, target, factor.Answer{ChallengeID: p.ChallengeID}); !errors.Is(err, factor.ErrPending) {
		t.Fatalf("FinishEnroll after refused enrollments: %v, want ErrPending", err)
	}
	// Ten minutes on, even a good one is too late.
	e.clock.Advance(10 * time.Minute)
	resp, err := http.Post(e.url+"/v1/device/enroll", "application/json", bytes.NewReader(body(tok, pub, key, tok)))
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("an enrollment after ten minutes: HTTP %d, want 401", resp.StatusCode)
	}
}

func TestBodiesAreJSON(t *testing.T) {
	e := newEnv(t, envOptions{})
	for ct, want := range map[string]int{"text/plain": http.StatusUnsupportedMediaType, "application/jsonx": http.StatusUnsupportedMediaType, "application/json; charset=utf-8": http.StatusBadRequest} {
		resp, err := http.Post(e.url+"/v1/device/enroll", ct, strings.NewReader(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("an enrollment as %s: HTTP %d, want %d", ct, resp.StatusCode, want)
		}
	}
}

// A device that enrolled but was never confirmed on the page is dropped
// by a later enrollment, once its own could no longer be confirmed; a
// confirmed one, or one still within its enrollment's time, stays.
func TestUnconfirmedDeviceIsDroppedLater(t *testing.T) {
	e := newEnv(t, envOptions{})
	target := factor.Target{UserID: "alice", FlowID: "settings"}
	enroll := func(name string) *pushdevice.Device {
		t.Helper()
		p, err := e.f.BeginEnroll(e.ctx, e.alice, target)
		if err != nil {
			t.Fatal(err)
		}
		d, _ := pushdevice.New(pushdevice.Options{Now: e.clock.Now})
		if err := d.Enroll(e.ctx, p.URI, name, "android"); err != nil {
			t.Fatal(err)
		}
		return d
	}
	kept := e.phone(e.alice, "mine")
	unconfirmed := enroll("not mine")
	e.clock.Advance(5 * time.Minute)
	if _, err := e.f.BeginEnroll(e.ctx, e.alice, target); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.Authenticators().Get(e.ctx, unconfirmed.ID()); err != nil {
		t.Fatalf("a device within its enrollment's time was dropped: %v", err)
	}
	e.clock.Advance(6 * time.Minute)
	if _, err := e.f.BeginEnroll(e.ctx, e.alice, target); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.Authenticators().Get(e.ctx, unconfirmed.ID()); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("an unconfirmed device 11 minutes on: %v, want it dropped", err)
	}
	if left := e.phoneList(t); len(left) != 1 || left[0].ID != kept.ID() || !left[0].Verified {
		t.Fatalf("push devices left: %+v, want the confirmed one alone", left)
	}
}

func (e *env) phoneList(t *testing.T) []*store.Authenticator {
	t.Helper()
	all, err := e.st.Authenticators().ListByUser(e.ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	var out []*store.Authenticator
	for _, a := range all {
		if a.Method == "PUSH" {
			out = append(out, a)
		}
	}
	return out
}
