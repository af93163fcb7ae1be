package totp

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/stepup/factor"
)

func TestParseCode(t *testing.T) {
	for _, tc := range []struct {
		in, want string // want empty: ErrMalformed
	}{
		{"123456", "123456"},
		{"012345", "012345"},
		{" 123 456 ", "123456"},
		{"12 34 56\n", "123456"},
		{"", ""},
		{"12345", ""},
		{"1234567", ""},
		{"123-456", ""},
		{"12345a", ""},
		{"+12345", ""},
		{"１２３４５６", ""}, // full-width digits
		{"١٢٣٤٥٦", ""}, // Arabic-Indic digits
		{"12\t3456", ""},
		{strings.Repeat(" ", 100) + "123456", ""},
	} {
		got, err := parseCode([]byte(tc.in))
		switch {
		case tc.want == "" && !errors.Is(err, factor.ErrMalformed):
			t.Errorf("parseCode(%q) = %q, %v; want ErrMalformed", tc.in, got, err)
		case tc.want != "" && (err != nil || got != tc.want):
			t.Errorf("parseCode(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestWindow(t *testing.T) {
	for _, tc := range []struct {
		unix int64
		want []uint64
	}{
		{1111111109, []uint64{0x23523EB, 0x23523EC, 0x23523ED}},
		{45, []uint64{0, 1, 2}},
		{5, []uint64{0, 1}}, // no step before the first
	} {
		got := window(time.Unix(tc.unix, 0))
		if len(got) != len(tc.want) {
			t.Errorf("window(%d) = %v, want %v", tc.unix, got, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("window(%d) = %v, want %v", tc.unix, got, tc.want)
			}
		}
	}
}
