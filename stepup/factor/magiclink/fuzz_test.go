package magiclink_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/stepup-auth/stepup/stepup/factor"
)

// FuzzToken feeds Peek and Open arbitrary strings: none panics, only the
// mailed token is accepted, and a refused one is ErrMalformed or
// ErrExpired. Open of any other string changes nothing, which the mailed
// token, still unopened, shows at the end of each run.
func FuzzToken(f *testing.F) {
	e := newEnv(f)
	_, tok := e.begin(f)
	id, sum, _ := strings.Cut(tok, ".")
	for _, s := range []string{tok, id, id + ".", "." + sum, tok + "A", tok[1:], strings.ToUpper(tok),
		id + "." + flip(sum, 0), id + "." + sum[:len(sum)-1] + spare(sum[len(sum)-1]),
		strings.Repeat("A", 22) + "." + strings.Repeat("A", 43), "", ".", "\x00", "☃"} {
		f.Add(s)
	}
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, s string) {
		_, err := e.f.Peek(ctx, s)
		switch {
		case s == tok && err != nil:
			t.Fatalf("Peek of the mailed token: %v", err)
		case s == tok:
			return // Open would spend it for the runs to come
		case err == nil:
			t.Fatalf("Peek accepted %q, which is not the mailed token", s)
		case !errors.Is(err, factor.ErrMalformed) && !errors.Is(err, factor.ErrExpired):
			t.Fatalf("Peek(%q): %v, want ErrMalformed or ErrExpired", s, err)
		}
		if op, err := e.f.Open(ctx, s, browserA); err == nil {
			t.Fatalf("Open accepted %q: %+v", s, op)
		}
		if _, err := e.f.Peek(ctx, tok); err != nil {
			t.Fatalf("the mailed token after Open(%q): %v", s, err)
		}
	})
}
