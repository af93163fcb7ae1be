package seal

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// KeySize is the size of a master key in bytes (AES-256).
const KeySize = 32

// maxKeyIDLen bounds a key id so that it fits the blob header's length byte
// with room to spare.
const maxKeyIDLen = 64

// Key is a master key: a secret and the id that sealed blobs carry to name it.
type Key struct {
	ID     string
	Secret [KeySize]byte
}

// String returns the key's id only, so that a Key printed by mistake does
// not reveal its secret.
func (k Key) String() string { return "seal.Key(" + k.ID + ")" }

// GoString is String, for %#v.
func (k Key) GoString() string { return k.String() }

// Encode returns the key in the form ParseKey reads ("base64:..."). The
// result is the secret itself: put it in configuration, never in a log.
func (k Key) Encode() string {
	return "base64:" + base64.StdEncoding.EncodeToString(k.Secret[:])
}

// DeriveKeyID returns the id ParseKey and GenerateKey give a secret: the
// first 8 bytes of SHA-256 over a fixed label and the secret, in hex. It is
// stable, so configuration names only secrets, and it reveals nothing
// useful about a 256-bit random secret.
func DeriveKeyID(secret [KeySize]byte) string {
	h := sha256.New()
	h.Write([]byte("stepup seal key id\x00"))
	h.Write(secret[:])
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// GenerateKey returns a new random master key with its derived id.
func GenerateKey() Key {
	var k Key
	rand.Read(k.Secret[:]) // never fails since Go 1.24
	k.ID = DeriveKeyID(k.Secret)
	return k
}

// ParseKey reads a master key from a configuration value: "base64:"
// followed by 32 bytes in standard base64 (44 characters), or 64 hex
// digits. Surrounding white space is ignored. The key's id is derived from
// the secret (see DeriveKeyID). Errors never repeat the value.
func ParseKey(s string) (Key, error) {
	s = strings.TrimSpace(s)
	var (
		secret []byte
		err    error
	)
	switch {
	case s == "":
		return Key{}, errors.New(`seal: key is empty; want "base64:" and 44 characters of base64, or 64 hex digits`)
	case strings.HasPrefix(s, "base64:"):
		b64 := s[len("base64:"):]
		if secret, err = base64.StdEncoding.Strict().DecodeString(b64); err != nil {
			return Key{}, fmt.Errorf(`seal: key after "base64:" is not valid standard base64 (%d characters; want 44 ending in "=")`, len(b64))
		}
	case len(s) == 2*KeySize:
		if secret, err = hex.DecodeString(s); err != nil {
			var bad hex.InvalidByteError
			if errors.As(err, &bad) {
				return Key{}, fmt.Errorf("seal: key of 64 characters is not hex: character %d is not a hex digit", strings.IndexByte(s, byte(bad))+1)
			}
			return Key{}, errors.New("seal: key of 64 characters is not hex")
		}
	default:
		return Key{}, fmt.Errorf(`seal: key has %d characters and no "base64:" prefix; want "base64:" and 44 characters of base64, or 64 hex digits`, len(s))
	}
	if len(secret) != KeySize {
		return Key{}, fmt.Errorf("seal: key decodes to %d bytes, want %d (AES-256)", len(secret), KeySize)
	}
	var k Key
	copy(k.Secret[:], secret)
	if k.Secret == [KeySize]byte{} {
		return Key{}, errors.New("seal: key is all zeros; generate a random one")
	}
	k.ID = DeriveKeyID(k.Secret)
	return k, nil
}

// checkKeyID reports what is wrong with a key id, if anything.
func checkKeyID(id string) error {
	if id == "" || len(id) > maxKeyIDLen {
		return fmt.Errorf("seal: key id must have 1 to %d characters, has %d", maxKeyIDLen, len(id))
	}
	for i := range len(id) {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return fmt.Errorf("seal: key id %q: character %d is not a letter, digit, '.', '_' or '-'", id, i+1)
		}
	}
	return nil
}
