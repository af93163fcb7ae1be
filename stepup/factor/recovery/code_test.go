package recovery

import (
	"errors"
	"strings"
	"testing"

	"github.com/stepup-auth/stepup/stepup/factor"
)

func TestNormalise(t *testing.T) {
	for _, tc := range []struct {
		in, want string // want empty: ErrMalformed
	}{
		{"abcde-fghjk", "abcdefghjk"},
		{"ABCDE-FGHJK", "abcdefghjk"},
		{"abcdefghjk", "abcdefghjk"},
		{" abcde fghjk\n", "abcdefghjk"},
		{"a-b-c-d-e-f-g-h-j-k", "abcdefghjk"},
		{"oO1iIlL-234", "0011111234"},
		{"", ""},
		{"abcde-fghj", ""},
		{"abcde-fghjkm", ""},
		{"abcde-fghju", ""}, // u is not in the alphabet
		{"abcde_fghjk", ""},
		{"abcde\tfghjk", ""},
		{"abcde-fghj\u212a", ""}, // the Kelvin sign, whose Unicode lower case is k
		{"abcde-fghjk\x00", ""},
		{strings.Repeat(" ", 60) + "abcdefghjk", ""},
	} {
		got, err := normalise([]byte(tc.in))
		switch {
		case tc.want == "" && !errors.Is(err, factor.ErrMalformed):
			t.Errorf("normalise(%q) = %q, %v; want ErrMalformed", tc.in, got, err)
		case tc.want != "" && (err != nil || got != tc.want):
			t.Errorf("normalise(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestFind(t *testing.T) {
	a, b, c := []byte("aaaa"), []byte("bbbb"), []byte("cccc")
	hashes := [][]byte{a, b, c}
	for _, tc := range []struct {
		h    []byte
		want int
	}{{a, 0}, {b, 1}, {c, 2}, {[]byte("dddd"), -1}, {[]byte("aaa"), -1}} {
		if got := find(hashes, tc.h); got != tc.want {
			t.Errorf("find(%q) = %d, want %d", tc.h, got, tc.want)
		}
	}
}
