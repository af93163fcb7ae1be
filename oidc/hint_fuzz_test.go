package oidc

import (
	"context"
	"errors"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// noKeys verifies no signature: the fuzzed hints reach zitadel/oidc's
// parsing and claim checks, which run before the signature's.
type noKeys struct{}

func (noKeys) VerifySignature(context.Context, *jose.JSONWebSignature) ([]byte, error) {
	return nil, errors.New("no keys")
}

// A hint that passes wellFormedHint can be handed to zitadel/oidc's
// verifier without a panic; one that zitadel would choke on never passes.
func FuzzWellFormedHint(f *testing.F) {
	for _, seed := range []string{
		"", "eyJhbGciOiJFUzI1NiJ9.bnVsbA.AAAA", "eyJhbGciOiJFUzI1NiJ9.W10.AAAA", "eyJhbGciOiJFUzI1NiJ9.e30.AAAA",
		"eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOm51bGx9.AAAA", "eyJhbGciOiJub25lIn0.eyJpc3MiOiJ4In0.",
		"a.b.c.d", "..", "x", "eyJ9.bnVsbA.",
	} {
		f.Add(seed)
	}
	verifier := op.NewIDTokenHintVerifier("http://localhost:8080", noKeys{},
		op.WithSupportedIDTokenHintSigningAlgorithms("ES256", "RS256", "EdDSA"))
	f.Fuzz(func(t *testing.T, hint string) {
		if hint == "" || !wellFormedHint(hint) {
			return
		}
		defer func() {
			if v := recover(); v != nil {
				t.Fatalf("wellFormedHint(%q) passed a hint that makes zitadel/oidc panic: %v", hint, v)
			}
		}()
		// The claim types /authorize and /end_session verify hints as.
		_, _ = op.VerifyIDTokenHint[*oidc.TokenClaims](context.Background(), hint, verifier)
		_, _ = op.VerifyIDTokenHint[*oidc.IDTokenClaims](context.Background(), hint, verifier)
	})
}
