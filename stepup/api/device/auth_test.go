package device_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"io"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/stepup/factor"
	"github.com/stepup-auth/stepup/stepup/factor/push"
	"github.com/stepup-auth/stepup/stepup/factor/push/pushdevice"
)

// A captured approval, sent again for a new push with that push's id in
// its path, is refused: the signature covers the path, and so the id. It
// is sent to another replica, which has not seen the request, so that
// only the signature stands in the way.
func TestCapturedApprovalCannotBeReplayedOntoAnotherPush(t *testing.T) {
	e := newEnv(t, envOptions{})
	rec := &recorder{}
	phone := e.phoneWith(e.alice, "phone", pushdevice.Options{Now: e.clock.Now, Client: &http.Client{Transport: rec}})
	first := e.begin(e.flow)
	if _, err := phone.Approve(e.ctx, e.only(phone), number(t, first)); err != nil {
		t.Fatal(err)
	}
	captured := rec.last()
	if _, err := e.f.FinishVerify(e.ctx, e.flow, factor.Answer{ChallengeID: first.ChallengeID}); err != nil {
		t.Fatal(err)
	}

	// The attacker's own sign-in: a new push, whose number they see.
	attack := factor.Target{UserID: "alice", FlowID: "attacker's flow"}
	second := e.begin(attack)
	// The body is the captured one: it names the first push's number,
	// which the attacker cannot change without breaking the signature
	// (TestAnswerBodyIsSigned). Were the id not signed, the push would
	// take it, as an approval or a wrong number.
	url := strings.Replace(captured.url, first.ChallengeID, second.ChallengeID, 1)
	url = strings.Replace(url, e.url, e.replica(envOptions{}), 1)
	if status := send(t, captured, url); status != http.StatusUnauthorized {
		t.Fatalf("the captured approval replayed onto another push: HTTP %d, want 401", status)
	}
	if _, err := e.f.FinishVerify(e.ctx, attack, factor.Answer{ChallengeID: second.ChallengeID}); !errors.Is(err, factor.ErrPending) {
		t.Fatalf("FinishVerify of the attacker's push after the replay: %v, want ErrPending", err)
	}
}

// A second approval of an answered push, however well signed, is refused:
// a push takes one answer.
func TestSecondAnswerOfAnAnsweredPushIsRefused(t *testing.T) {
	e := newEnv(t, envOptions{})
	phone := e.phone(e.alice, "phone")
	p := e.begin(e.flow)
	c := e.only(phone)
	if _, err := phone.Deny(e.ctx, c); err != nil {
		t.Fatal(err)
	}
	var apiErr *pushdevice.Error
	if _, err := phone.Approve(e.ctx, c, number(t, p)); !errors.As(err, &apiErr) || apiErr.Status != http.StatusConflict {
		t.Fatalf("an approval after a deny: %v, want 409", err)
	}
	if _, err := e.f.FinishVerify(e.ctx, e.flow, factor.Answer{ChallengeID: p.ChallengeID}); !errors.Is(err, factor.ErrWrongAnswer) {
		t.Fatalf("FinishVerify: %v, want the deny's ErrWrongAnswer", err)
	}
}

// A request sent again as it was, byte for byte, within its timestamp's
// validity, is refused; so is the same request with the other valid
// signature ECDSA allows.
func TestReplayedRequestIsRefused(t *testing.T) {
	e := newEnv(t, envOptions{})
	rec := &recorder{}
	phone := e.phoneWith(e.alice, "phone", pushdevice.Options{Now: e.clock.Now, Client: &http.Client{Transport: rec}})
	if _, err := phone.Next(e.ctx, 0); err != nil {
		t.Fatal(err)
	}
	captured := rec.last()
	if status := send(t, captured, ""); status != http.StatusUnauthorized {
		t.Fatalf("a replayed poll: HTTP %d, want 401", status)
	}
	creds, err := push.ParseAuthorization(captured.header.Get("Authorization"))
	if err != nil {
		t.Fatal(err)
	}
	creds.Signature = malleate(creds.Signature)
	malleated := captured
	malleated.header = captured.header.Clone()
	malleated.header.Set("Authorization", creds.String())
	if status := send(t, malleated, ""); status != http.StatusUnauthorized {
		t.Fatalf("a replayed poll with the signature's twin (r, n-s): HTTP %d, want 401", status)
	}
}

// malleate returns the other valid ECDSA signature of the same message:
// (r, n-s).
func malleate(sig []byte) []byte {
	n := elliptic.P256().Params().N
	s := new(big.Int).SetBytes(sig[32:])
	out := append([]byte{}, sig[:32]...)
	return append(out, new(big.Int).Sub(n, s).FillBytes(make([]byte, 32))...)
}

