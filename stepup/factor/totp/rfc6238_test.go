package totp_test

import (
	"testing"
	"time"

	"github.com/stepup-auth/stepup/stepup/factor/totp"
)

// TestReferenceGenerator checks the tests' own generator, and Step, against
// the SHA1 test vectors of RFC 6238 Appendix B, so that a code the factor
// accepts is one every app would show.
func TestReferenceGenerator(t *testing.T) {
	secret := []byte("12345678901234567890")
	for _, v := range []struct {
		unix int64
		step uint64
		code string
	}{
		{59, 0x1, "94287082"},
		{1111111109, 0x23523EC, "07081804"},
		{1111111111, 0x23523ED, "14050471"},
		{1234567890, 0x273EF07, "89005924"},
		{2000000000, 0x3F940AA, "69279037"},
		{20000000000, 0x27BC86AA, "65353130"},
	} {
		tm := time.Unix(v.unix, 0)
		if got := totp.Step(tm); got != v.step {
			t.Errorf("Step(%d) = %#x, want %#x", v.unix, got, v.step)
		}
		if got := hotpCode(secret, v.step, 8); got != v.code {
			t.Errorf("code at T=%d = %s, want %s", v.unix, got, v.code)
		}
		// The six-digit code is the eight-digit one modulo 10^6.
		if got := codeAt(secret, tm, 0); got != v.code[2:] {
			t.Errorf("six-digit code at T=%d = %s, want %s", v.unix, got, v.code[2:])
		}
	}
	if got := totp.Step(time.Unix(-1, 0)); got != 0 {
		t.Errorf("Step before the epoch = %d, want 0", got)
	}
}
