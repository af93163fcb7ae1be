package password

import (
	"crypto/rand"
	"crypto/subtle"
	"fmt"
	"io"

	"golang.org/x/crypto/argon2"
)

// MaxPasswordLength is the longest password, in bytes, that Hash and Verify
// accept. NIST SP 800-63B says verifiers SHOULD accept at least 64
// characters; 1024 bytes leaves room for long passphrases in any script
// while refusing megabyte bodies posted only to make the server hash them.
const MaxPasswordLength = 1024

// Hash derives an argon2id hash of password with p and a fresh salt read
// from random, and returns it as a PHC string. A nil random means
// crypto/rand.Reader; tests pass a fixed reader to get fixed output.
func Hash(password string, p Params, random io.Reader) (string, error) {
	if err := checkPassword(password); err != nil {
		return "", err
	}
	if err := p.Validate(); err != nil {
		return "", err
	}
	if random == nil {
		random = rand.Reader
	}
	salt := make([]byte, p.SaltLength)
	if _, err := io.ReadFull(random, salt); err != nil {
		return "", fmt.Errorf("password: reading salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, p.Iterations, p.Memory, p.Parallelism, p.KeyLength)
	return encodeHash(p, salt, key), nil
}

// Verify reports whether password matches encoded, recomputing the hash
// with the parameters stored in it. A wrong password is (false, nil). A hash
// that cannot be used, including one whose parameters exceed the ceilings
// of Validate, is (false, err) with err wrapping ErrMalformedHash. An empty
// or over-long password is refused with ErrEmptyPassword or
// ErrPasswordTooLong before the hash is read, so that answer depends on the
// input alone and says nothing about the account.
func Verify(encoded, password string) (bool, error) {
	if err := checkPassword(password); err != nil {
		return false, err
	}
	h, err := parseHash(encoded)
	if err != nil {
		return false, err
	}
	key := argon2.IDKey([]byte(password), h.salt, h.params.Iterations, h.params.Memory, h.params.Parallelism, h.params.KeyLength)
	return subtle.ConstantTimeCompare(key, h.key) == 1, nil
}

// NeedsRehash reports whether encoded was made with parameters other than
// p, or cannot be read at all. Call it after a successful Verify, while the
// password is at hand, to upgrade the stored hash.
func NeedsRehash(encoded string, p Params) bool {
	h, err := parseHash(encoded)
	return err != nil || h.params != p
}

// DummyVerify does the work of Verify against a fixed hash made with p, and
// discards the result. Call it when the username is unknown, or the account
// has no password, with the submitted password and the current parameters,
// so that the response takes as long as for a real account and its timing
// cannot tell which accounts exist. Stored hashes made with older parameters
// cost what those cost until NeedsRehash has upgraded them. Invalid p, which
// Hash would refuse, is replaced by DefaultParams rather than trusted with
// an allocation.
func DummyVerify(password string, p Params) {
	if p.Validate() != nil {
		p = DefaultParams()
	}
	// Zero salt and zero key: no password is expected to match, and the
	// answer is thrown away in any case.
	encoded := encodeHash(p, make([]byte, p.SaltLength), make([]byte, p.KeyLength))
	_, _ = Verify(encoded, password)
}

func checkPassword(password string) error {
	if password == "" {
		return ErrEmptyPassword
	}
	if len(password) > MaxPasswordLength {
		return fmt.Errorf("%w: %d bytes, at most %d", ErrPasswordTooLong, len(password), MaxPasswordLength)
	}
	return nil
}
