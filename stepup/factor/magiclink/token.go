package magiclink

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"strings"

	"github.com/stepup-auth/stepup/stepup/factor"
)

const (
	// idBytes is the length of a challenge id before encoding: 128
	// random bits.
	idBytes = 16
	// idLen and macLen are the encoded lengths of the token's two parts.
	idLen  = 22 // base64url of 16 bytes, unpadded
	macLen = 43 // base64url of 32 bytes, unpadded
	// tokenLen is the length of every valid token: id "." mac.
	tokenLen = idLen + 1 + macLen
)

// The domain-separation prefixes of the three HMACs under the one key: a
// value made for one use never passes as another (a browser hash as a
// token MAC, say).
const (
	domainToken   = "stepup magiclink token v1\x00"
	domainBrowser = "stepup magiclink browser v1\x00"
	domainCode    = "stepup magiclink code v1\x00"
)

// b64 is strict so that a token has exactly one spelling: unpadded
// base64 has spare bits in its last character, which a lax decoder
// ignores.
var b64 = base64.RawURLEncoding.Strict()

// newID returns a random challenge id.
func (f *Factor) newID() (string, error) {
	var b [idBytes]byte
	if _, err := io.ReadFull(f.rand, b[:]); err != nil {
		return "", fmt.Errorf("magiclink: random id: %w", err)
	}
	return b64.EncodeToString(b[:]), nil
}

// token returns the link token of challenge id: the id and its MAC. The
// id alone is not enough to open a link: the tab that began the
// verification knows it (Prompt.ChallengeID), and must not be able to make
// the link that proves the mailbox.
func (f *Factor) token(id string) string {
	return id + "." + b64.EncodeToString(f.mac(domainToken, id))
}

// parseToken returns the challenge id a token names if its MAC is right.
// A token of the wrong shape is factor.ErrMalformed, one whose MAC does
// not verify factor.ErrExpired: to the page, a link that is no longer
// good.
func (f *Factor) parseToken(tok string) (string, error) {
	id, sum, ok := strings.Cut(tok, ".")
	if len(tok) != tokenLen || !ok || len(id) != idLen || len(sum) != macLen {
		return "", fmt.Errorf("magiclink: a token is %d characters, id.mac: %w", tokenLen, factor.ErrMalformed)
	}
	raw, err := b64.DecodeString(id)
	if err != nil || len(raw) != idBytes {
		return "", fmt.Errorf("magiclink: the token's id is not base64url: %w", factor.ErrMalformed)
	}
	got, err := b64.DecodeString(sum)
	if err != nil {
		return "", fmt.Errorf("magiclink: the token's mac is not base64url: %w", factor.ErrMalformed)
	}
	if !hmac.Equal(got, f.mac(domainToken, id)) {
		return "", fmt.Errorf("magiclink: the token's mac does not verify: %w", factor.ErrExpired)
	}
	return id, nil
}

// browserHash is what a challenge stores of the browser that began it:
// keyed, so that a copy of the store does not tell which binding cookie
// hash belongs to which challenge.
func (f *Factor) browserHash(browser string) []byte {
	return f.mac(domainBrowser, browser)
}

// codeHash is what a challenge stores of its other-browser code, bound to
// the challenge so that a hash copied to another challenge is no use.
func (f *Factor) codeHash(challengeID, code string) []byte {
	return f.mac(domainCode, challengeID+"\x00"+code)
}

func (f *Factor) mac(domain, msg string) []byte {
	m := hmac.New(sha256.New, f.key)
	m.Write([]byte(domain))
	m.Write([]byte(msg))
	return m.Sum(nil)
}
