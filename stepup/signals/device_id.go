package signals

// Device ids. A device is named by one of two kinds of id, and the kind is
// part of the id, so that the two can never collide:
//
//   - "cookie:" + 22 base64url characters: a random 128-bit id carried in a
//     signed cookie that the hosted UI sets (DeviceCookie);
//   - "caller:" + what a track API caller passed as deviceId
//     (CallerDeviceID), an id stepup did not make and cannot vouch for.
//
// Without the kinds, a caller that passed a victim's cookie id as its
// deviceId (the id shows in decision records) would present a known device.

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// ErrInvalidDeviceID is wrapped by the errors about a device id that is
// malformed; the message says what is wrong, and is safe to show the
// caller who sent the id.
var ErrInvalidDeviceID = errors.New("signals: invalid device id")

const (
	cookieIDPrefix = "cookie:"
	callerIDPrefix = "caller:"

	deviceIDBytes  = 16 // 128 random bits: no two devices ever draw the same
	deviceMACBytes = sha256.Size
	// cookieValueLen is the length of a cookie value: base64url without
	// padding of the id and its MAC, 48 bytes, which base64 encodes with no
	// spare bits, so each value has exactly one spelling.
	cookieValueLen = (deviceIDBytes + deviceMACBytes) / 3 * 4
	cookieIDLen    = len(cookieIDPrefix) + (deviceIDBytes*8+5)/6
)

const (
	// MinCallerDeviceIDLen and MaxCallerDeviceIDLen bound a caller's
	// deviceId. The floor turns away constants such as "web" or "ios": one
	// id shared by many devices would make each of them known once any
	// had signed in. The ceiling bounds what a caller makes the store keep.
	MinCallerDeviceIDLen = 8
	MaxCallerDeviceIDLen = 128
)

// deviceCookiePurpose is written into every MAC before the id, so that a
// value made for another purpose under the same key (a flow step, a
// session cookie) never passes for a device cookie, nor the reverse.
const deviceCookiePurpose = "stepup-device-cookie-v1\x00"

// DeviceCookie makes and checks the value of the device cookie: a random
// device id and an HMAC-SHA256 of it. The MAC keeps anyone from choosing
// the id, and so from claiming a device they have only heard the id of
// (it is in decision records and logs, while the cookie value is not).
//
// The web layer sets the cookie with the attributes that keep it to this
// browser and this site:
//
//   - HttpOnly, so that a script injected into a page cannot read it;
//   - Secure, and the name prefix __Host- with Path=/ and no Domain, so it
//     travels only over HTTPS and no subdomain can set or shadow it;
//   - SameSite=Lax, not Strict: the browser must send it on the top-level
//     navigation from a relying party to /authorize, which Strict drops,
//     and that would make every device look new;
//   - Max-Age of 400 days, the longest browsers keep a cookie, set again
//     at each successful sign-in so that a device in use stays known.
type DeviceCookie struct {
	key []byte
}

// NewDeviceCookie returns a DeviceCookie that signs with key, which must
// have at least 32 bytes (HMAC-SHA256's full strength) and be kept secret;
// a key derived from the master key for this purpose alone is best.
func NewDeviceCookie(key []byte) (*DeviceCookie, error) {
	if len(key) < 32 {
		return nil, fmt.Errorf("signals: the device cookie key has %d bytes, it needs at least 32", len(key))
	}
	return &DeviceCookie{key: append([]byte(nil), key...)}, nil
}

// New makes a device id and the cookie value that carries it.
func (c *DeviceCookie) New() (id, value string) {
	var raw [deviceIDBytes + deviceMACBytes]byte
	_, _ = rand.Read(raw[:deviceIDBytes]) // never fails: see crypto/rand.Read
	c.mac(raw[deviceIDBytes:deviceIDBytes], raw[:deviceIDBytes])
	return cookieIDPrefix + base64.RawURLEncoding.EncodeToString(raw[:deviceIDBytes]),
		base64.RawURLEncoding.EncodeToString(raw[:])
}

// Open returns the device id carried by a cookie value that New made with
// this key; ok is false for anything else.
func (c *DeviceCookie) Open(value string) (id string, ok bool) {
	if len(value) != cookieValueLen {
		return "", false
	}
	var raw [deviceIDBytes + deviceMACBytes]byte
	n, err := base64.RawURLEncoding.Decode(raw[:], []byte(value))
	if err != nil || n != len(raw) {
		return "", false
	}
	var want [deviceMACBytes]byte
	if !hmac.Equal(raw[deviceIDBytes:], c.mac(want[:0], raw[:deviceIDBytes])) {
		return "", false
	}
	return cookieIDPrefix + base64.RawURLEncoding.EncodeToString(raw[:deviceIDBytes]), true
}

// mac appends the MAC of a device id to dst.
func (c *DeviceCookie) mac(dst, id []byte) []byte {
	return macWithPurpose(dst, c.key, deviceCookiePurpose, id)
}

func macWithPurpose(dst, key []byte, purpose string, id []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(purpose))
	m.Write(id)
	return m.Sum(dst)
}

// CallerDeviceID turns the deviceId a track API caller passed into a
// device id: the caller's id in a namespace of its own. It accepts
// MinCallerDeviceIDLen to MaxCallerDeviceIDLen ASCII letters, digits and
// "-._~:+/=", which UUIDs, hex and base64 ids and the ids of mobile SDKs
// are made of, and which a log or an admin page shows as they are. An
// empty deviceId means the caller knows no device: the id is "" too.
func CallerDeviceID(deviceID string) (string, error) {
	if deviceID == "" {
		return "", nil
	}
	if err := checkCallerDeviceID(deviceID); err != nil {
		return "", err
	}
	return callerIDPrefix + deviceID, nil
}

func checkCallerDeviceID(s string) error {
	if len(s) < MinCallerDeviceIDLen || len(s) > MaxCallerDeviceIDLen {
		return fmt.Errorf("%w: it has %d bytes, it must have %d to %d",
			ErrInvalidDeviceID, len(s), MinCallerDeviceIDLen, MaxCallerDeviceIDLen)
	}
	for i := range len(s) {
		if !callerDeviceIDByte(s[i]) {
			return fmt.Errorf("%w: byte %d is %q; only ASCII letters, digits and -._~:+/= are allowed",
				ErrInvalidDeviceID, i, s[i])
		}
	}
	return nil
}

func callerDeviceIDByte(b byte) bool {
	switch {
	case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9':
		return true
	}
	return strings.IndexByte("-._~:+/=", b) >= 0
}

// checkDeviceID accepts the ids that DeviceCookie.Open and CallerDeviceID
// return, and nothing else: a caller's raw deviceId that skipped
// CallerDeviceID would lose its namespace.
func checkDeviceID(id string) error {
	if rest, ok := strings.CutPrefix(id, cookieIDPrefix); ok {
		if len(id) == cookieIDLen {
			if _, err := base64.RawURLEncoding.Strict().DecodeString(rest); err == nil {
				return nil
			}
		}
		return fmt.Errorf("%w: %.60q is not an id DeviceCookie made", ErrInvalidDeviceID, id)
	}
	if rest, ok := strings.CutPrefix(id, callerIDPrefix); ok {
		return checkCallerDeviceID(rest)
	}
	return fmt.Errorf("%w: it comes from neither DeviceCookie.Open nor CallerDeviceID", ErrInvalidDeviceID)
}
