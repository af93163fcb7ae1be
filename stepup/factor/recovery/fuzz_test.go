package recovery

import (
	"errors"
	"strings"
	"testing"

	"github.com/stepup-auth/stepup/stepup/factor"
)

func FuzzNormalise(f *testing.F) {
	for _, s := range []string{"abcde-fghjk", "ABCDE FGHJK", "oO1iIlL-234", "abcde-fghju", "abcde-fghj\u212a", ""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		code, err := normalise(in)
		if err != nil {
			if !errors.Is(err, factor.ErrMalformed) {
				t.Fatalf("normalise(%q): %v does not wrap ErrMalformed", in, err)
			}
			return
		}
		if len(code) != codeLen {
			t.Fatalf("normalise(%q) = %q, not %d characters", in, code, codeLen)
		}
		for i := range len(code) {
			if !strings.Contains(alphabet, code[i:i+1]) {
				t.Fatalf("normalise(%q) = %q, which is not all in the alphabet", in, code)
			}
		}
		for _, spelling := range []string{code, display(code)} {
			if again, err := normalise([]byte(spelling)); err != nil || again != code {
				t.Fatalf("normalise(%q) = %q, %v; want %q", spelling, again, err, code)
			}
		}
	})
}
