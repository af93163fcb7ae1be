package totp

import (
	"crypto/subtle"
	"encoding/base32"
	"fmt"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/stepup-auth/stepup/stepup/factor"
)

const (
	period     = 30 // seconds
	digits     = otp.DigitsSix
	secretSize = 20
	// skew is how many steps either side of the current one a code may
	// come from. RFC 6238 §5.2 recommends at most one: each more step
	// multiplies the codes an attacker's guess can hit.
	skew = 1
	// maxAnswer bounds the input parseCode looks at.
	maxAnswer = 64
)

// b32 is how otpauth URIs and pquerna/otp spell secrets.
var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// Step returns the RFC 6238 time step of t: the number of whole 30-second
// periods since the Unix epoch (0 before it).
func Step(t time.Time) uint64 {
	s := t.Unix()
	if s < 0 {
		return 0
	}
	return uint64(s) / period
}

// window returns the steps a code may come from at now, oldest first.
func window(now time.Time) []uint64 {
	cur := Step(now)
	steps := make([]uint64, 0, 2*skew+1)
	for d := -skew; d <= skew; d++ {
		if d < 0 && cur < uint64(-d) {
			continue
		}
		steps = append(steps, uint64(int64(cur)+int64(d)))
	}
	return steps
}

// match returns the first step of steps, from step from on, whose code
// for secret is code. Steps before from were used already: a code of
// theirs is a replay, and skipping them (rather than stopping at them)
// still accepts the rare code that a later step repeats.
func match(secret []byte, code string, steps []uint64, from uint64) (uint64, bool, error) {
	enc := b32.EncodeToString(secret)
	for _, s := range steps {
		if s < from {
			continue
		}
		want, err := hotp.GenerateCodeCustom(enc, s, hotp.ValidateOpts{Digits: digits, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			return 0, false, fmt.Errorf("totp: code of step %d: %w", s, err)
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return s, true, nil
		}
	}
	return 0, false, nil
}

// parseCode reads a code as typed: six ASCII digits, which apps often show
// in two groups, so spaces are dropped first.
func parseCode(answer []byte) (string, error) {
	if len(answer) > maxAnswer {
		return "", fmt.Errorf("totp: a code of %d bytes: %w", len(answer), factor.ErrMalformed)
	}
	code := strings.ReplaceAll(strings.TrimSpace(string(answer)), " ", "")
	if len(code) != digits.Length() {
		return "", fmt.Errorf("totp: a code must have %d digits: %w", digits.Length(), factor.ErrMalformed)
	}
	for i := range len(code) {
		if code[i] < '0' || code[i] > '9' {
			return "", fmt.Errorf("totp: a code has only digits: %w", factor.ErrMalformed)
		}
	}
	return code, nil
}
