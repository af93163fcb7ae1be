// Package acr is stepup's assurance model, importable by any Go program on its
// own: the ordered assurance levels named by ACR values, the authentication
// methods whose verifications reach them, and the amr values they yield.
//
// A Level is what a relying party asks for (acr_values, an essential acr claim)
// and what a token carries in its acr claim. Levels are totally ordered: a
// higher level satisfies every lower one.
//
// A Scheme maps ACR values to levels: the built-in urn:stepup:acr:* values,
// well-known values of other specifications (OpenID EAP's phr and phrh, PAPE,
// Okta's) and an operator's aliases. Assess turns a session's verifications
// into the level they reach, with their RFC 8176 amr values and auth_time.
//
// A KeySet gives a token verifier the issuer's public signing keys: a
// StaticKeySet for tests and offline use, a RemoteKeySet that discovers the
// issuer's jwks_uri and caches its keys, refetching them on a TTL and, rate
// limited, on an unknown kid.
//
// A Verifier checks stepup's JWT access tokens (RFC 9068) against a KeySet:
// typ at+jwt, an asymmetric signature by a key of the set, iss, aud, a
// required exp, nbf, iat and sub. It returns their Claims, with the Level of
// their acr, and caches the tokens it verified until they expire, so a token
// seen before costs a hash and a map look-up.
//
// The package imports nothing else of stepup, so an API can depend on it alone.
package acr
