package oidc

import (
	"strings"
	"testing"
)

func testCrypto(t testing.TB, fill byte) sealCrypto {
	var key [32]byte
	for i := range key {
		key[i] = fill
	}
	c, err := newSealCrypto(key, cryptoAD)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCryptoRoundTripsAndRefusesForgeries(t *testing.T) {
	c := testCrypto(t, 1)
	sealed, err := c.Encrypt("auth-request-id")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sealed, "auth-request-id") {
		t.Fatal("the value is readable in its sealed form")
	}
	if again, _ := c.Encrypt("auth-request-id"); again == sealed {
		t.Fatal("two seals of one value are equal: the nonce is not fresh")
	}
	if got, err := c.Decrypt(sealed); err != nil || got != "auth-request-id" {
		t.Fatalf("Decrypt = %q, %v", got, err)
	}
	flipped := []byte(sealed)
	flipped[len(flipped)-3] ^= 'A' ^ 'B'
	for name, s := range map[string]string{
		"tampered":      string(flipped),
		"truncated":     sealed[:len(sealed)-4],
		"not base64":    sealed + "!",
		"empty":         "",
		"another key's": func() string { s, _ := testCrypto(t, 2).Encrypt("auth-request-id"); return s }(),
		"another use's": func() string {
			intents, _ := newSealCrypto([32]byte{1: 1}, signOutAD)
			intents.sealer = c.sealer // the same key
			s, _ := intents.Encrypt("auth-request-id")
			return s
		}(),
		"a JWE of before": "eyJhbGciOiJBMjU2R0NNS1ciLCJlbmMiOiJBMjU2R0NNIn0.x.y.z.w",
	} {
		if got, err := c.Decrypt(s); err == nil {
			t.Errorf("%s: Decrypt = %q, want an error", name, got)
		}
	}
}

func BenchmarkCrypto(b *testing.B) {
	c := testCrypto(b, 1)
	b.ReportAllocs()
	for b.Loop() {
		s, err := c.Encrypt("0123456789abcdefghijkl")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.Decrypt(s); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzCryptoDecrypt: codes and opaque tokens come from clients; any string
// is refused or opens, never panics, and a sealed value opens to itself.
func FuzzCryptoDecrypt(f *testing.F) {
	c := testCrypto(f, 1)
	good, _ := c.Encrypt("id")
	for _, s := range []string{good, "", "AQ", good[:10], good + "A"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = c.Decrypt(s)
		sealed, err := c.Encrypt(s)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := c.Decrypt(sealed); err != nil || got != s {
			t.Fatalf("round trip of %q: %q, %v", s, got, err)
		}
	})
}
