package otp

import (
	"crypto/hmac"
	"crypto/sha256"
)

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
