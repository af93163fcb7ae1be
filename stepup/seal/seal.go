package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
)

const (
	version1  = 1
	nonceSize = 12
	tagSize   = 16
)

var (
	// ErrMalformed means a blob is not a sealed blob of a version this
	// package reads: truncated, empty or of an unknown version.
	ErrMalformed = errors.New("seal: malformed sealed blob")
	// ErrUnknownKey means a blob was sealed with a master key the Sealer
	// does not hold: an old key was removed from the configuration too
	// early, or the configured key is the wrong one.
	ErrUnknownKey = errors.New("seal: blob sealed with an unknown master key")
	// ErrOpen means a blob failed authentication: a wrong secret under a
	// known key id, a changed blob, or other associated data than it was
	// sealed with.
	ErrOpen = errors.New("seal: cannot open blob: wrong key, changed blob or wrong associated data")
)

// Sealer seals with its first key and opens with any of its keys. It is
// safe for concurrent use.
type Sealer struct {
	sealID string
	aeads  map[string]cipher.AEAD
	ids    []string // in the order given, for error messages
}

// New returns a Sealer whose first key seals and whose keys all open. Key
// ids must be distinct, 1 to 64 letters, digits, '.', '_' or '-'.
func New(keys ...Key) (*Sealer, error) {
	if len(keys) == 0 {
		return nil, errors.New("seal: no master key given")
	}
	s := &Sealer{sealID: keys[0].ID, aeads: make(map[string]cipher.AEAD, len(keys))}
	for _, k := range keys {
		if err := checkKeyID(k.ID); err != nil {
			return nil, err
		}
		if _, dup := s.aeads[k.ID]; dup {
			return nil, fmt.Errorf("seal: key id %q is given twice", k.ID)
		}
		block, err := aes.NewCipher(k.Secret[:])
		if err != nil {
			return nil, fmt.Errorf("seal: key %q: %w", k.ID, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("seal: key %q: %w", k.ID, err)
		}
		s.aeads[k.ID] = aead
		s.ids = append(s.ids, k.ID)
	}
	return s, nil
}

// KeyID returns the id of the key that seals.
func (s *Sealer) KeyID() string { return s.sealID }

// Seal encrypts plaintext under the first key, binding it to
// associatedData, which Open must be given again.
func (s *Sealer) Seal(plaintext, associatedData []byte) ([]byte, error) {
	id := s.sealID
	out := make([]byte, 0, 2+len(id)+nonceSize+len(plaintext)+tagSize)
	out = append(out, version1, byte(len(id)))
	out = append(out, id...)
	header := out
	nonce := out[len(out) : len(out)+nonceSize]
	rand.Read(nonce) // never fails since Go 1.24
	out = out[:len(out)+nonceSize]
	return s.aeads[id].Seal(out, nonce, plaintext, additionalData(header, associatedData)), nil
}

// Open decrypts a blob made by Seal with the same associatedData. It fails
// with ErrMalformed, ErrUnknownKey or ErrOpen.
func (s *Sealer) Open(sealed, associatedData []byte) ([]byte, error) {
	id, rest, err := parseHeader(sealed)
	if err != nil {
		return nil, err
	}
	aead, ok := s.aeads[id]
	if !ok {
		return nil, fmt.Errorf("seal: blob sealed with key %q, not among the configured keys %q: %w", id, s.ids, ErrUnknownKey)
	}
	if len(rest) < nonceSize+tagSize {
		return nil, fmt.Errorf("seal: blob of %d bytes is too short for a nonce and a tag: %w", len(sealed), ErrMalformed)
	}
	header := sealed[:len(sealed)-len(rest)]
	plain, err := aead.Open(nil, rest[:nonceSize], rest[nonceSize:], additionalData(header, associatedData))
	if err != nil {
		return nil, fmt.Errorf("seal: key %q: %w", id, ErrOpen)
	}
	return plain, nil
}

// SealedKeyID returns the id of the key that sealed a blob, without opening
// it: a re-sealing job uses it to find the blobs not yet under the newest key.
func SealedKeyID(sealed []byte) (string, error) {
	id, _, err := parseHeader(sealed)
	return id, err
}

// parseHeader splits a blob into its key id and what follows the header.
func parseHeader(sealed []byte) (id string, rest []byte, err error) {
	if len(sealed) < 2 {
		return "", nil, fmt.Errorf("seal: blob of %d bytes has no header: %w", len(sealed), ErrMalformed)
	}
	if sealed[0] != version1 {
		return "", nil, fmt.Errorf("seal: blob version %d is not one this build reads (1): %w", sealed[0], ErrMalformed)
	}
	n := int(sealed[1])
	if n == 0 || n > maxKeyIDLen || len(sealed) < 2+n {
		return "", nil, fmt.Errorf("seal: blob header names a key id of %d bytes in a blob of %d: %w", n, len(sealed), ErrMalformed)
	}
	return string(sealed[2 : 2+n]), sealed[2+n:], nil
}

// additionalData is what GCM authenticates besides the ciphertext: the
// header, which is self-delimiting, then the caller's data.
func additionalData(header, associatedData []byte) []byte {
	ad := make([]byte, 0, len(header)+len(associatedData))
	return append(append(ad, header...), associatedData...)
}
