package totp

import (
	"errors"
	"testing"

	"github.com/stepup-auth/stepup/stepup/factor"
)

func FuzzParseCode(f *testing.F) {
	for _, s := range []string{"123456", " 123 456 ", "12345", "１２３４５６", "\x00\x00\x00\x00\x00\x00", ""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		code, err := parseCode(in)
		if err != nil {
			if !errors.Is(err, factor.ErrMalformed) {
				t.Fatalf("parseCode(%q): %v does not wrap ErrMalformed", in, err)
			}
			return
		}
		if len(code) != 6 {
			t.Fatalf("parseCode(%q) = %q, not six characters", in, code)
		}
		for _, c := range []byte(code) {
			if c < '0' || c > '9' {
				t.Fatalf("parseCode(%q) = %q, not only ASCII digits", in, code)
			}
		}
		if again, err := parseCode([]byte(code)); err != nil || again != code {
			t.Fatalf("parseCode(%q) = %q, %v: the canonical form does not read as itself", code, again, err)
		}
	})
}
