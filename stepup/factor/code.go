package factor

import (
	"crypto/rand"
	"fmt"
	"io"
	"math/big"
	"strings"
)

// CodeDigits is the length of a code a factor sends or shows for the user
// to type (a code by email or text, a magic link's code for another
// device): six digits, as NIST SP 800-63B §5.1.3.2 asks of an out-of-band
// secret.
const CodeDigits = 6

var codeSpace = big.NewInt(1_000_000)

// NewCode draws a code uniformly from 000000 to 999999, from r
// (crypto/rand when nil).
func NewCode(r io.Reader) (string, error) {
	if r == nil {
		r = rand.Reader
	}
	n, err := rand.Int(r, codeSpace)
	if err != nil {
		return "", fmt.Errorf("factor: draw a code: %w", err)
	}
	return fmt.Sprintf("%0*d", CodeDigits, n.Int64()), nil
}

// ParseCode reads a code NewCode made, as typed: spaces, tabs and hyphens
// are dropped ("123 456" and "123-456" are what people copy), and what is
// left must be six ASCII digits. Anything else wraps ErrMalformed.
func ParseCode(b []byte) (string, error) {
	if len(b) > 64 {
		return "", fmt.Errorf("factor: a code of %d bytes: %w", len(b), ErrMalformed)
	}
	s := strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == '\t' {
			return -1
		}
		return r
	}, string(b))
	if len(s) != CodeDigits {
		return "", fmt.Errorf("factor: a code has %d digits: %w", CodeDigits, ErrMalformed)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return "", fmt.Errorf("factor: a code has digits only: %w", ErrMalformed)
		}
	}
	return s, nil
}
