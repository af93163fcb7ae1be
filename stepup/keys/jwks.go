package keys

import (
	"context"

	"github.com/go-jose/go-jose/v4"
	"github.com/stepup-auth/stepup/stepup/store"
)

// JWKS returns the public keys verifiers need: for every algorithm in the
// store the active key, the next key and the retired keys not yet expired,
// each with its kid, "alg" and "use": "sig". Keys of an algorithm removed
// from the configuration stay published until they are deleted from the
// store, so tokens they signed keep verifying.
func (r *Ring) JWKS(ctx context.Context) (jose.JSONWebKeySet, error) {
	s, err := r.current(ctx)
	if err != nil {
		return jose.JSONWebKeySet{}, err
	}
	now := r.now()
	set := jose.JSONWebKeySet{Keys: make([]jose.JSONWebKey, 0, len(s.published))}
	for _, p := range s.published {
		if store.Live(p.expiresAt, now) {
			set.Keys = append(set.Keys, p.jwk)
		}
	}
	return set, nil
}
