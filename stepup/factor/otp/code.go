package otp

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"io"
	"math/big"
	"strings"

	"github.com/stepup-auth/stepup/stepup/factor"
)

// codeDigits is the length of a code: six digits, as NIST SP 800-63B
// §5.1.3.2 asks of an out-of-band secret sent as a code.
const codeDigits = 6

var codeSpace = big.NewInt(1_000_000)

// newCode draws a code uniformly from 000000 to 999999.
func newCode(r io.Reader) (string, error) {
	if r == nil {
		r = rand.Reader
	}
	n, err := rand.Int(r, codeSpace)
	if err != nil {
		return "", fmt.Errorf("otp: draw a code: %w", err)
	}
	return fmt.Sprintf("%0*d", codeDigits, n.Int64()), nil
}

// hashCode binds a code to its challenge under the factor's key, so that
// a stored hash neither reveals the code (a plain hash of six digits
// falls to a million tries) nor answers another challenge.
func (f *Factor) hashCode(challengeID, code string) []byte {
	m := hmac.New(sha256.New, f.o.Key)
	m.Write([]byte("stepup-otp-v1\x00"))
	m.Write([]byte(challengeID))
	m.Write([]byte{0})
	m.Write([]byte(code))
	return m.Sum(nil)
}

// parseCode reads a code as typed: spaces and hyphens are dropped
// ("123 456" and "123-456" are what people copy), and what is left must
// be six ASCII digits.
func parseCode(b []byte) (string, error) {
	if len(b) > 64 {
		return "", fmt.Errorf("otp: a code of %d bytes: %w", len(b), factor.ErrMalformed)
	}
	s := strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == '\t' {
			return -1
		}
		return r
	}, string(b))
	if len(s) != codeDigits {
		return "", fmt.Errorf("otp: a code has %d digits: %w", codeDigits, factor.ErrMalformed)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return "", fmt.Errorf("otp: a code has digits only: %w", factor.ErrMalformed)
		}
	}
	return s, nil
}
