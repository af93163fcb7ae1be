package keys

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/go-jose/go-jose/v4"
	"github.com/stepup-auth/stepup/stepup/store"
)

// rsaBits is the size of RS256 keys; see the package documentation.
const rsaBits = 2048

// algorithm says how to make keys of one signing algorithm and how to
// recognise them.
type algorithm struct {
	generate func() (crypto.Signer, error)
	fits     func(crypto.Signer) bool
}

// Since Go 1.26 key generation always draws from a secure source and
// ignores a reader passed to it, so none is injected: tests check keys by
// their relations, not their bytes.
var algorithms = map[string]algorithm{
	"ES256": {
		generate: func() (crypto.Signer, error) { return ecdsa.GenerateKey(elliptic.P256(), rand.Reader) },
		fits: func(s crypto.Signer) bool {
			k, ok := s.(*ecdsa.PrivateKey)
			return ok && k.Curve == elliptic.P256()
		},
	},
	"RS256": {
		generate: func() (crypto.Signer, error) { return rsa.GenerateKey(rand.Reader, rsaBits) },
		fits: func(s crypto.Signer) bool {
			k, ok := s.(*rsa.PrivateKey)
			return ok && k.N.BitLen() >= rsaBits
		},
	},
	"EdDSA": {
		generate: func() (crypto.Signer, error) {
			_, k, err := ed25519.GenerateKey(rand.Reader)
			return k, err
		},
		fits: func(s crypto.Signer) bool { _, ok := s.(ed25519.PrivateKey); return ok },
	},
}

// associatedData binds a sealed private key to its record. The prefix keeps
// it apart from other secrets sealed with the same master key.
func associatedData(kid string) []byte { return []byte("stepup signing key " + kid) }

// generate makes a new key of alg, as a record in state with its private
// key sealed.
func (r *Ring) generate(alg, state string) (*store.SigningKey, error) {
	signer, err := algorithms[alg].generate()
	if err != nil {
		return nil, fmt.Errorf("keys: generating a %s key: %w", alg, err)
	}
	jwk := jose.JSONWebKey{Key: signer.Public(), Algorithm: alg, Use: "sig"}
	kid, err := thumbprint(jwk)
	if err != nil {
		return nil, err
	}
	jwk.KeyID = kid
	pub, err := jwk.MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("keys: encoding a %s public key: %w", alg, err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(signer)
	if err != nil {
		return nil, fmt.Errorf("keys: encoding a %s private key: %w", alg, err)
	}
	sealed, err := r.sealer.Seal(der, associatedData(kid))
	clear(der)
	if err != nil {
		return nil, fmt.Errorf("keys: sealing a %s private key: %w", alg, err)
	}
	now := r.now()
	rec := &store.SigningKey{ID: kid, Algorithm: alg, PrivateKey: sealed, PublicKey: pub, State: state, CreatedAt: now}
	if state == store.SigningKeyActive {
		rec.ActivatedAt = now
	}
	return rec, nil
}

// thumbprint returns the RFC 7638 SHA-256 thumbprint of a key, base64url.
func thumbprint(jwk jose.JSONWebKey) (string, error) {
	tp, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		return "", fmt.Errorf("keys: thumbprint: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(tp), nil
}

// publicKey decodes and checks a record's public JWK: public, signing, of
// the record's algorithm and with the record's id as both kid and
// thumbprint.
func publicKey(rec *store.SigningKey) (jose.JSONWebKey, error) {
	var jwk jose.JSONWebKey
	if err := json.Unmarshal(rec.PublicKey, &jwk); err != nil {
		return jwk, fmt.Errorf("keys: signing key %s: public key: %w", rec.ID, err)
	}
	tp, err := thumbprint(jwk)
	switch {
	case err != nil:
		return jwk, fmt.Errorf("keys: signing key %s: public key: %w", rec.ID, err)
	case !jwk.IsPublic():
		return jwk, fmt.Errorf("keys: signing key %s: the stored public key holds a private key", rec.ID)
	case jwk.KeyID != rec.ID || tp != rec.ID:
		return jwk, fmt.Errorf("keys: signing key %s: the stored public key has kid %q and thumbprint %q, want both to be the record's id", rec.ID, jwk.KeyID, tp)
	case jwk.Algorithm != rec.Algorithm || jwk.Use != "sig":
		return jwk, fmt.Errorf("keys: signing key %s: the stored public key has alg %q and use %q, want %q and \"sig\"", rec.ID, jwk.Algorithm, jwk.Use, rec.Algorithm)
	}
	return jwk, nil
}

// privateKey opens a record's sealed private key and checks that it fits
// the record's algorithm and public key.
func (r *Ring) privateKey(rec *store.SigningKey, pub jose.JSONWebKey) (crypto.Signer, error) {
	der, err := r.sealer.Open(rec.PrivateKey, associatedData(rec.ID))
	if err != nil {
		return nil, fmt.Errorf("keys: %s key %s: cannot decrypt its private key (is the master key right?): %w", rec.Algorithm, rec.ID, err)
	}
	defer clear(der)
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("keys: %s key %s: private key: %w", rec.Algorithm, rec.ID, err)
	}
	signer, ok := k.(crypto.Signer)
	alg, known := algorithms[rec.Algorithm]
	if !ok || !known || !alg.fits(signer) {
		return nil, fmt.Errorf("keys: %s key %s: the private key is a %T", rec.Algorithm, rec.ID, k)
	}
	if eq, ok := signer.Public().(interface{ Equal(crypto.PublicKey) bool }); !ok || !eq.Equal(pub.Key) {
		return nil, fmt.Errorf("keys: %s key %s: the private key does not match the public key", rec.Algorithm, rec.ID)
	}
	return signer, nil
}
