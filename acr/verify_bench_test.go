package acr

import (
	"context"
	"testing"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// BenchmarkVerifyUncached is the full check of an ES256 token: parse,
// key look-up, signature, claims.
func BenchmarkVerifyUncached(b *testing.B) {
	v := newTestVerifier(b, publicSet(b), func(c *VerifierConfig) { c.CacheSize = -1 })
	raw := goodToken(b, nil)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(ctx, raw); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBareGoJose is the baseline of BenchmarkVerifyUncached: go-jose
// parsing the same token and verifying it with the key into jwt.Claims,
// with none of the checks.
func BenchmarkBareGoJose(b *testing.B) {
	pub := keysOnce().ec.Public()
	raw := goodToken(b, nil)
	algs := []jose.SignatureAlgorithm{jose.ES256}
	b.ReportAllocs()
	for b.Loop() {
		tok, err := jwt.ParseSigned(raw, algs)
		if err != nil {
			b.Fatal(err)
		}
		var c jwt.Claims
		if err := tok.Claims(pub, &c); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyCached is a token verified before: a hash and a map
// look-up.
func BenchmarkVerifyCached(b *testing.B) {
	v := newTestVerifier(b, publicSet(b), nil)
	raw := goodToken(b, nil)
	ctx := context.Background()
	if _, err := v.Verify(ctx, raw); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(ctx, raw); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyCachedParallel is the cached path under contention.
func BenchmarkVerifyCachedParallel(b *testing.B) {
	v := newTestVerifier(b, publicSet(b), nil)
	raw := goodToken(b, nil)
	ctx := context.Background()
	if _, err := v.Verify(ctx, raw); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := v.Verify(ctx, raw); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