func TestRequestsThatAreNotTheDevicesAreRefused(t *testing.T) {
	e := newEnv(t, envOptions{})
	phone := e.phone(e.alice, "phone")
	e.begin(e.flow)
	good := signed(t, phone, e, "GET", "/v1/device/challenges?wait=0", nil, e.clock.Now())
	if status := do(t, e, good); status != http.StatusOK {
		t.Fatalf("a well signed poll: HTTP %d, want 200", status)
	}
	forged, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	for name, req := range map[string]*http.Request{
		"no header": func() *http.Request {
			r := signed(t, phone, e, "GET", "/v1/device/challenges?wait=0", nil, e.clock.Now())
			r.Header.Del("Authorization")
			return r
		}(),
		"a flipped bit": func() *http.Request {
			r := signed(t, phone, e, "GET", "/v1/device/challenges?wait=0", nil, e.clock.Now())
			c, _ := push.ParseAuthorization(r.Header.Get("Authorization"))
			c.Signature[7] ^= 1
			r.Header.Set("Authorization", c.String())
			return r
		}(),
		"another query than signed": func() *http.Request {
			r := signed(t, phone, e, "GET", "/v1/device/challenges?wait=0", nil, e.clock.Now())
			r.URL.RawQuery = "wait=1"
			return r
		}(),
		"another key, the phone's id": sign(t, e, forged, phone.ID(), "GET", "/v1/device/challenges?wait=0", nil, e.clock.Now()),
		"an unknown id":               sign(t, e, forged, "no-such-device", "GET", "/v1/device/challenges?wait=0", nil, e.clock.Now()),
		"six minutes late":            signed(t, phone, e, "GET", "/v1/device/challenges?wait=0", nil, e.clock.Now().Add(-6*time.Minute)),
		"six minutes early":           signed(t, phone, e, "GET", "/v1/device/challenges?wait=0", nil, e.clock.Now().Add(6*time.Minute)),
	} {
		t.Run(name, func(t *testing.T) {
			if status := do(t, e, req); status != http.StatusUnauthorized {
				t.Fatalf("HTTP %d, want 401", status)
			}
		})
	}
	// Within the skew, a clock that is off still works.
	if status := do(t, e, signed(t, phone, e, "GET", "/v1/device/challenges?wait=0", nil, e.clock.Now().Add(4*time.Minute))); status != http.StatusOK {
		t.Fatalf("a poll four minutes early: HTTP %d, want 200", status)
	}
}

// An answer's body is covered too: a captured deny cannot become an
// approval.
func TestAnswerBodyIsSigned(t *testing.T) {
	e := newEnv(t, envOptions{})
	phone := e.phone(e.alice, "phone")
	p := e.begin(e.flow)
	req := signed(t, phone, e, "POST", "/v1/device/challenges/"+p.ChallengeID, []byte(`{"decision":"deny"}`), e.clock.Now())
	req.Body = io.NopCloser(strings.NewReader(`{"decision":"approve","number":` + p.Display + `}`))
	req.ContentLength = -1
	if status := do(t, e, req); status != http.StatusUnauthorized {
		t.Fatalf("a deny's signature on an approval: HTTP %d, want 401", status)
	}
	if _, err := e.f.FinishVerify(e.ctx, e.flow, factor.Answer{ChallengeID: p.ChallengeID}); !errors.Is(err, factor.ErrPending) {
		t.Fatalf("FinishVerify: %v, want ErrPending", err)
	}
}

// signed is a request signed with phone's key and id, stamped ts.
func signed(t *testing.T, phone *pushdevice.Device, e *env, method, path string, body []byte, ts time.Time) *http.Request {
	t.Helper()
	key, ok := e.keys[phone]
	if !ok {
		t.Fatal("the phone's key is not known to the test")
	}
	return sign(t, e, key, phone.ID(), method, path, body, ts)
}

func sign(t *testing.T, e *env, key *ecdsa.PrivateKey, id, method, path string, body []byte, ts time.Time) *http.Request {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, e.url+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var nonce [16]byte
	_, _ = rand.Read(nonce[:])
	c := push.Credentials{DeviceID: id, Time: ts.Unix(), Nonce: base64.RawURLEncoding.EncodeToString(nonce[:])}
	if c.Signature, err = push.Sign(rand.Reader, key, push.CanonicalRequest(method, req.URL.RequestURI(), c, body)); err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", c.String())
	return req
}

func do(t *testing.T, e *env, req *http.Request) int {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode
}

// A request stamped five minutes ahead, replayed at the last second its
// stamp is good, ten minutes after it was first taken, is still refused.
func TestReplayAtTheEdgeOfTheWindowIsRefused(t *testing.T) {
	e := newEnv(t, envOptions{})
	phone := e.phone(e.alice, "phone")
	req := signed(t, phone, e, "GET", "/v1/device/challenges?wait=0", nil, e.clock.Now().Add(push.MaxSkew))
	captured := recorded{method: req.Method, url: req.URL.String(), header: req.Header.Clone()}
	if status := do(t, e, req); status != http.StatusOK {
		t.Fatalf("the first request: HTTP %d", status)
	}
	e.clock.Advance(2 * push.MaxSkew)
	if status := send(t, captured, ""); status != http.StatusUnauthorized {
		t.Fatalf("the replay ten minutes on: HTTP %d, want 401", status)
	}
	e.clock.Advance(time.Second)
	if status := send(t, captured, ""); status != http.StatusUnauthorized {
		t.Fatalf("the replay ten minutes and a second on: HTTP %d, want 401", status)
	}
}
