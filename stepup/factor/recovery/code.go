package recovery

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/stepup-auth/stepup/stepup/factor"
)

const (
	// alphabet is Crockford's base32 in lower case: no i, l, o or u.
	alphabet = "0123456789abcdefghjkmnpqrstvwxyz"
	// codeLen characters of 5 bits: 50 bits a code.
	codeLen = 10
	// maxAnswer bounds the input normalise looks at.
	maxAnswer = 64
	hashSize  = sha256.Size
	// dataVersion leads the stored list of hashes, so that another
	// layout can follow.
	dataVersion = 1
)

// newCodes returns Count distinct random codes in canonical form.
func (f *Factor) newCodes() ([]string, error) {
	codes := make([]string, 0, Count)
	var b [codeLen]byte
	// Two equal codes of 50 bits are all but impossible from a real
	// random source; the bound only stops a broken one looping forever.
	for range 4 * Count {
		if len(codes) == Count {
			break
		}
		if _, err := io.ReadFull(f.rand, b[:]); err != nil {
			return nil, fmt.Errorf("recovery: random code: %w", err)
		}
		for i := range b {
			b[i] = alphabet[b[i]&31] // 256 is a multiple of 32: uniform
		}
		if c := string(b[:]); !contains(codes, c) {
			codes = append(codes, c)
		}
	}
	if len(codes) < Count {
		return nil, errors.New("recovery: the random source repeats itself")
	}
	return codes, nil
}

func contains(codes []string, c string) bool {
	for _, x := range codes {
		if x == c {
			return true
		}
	}
	return false
}

// display spells a canonical code as it is shown: xxxxx-xxxxx.
func display(code string) string { return code[:codeLen/2] + "-" + code[codeLen/2:] }

// normalise reads a code as typed into its canonical form: surrounding
// white space, spaces and hyphens dropped, lower case, and the letters
// Crockford's base32 leaves out read as the digits they look like. Only
// ASCII is read, so no Unicode case folding (the Kelvin sign is not k)
// lets two spellings through.
func normalise(answer []byte) (string, error) {
	if len(answer) > maxAnswer {
		return "", fmt.Errorf("recovery: a code of %d bytes: %w", len(answer), factor.ErrMalformed)
	}
	in := strings.TrimSpace(string(answer))
	out := make([]byte, 0, codeLen)
	for i := range len(in) {
		c := in[i]
		switch {
		case c == ' ' || c == '-':
			continue
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		}
		switch c {
		case 'o':
			c = '0'
		case 'i', 'l':
			c = '1'
		}
		if strings.IndexByte(alphabet, c) < 0 {
			return "", fmt.Errorf("recovery: a code has only the letters and digits it was shown with: %w", factor.ErrMalformed)
		}
		out = append(out, c)
	}
	if len(out) != codeLen {
		return "", fmt.Errorf("recovery: a code has %d letters and digits: %w", codeLen, factor.ErrMalformed)
	}
	return string(out), nil
}

// hash is what is stored of a code. A code has 50 random bits, so a slow
// password hash (argon2) would add nothing against guessing online, and
// would cost that much at each of up to ten comparisons; offline, 2^50
// guesses of a plain SHA-256 are within reach, so the hash is keyed with
// a secret the store does not hold: a stolen database alone gives nothing
// to guess against. It names the user, so a list copied into another
// user's record does not let its codes in there.
func (f *Factor) hash(userID, code string) []byte {
	m := hmac.New(sha256.New, f.key)
	m.Write([]byte("stepup recovery code\x00"))
	m.Write([]byte(userID))
	m.Write([]byte{0})
	m.Write([]byte(code))
	return m.Sum(nil)
}

// find returns the index of h in hashes, or -1. It compares h with every
// hash, to the end, in constant time.
func find(hashes [][]byte, h []byte) int {
	at := -1
	for i, x := range hashes {
		eq := subtle.ConstantTimeCompare(x, h)
		at = subtle.ConstantTimeSelect(eq, i, at)
	}
	return at
}

// encodeHashes lays out a list of hashes: a version byte, then the
// hashes end to end.
func encodeHashes(hashes [][]byte) []byte {
	out := make([]byte, 0, 1+len(hashes)*hashSize)
	out = append(out, dataVersion)
	for _, h := range hashes {
		out = append(out, h...)
	}
	return out
}

func decodeHashes(data []byte) ([][]byte, error) {
	if len(data) == 0 || data[0] != dataVersion || (len(data)-1)%hashSize != 0 {
		return nil, fmt.Errorf("recovery: a list of codes of %d bytes is not one this build reads", len(data))
	}
	hashes := make([][]byte, 0, (len(data)-1)/hashSize)
	for rest := data[1:]; len(rest) > 0; rest = rest[hashSize:] {
		hashes = append(hashes, rest[:hashSize:hashSize])
	}
	return hashes, nil
}
