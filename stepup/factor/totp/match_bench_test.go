package totp

import (
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
)

// BenchmarkMatch is the code check alone, without the store: a right
// code of the newest step of the window, so all three steps are computed.
// BenchmarkFinishVerify adds the store's durable writes.
func BenchmarkMatch(b *testing.B) {
	secret := []byte("12345678901234567890")
	now := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	steps := window(now)
	code, err := hotp.GenerateCodeCustom(b32.EncodeToString(secret), steps[len(steps)-1],
		hotp.ValidateOpts{Digits: digits, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, ok, err := match(secret, code, steps, 0); !ok || err != nil {
			b.Fatal("no match")
		}
	}
}
