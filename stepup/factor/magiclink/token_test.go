package magiclink_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/stepup-auth/stepup/stepup/factor"
)

// flip changes the character at i of s to another of the base64url
// alphabet.
func flip(s string, i int) string {
	c := byte('A')
	if s[i] == 'A' {
		c = 'B'
	}
	return s[:i] + string(c) + s[i+1:]
}

// spare returns the base64url character that differs from c only in its
// lowest bit: the last of 43 characters carries two bits that encode
// nothing, which a lax decoder ignores.
func spare(c byte) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	return string(alphabet[strings.IndexByte(alphabet, c)^1])
}

// A token that is not the one mailed opens nothing, and the mailed one
// still works afterwards.
func TestTamperedToken(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	p, tok := e.begin(t)
	id, sum, _ := strings.Cut(tok, ".")
	otherKey := bytes.Repeat([]byte("o"), 32)
	mac := func(key []byte, id string) string {
		m := hmac.New(sha256.New, key)
		m.Write([]byte("stepup magiclink token v1\x00" + id))
		return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
	}
	bad := map[string]string{
		"a flipped mac character":   id + "." + flip(sum, 5),
		"a flipped last character":  id + "." + flip(sum, len(sum)-1),
		"a flipped id character":    flip(id, 3) + "." + sum,
		"the prompt's id, no mac":   p.ChallengeID,
		"the prompt's id, zero mac": p.ChallengeID + "." + strings.Repeat("A", len(sum)),
		"a mac under another key":   id + "." + mac(otherKey, id),
		"the mac of another id":     id + "." + mac(testKey, flip(id, 0)),
		"a mac without the domain": id + "." + func() string {
			m := hmac.New(sha256.New, testKey)
			m.Write([]byte(id))
			return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
		}(),
		"spare bits set in the last character": id + "." + sum[:len(sum)-1] + spare(sum[len(sum)-1]),
		"padded":                               tok + "=",
		"empty":                                "",
		"only dot":                             ".",
	}
	for name, b := range bad {
		if _, err := e.f.Peek(ctx, b); err == nil {
			t.Errorf("Peek accepted %s", name)
		}
		if op, err := e.f.Open(ctx, b, browserA); err == nil {
			t.Errorf("Open accepted %s: %+v", name, op)
		}
	}
	_, err := e.poll(p, "")
	expectErr(t, "polling after the tampered tokens", err, factor.ErrPending)
	if _, err := e.f.Open(ctx, tok, browserA); err != nil {
		t.Fatalf("the mailed token after the tampered ones: %v", err)
	}
}

// A factor with another key refuses the links of this one: the key is
// what makes a link.
func TestTokenOfAnotherKey(t *testing.T) {
	e := newEnv(t)
	_, tok := e.begin(t)
	o := e.o
	o.Key = bytes.Repeat([]byte("o"), 32)
	f := e.factor(t, o)
	_, err := f.Peek(context.Background(), tok)
	expectErr(t, "Peek under another key", err, factor.ErrExpired)
	_, err = f.Open(context.Background(), tok, browserA)
	expectErr(t, "Open under another key", err, factor.ErrExpired)
}
