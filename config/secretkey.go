package config

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
)

// SecretKeySize is the length of the master key in bytes.
const SecretKeySize = 32

// SecretKey is the master key read from secrets.key. Set is false when the
// file leaves the key empty; Bytes is then all zeros.
//
// It never prints its bytes: String, GoString and MarshalText say only
// whether it is set, so a Config can be logged.
type SecretKey struct {
	Bytes [SecretKeySize]byte
	Set   bool
}

// base64Prefix marks the base64 form of a key; without it, a key is hex.
const base64Prefix = "base64:"

// The reasons ParseSecretKey gives: fixed texts, so that none can hold a
// piece of the key.
var (
	errKeyForm         = errors.New("config: a key must be 64 hexadecimal digits, or base64: followed by the base64 of 32 bytes")
	errKeyNotHex       = errors.New("config: a key of 64 characters must be hexadecimal digits (0-9, a-f)")
	errKeyNotBase64    = errors.New("config: the key after base64: is not standard base64 (A-Z a-z 0-9 + /, padded with =)")
	errKeyBase64Length = errors.New("config: the key after base64: must decode to exactly 32 bytes")
)

// ParseSecretKey parses "base64:" followed by the standard base64 (padded)
// encoding of 32 bytes, or 64 hexadecimal digits. The empty string is the
// unset key. Its errors never repeat s, which is a secret.
func ParseSecretKey(s string) (SecretKey, error) {
	if s == "" {
		return SecretKey{}, nil
	}
	var b []byte
	var err error
	if enc, ok := strings.CutPrefix(s, base64Prefix); ok {
		if b, err = base64.StdEncoding.Strict().DecodeString(enc); err != nil {
			return SecretKey{}, errKeyNotBase64
		}
		if len(b) != SecretKeySize {
			return SecretKey{}, errKeyBase64Length
		}
	} else {
		if len(s) != 2*SecretKeySize {
			return SecretKey{}, errKeyForm
		}
		// hex's own error quotes the offending character, a piece of
		// the key.
		if b, err = hex.DecodeString(s); err != nil {
			return SecretKey{}, errKeyNotHex
		}
	}
	k := SecretKey{Set: true}
	copy(k.Bytes[:], b)
	return k, nil
}

// UnmarshalText parses the key with ParseSecretKey.
func (k *SecretKey) UnmarshalText(b []byte) error {
	v, err := ParseSecretKey(string(b))
	if err != nil {
		return err
	}
	*k = v
	return nil
}

// String returns "set" or "not set", never the key.
func (k SecretKey) String() string {
	if k.Set {
		return "set"
	}
	return "not set"
}

// GoString is String, so that %#v does not print the key either.
func (k SecretKey) GoString() string { return "config.SecretKey(" + k.String() + ")" }

// MarshalText returns String's text, so that a Config encoded as YAML or
// JSON does not hold the key. The result does not parse back.
func (k SecretKey) MarshalText() ([]byte, error) { return []byte(k.String()), nil }
