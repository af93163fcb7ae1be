package push

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strconv"
	"strings"
	"time"
)

// The wire protocol a device and the server share: the Authorization
// header, the strings a device signs, the encoding of its key and of its
// signatures. The device API checks with these; pushdevice signs with them.

// Scheme is the Authorization scheme of a device's requests.
const Scheme = "StepupDevice"

// MaxSkew is how far a request's timestamp may be from the server's clock,
// either way: phones' clocks drift, and a request older than this is
// refused, so a captured one is worth nothing for long.
const MaxSkew = 5 * time.Minute

// The first line of each signed string, so that a signature made for one
// purpose never verifies for another.
const (
	requestContext = "STEPUP-DEVICE-V1"
	enrollContext  = "STEPUP-DEVICE-ENROLL-V1"
)

// Limits of the header's fields: ids are base64url, a nonce is 16 to 64
// of its characters, a signature is 64 bytes (86 characters).
const (
	maxHeader   = 512
	maxIDLen    = 64
	minNonceLen = 16
	maxNonceLen = 64
	sigLen      = 64
	maxKeyDER   = 256 // a P-256 SPKI is 91 bytes
)

// ErrProtocol is wrapped by every error of parsing a device's header, key
// or signature: what the device sent is not the protocol.
var ErrProtocol = errors.New("push: not the device protocol")

// Credentials are the fields of a device's Authorization header:
//
//	Authorization: StepupDevice id="<device id>", ts="<unix seconds>", nonce="<nonce>", sig="<signature>"
type Credentials struct {
	DeviceID  string
	Time      int64 // Unix seconds
	Nonce     string
	Signature []byte // ES256, r||s, 64 bytes
}

// String returns the credentials as an Authorization header value.
func (c Credentials) String() string {
	return fmt.Sprintf(`%s id="%s", ts="%d", nonce="%s", sig="%s"`,
		Scheme, c.DeviceID, c.Time, c.Nonce, base64.RawURLEncoding.EncodeToString(c.Signature))
}

// ParseAuthorization reads an Authorization header value. It is strict:
// the scheme, then id, ts, nonce and sig each exactly once, in any order,
// as key="value" separated by commas; values are base64url (ts decimal);
// nothing else.
func ParseAuthorization(h string) (Credentials, error) {
	var c Credentials
	if len(h) > maxHeader {
		return c, fmt.Errorf("%w: the Authorization header is longer than %d bytes", ErrProtocol, maxHeader)
	}
	rest, ok := strings.CutPrefix(h, Scheme+" ")
	if !ok {
		return c, fmt.Errorf("%w: the Authorization scheme is not %s", ErrProtocol, Scheme)
	}
	seen := map[string]bool{}
	for part := range strings.SplitSeq(rest, ",") {
		key, quoted, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || len(quoted) < 2 || quoted[0] != '"' || quoted[len(quoted)-1] != '"' {
			return c, fmt.Errorf("%w: a parameter is not key=\"value\"", ErrProtocol)
		}
		value := quoted[1 : len(quoted)-1]
		if seen[key] {
			return c, fmt.Errorf("%w: parameter %q is repeated", ErrProtocol, key)
		}
		seen[key] = true
		var err error
		switch key {
		case "id":
			if !isBase64URL(value, 1, maxIDLen) {
				err = errors.New("id is not 1 to 64 base64url characters")
			}
			c.DeviceID = value
		case "ts":
			if value == "" || len(value) > 12 || strings.Trim(value, "0123456789") != "" {
				err = errors.New("ts is not Unix seconds")
				break
			}
			c.Time, err = strconv.ParseInt(value, 10, 64)
		case "nonce":
			if !isBase64URL(value, minNonceLen, maxNonceLen) {
				err = fmt.Errorf("nonce is not %d to %d base64url characters", minNonceLen, maxNonceLen)
			}
			c.Nonce = value
		case "sig":
			c.Signature, err = decodeSignature(value)
		default:
			err = fmt.Errorf("parameter %s is not known", printable(key))
		}
		if err != nil {
			return Credentials{}, fmt.Errorf("%w: %w", ErrProtocol, err)
		}
	}
	for _, key := range []string{"id", "ts", "nonce", "sig"} {
		if !seen[key] {
			return Credentials{}, fmt.Errorf("%w: parameter %s is missing", ErrProtocol, key)
		}
	}
	return c, nil
}

