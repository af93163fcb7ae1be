package pushdevice

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/stepup-auth/stepup/stepup/factor/push"
)

// Options configure a Device. All are optional.
type Options struct {
	// Key is the device's key; nil: a new P-256 key.
	Key *ecdsa.PrivateKey
	// Client is the HTTP client; nil: http.DefaultClient.
	Client *http.Client
	// Now is the clock of the requests' timestamps; nil: time.Now.
	Now func() time.Time
	// Rand is the source of nonces and signatures; nil: crypto/rand.
	Rand io.Reader
}

// Device is a phone with the push app: a key, and once enrolled, the
// server and its device id. It is safe for concurrent use once enrolled.
type Device struct {
	key    *ecdsa.PrivateKey
	client *http.Client
	now    func() time.Time
	rand   io.Reader
	server string
	id     string
}

// New returns a device that is not enrolled yet.
func New(o Options) (*Device, error) {
	d := &Device{key: o.Key, client: o.Client, now: o.Now, rand: o.Rand}
	if d.client == nil {
		d.client = http.DefaultClient
	}
	if d.now == nil {
		d.now = time.Now
	}
	if d.rand == nil {
		d.rand = rand.Reader
	}
	if d.key == nil {
		key, err := ecdsa.GenerateKey(elliptic.P256(), d.rand)
		if err != nil {
			return nil, fmt.Errorf("pushdevice: key: %w", err)
		}
		d.key = key
	}
	return d, nil
}

// ID is the device id the server gave at enrollment; empty before.
func (d *Device) ID() string { return d.id }

// Error is an answer of the device API other than success.
type Error struct {
	Status  int
	Code    string
	Message string
}

func (e *Error) Error() string {
	return fmt.Sprintf("pushdevice: HTTP %d %s: %s", e.Status, e.Code, e.Message)
}

// Enroll enrolls the device with the enrollment URI the user scanned
// (stepup-push://enroll?server=...&token=...).
func (d *Device) Enroll(ctx context.Context, enrollURI, name, platform string) error {
	u, err := url.Parse(enrollURI)
	if err != nil || u.Scheme != push.EnrollScheme || u.Host != "enroll" {
		return fmt.Errorf("pushdevice: %q is not an enrollment URI", enrollURI)
	}
	server, token := u.Query().Get("server"), u.Query().Get("token")
	if s, err := url.Parse(server); err != nil || (s.Scheme != "https" && s.Scheme != "http") || s.Host == "" || token == "" {
		return fmt.Errorf("pushdevice: the enrollment URI has no server or no token")
	}
	pub, err := push.MarshalPublicKey(&d.key.PublicKey)
	if err != nil {
		return err
	}
	proof, err := push.Sign(d.rand, d.key, push.EnrollProof(token, pub))
	if err != nil {
		return err
	}
	body, err := json.Marshal(map[string]string{
		"token": token, "public_key": pub, "name": name, "platform": platform,
		"proof": base64.RawURLEncoding.EncodeToString(proof),
	})
	if err != nil {
		return fmt.Errorf("pushdevice: %w", err)
	}
	var out struct {
		DeviceID string `json:"device_id"`
	}
	if err := d.call(ctx, server, http.MethodPost, "/v1/device/enroll", body, false, &out); err != nil {
		return err
	}
	if out.DeviceID == "" {
		return errors.New("pushdevice: the server gave no device id")
	}
	d.server, d.id = server, out.DeviceID
	return nil
}

// Challenge is a push waiting for the user's answer.
type Challenge struct {
	ID string `json:"id"`
	// Choices are the numbers to offer; the user picks the one the
	// sign-in page shows.
	Choices []int     `json:"choices"`
	Created time.Time `json:"created"`
	Expires time.Time `json:"expires"`
}

// Next waits up to wait (the server bounds it, at 25 seconds by default)
// for pushes and returns those waiting, or none.
func (d *Device) Next(ctx context.Context, wait time.Duration) ([]Challenge, error) {
	var out struct {
		Challenges []Challenge `json:"challenges"`
	}
	path := "/v1/device/challenges?wait=" + strconv.Itoa(int(wait/time.Second))
	if err := d.call(ctx, d.server, http.MethodGet, path, nil, true, &out); err != nil {
		return nil, err
	}
	return out.Challenges, nil
}

// Approve approves c with the number the user picked among its choices,
// and returns the state the server put it in: push.StateApproved, or
// push.StateWrongNumber if the number is not the page's.
func (d *Device) Approve(ctx context.Context, c Challenge, number int) (push.State, error) {
	return d.answer(ctx, c, map[string]any{"decision": "approve", "number": number})
}

// Deny refuses c: the user did not start this sign-in.
func (d *Device) Deny(ctx context.Context, c Challenge) (push.State, error) {
	return d.answer(ctx, c, map[string]any{"decision": "deny"})
}

func (d *Device) answer(ctx context.Context, c Challenge, v map[string]any) (push.State, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("pushdevice: %w", err)
	}
	var out struct {
		State push.State `json:"state"`
	}
	if err := d.call(ctx, d.server, http.MethodPost, "/v1/device/challenges/"+url.PathEscape(c.ID), body, true, &out); err != nil {
		return "", err
	}
	return out.State, nil
}

// call sends a request, signed when sign is set, and reads its JSON
// answer into out, or its error into an *Error.
func (d *Device) call(ctx context.Context, server, method, path string, body []byte, sign bool, out any) error {
	if server == "" {
		return errors.New("pushdevice: the device is not enrolled")
	}
	req, err := http.NewRequestWithContext(ctx, method, server+path, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("pushdevice: %w", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if sign {
		if err := d.sign(req, body); err != nil {
			return err
		}
	}
	resp, err := d.client.Do(req)
	if err != nil {
		return fmt.Errorf("pushdevice: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("pushdevice: %w", err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		var e struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		_ = json.Unmarshal(b, &e)
		return &Error{Status: resp.StatusCode, Code: e.Error.Code, Message: e.Error.Message}
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("pushdevice: the answer is not JSON: %w", err)
	}
	return nil
}

// sign sets req's Authorization header: the device's signature of the
// canonical request, with a new nonce.
func (d *Device) sign(req *http.Request, body []byte) error {
	var nonce [16]byte
	if _, err := io.ReadFull(d.rand, nonce[:]); err != nil {
		return fmt.Errorf("pushdevice: nonce: %w", err)
	}
	creds := push.Credentials{DeviceID: d.id, Time: d.now().Unix(), Nonce: base64.RawURLEncoding.EncodeToString(nonce[:])}
	sig, err := push.Sign(d.rand, d.key, push.CanonicalRequest(req.Method, req.URL.RequestURI(), creds, body))
	if err != nil {
		return err
	}
	creds.Signature = sig
	req.Header.Set("Authorization", creds.String())
	return nil
}