// CanonicalRequest is the string a device signs for a request: its
// method, its path and query exactly as sent, the credentials' device id,
// timestamp and nonce, and the SHA-256 of its body, hex, one per line.
func CanonicalRequest(method, pathAndQuery string, c Credentials, body []byte) []byte {
	sum := sha256.Sum256(body)
	return []byte(strings.Join([]string{
		requestContext, method, pathAndQuery, c.DeviceID,
		strconv.FormatInt(c.Time, 10), c.Nonce, hex.EncodeToString(sum[:]),
	}, "\n"))
}

// EnrollProof is the string a device signs with its new key to enroll:
// it proves the device holds the private key of the public key it sends,
// for this enrollment token only.
func EnrollProof(token, publicKey string) []byte {
	return []byte(enrollContext + "\n" + token + "\n" + publicKey)
}

// Skewed reports whether a request stamped ts is too far from now.
func Skewed(ts int64, now time.Time) bool {
	d := now.Sub(time.Unix(ts, 0))
	return d > MaxSkew || d < -MaxSkew
}

// ParsePublicKey reads a device's public key: a P-256 key in its
// SubjectPublicKeyInfo DER, base64url without padding.
func ParsePublicKey(s string) (*ecdsa.PublicKey, []byte, error) {
	if len(s) > base64.RawURLEncoding.EncodedLen(maxKeyDER) {
		return nil, nil, fmt.Errorf("%w: the public key is too long for P-256", ErrProtocol)
	}
	der, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: the public key is not base64url", ErrProtocol)
	}
	key, err := parseKeyDER(der)
	if err != nil {
		return nil, nil, err
	}
	return key, der, nil
}

// parseKeyDER reads a P-256 SubjectPublicKeyInfo.
func parseKeyDER(der []byte) (*ecdsa.PublicKey, error) {
	pub, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("%w: the public key is not a SubjectPublicKeyInfo: %w", ErrProtocol, err)
	}
	key, ok := pub.(*ecdsa.PublicKey)
	if !ok || key.Curve != elliptic.P256() {
		return nil, fmt.Errorf("%w: the public key is not on P-256", ErrProtocol)
	}
	return key, nil
}

// MarshalPublicKey encodes key as ParsePublicKey reads it.
func MarshalPublicKey(key *ecdsa.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(key)
	if err != nil {
		return "", fmt.Errorf("push: public key: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(der), nil
}

// Sign signs msg with key: ES256, SHA-256 then ECDSA, as r||s.
func Sign(random io.Reader, key *ecdsa.PrivateKey, msg []byte) ([]byte, error) {
	sum := sha256.Sum256(msg)
	r, s, err := ecdsa.Sign(random, key, sum[:])
	if err != nil {
		return nil, fmt.Errorf("push: sign: %w", err)
	}
	out := make([]byte, sigLen)
	r.FillBytes(out[:sigLen/2])
	s.FillBytes(out[sigLen/2:])
	return out, nil
}

// Verify reports whether sig is key's ES256 signature (r||s) of msg.
//
// ECDSA signatures are malleable: (r, n-s) verifies as (r, s) does. So a
// signature is never a key for "seen before"; the signed message is.
func Verify(key *ecdsa.PublicKey, msg, sig []byte) bool {
	if key == nil || len(sig) != sigLen {
		return false
	}
	sum := sha256.Sum256(msg)
	r := new(big.Int).SetBytes(sig[:sigLen/2])
	s := new(big.Int).SetBytes(sig[sigLen/2:])
	return ecdsa.Verify(key, sum[:], r, s)
}

// DecodeSignature reads a base64url r||s signature as a device sends it.
func DecodeSignature(s string) ([]byte, error) {
	sig, err := decodeSignature(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrProtocol, err)
	}
	return sig, nil
}

func decodeSignature(s string) ([]byte, error) {
	if len(s) != base64.RawURLEncoding.EncodedLen(sigLen) {
		return nil, errors.New("sig is not a 64-byte r||s signature in base64url")
	}
	sig, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, errors.New("sig is not base64url")
	}
	return sig, nil
}

// isBase64URL reports whether s is lo to hi characters of the base64url
// alphabet, without padding.
func isBase64URL(s string, lo, hi int) bool {
	if len(s) < lo || len(s) > hi {
		return false
	}
	for i := range len(s) {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_':
		default:
			return false
		}
	}
	return true
}

// printable bounds and quotes untrusted text for an error message.
func printable(s string) string {
	if len(s) > 32 {
		s = s[:32] + "..."
	}
	return strconv.QuoteToASCII(s)
}
