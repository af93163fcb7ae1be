// Package keys keeps stepup's token signing keys: it creates them, seals
// their private halves at rest, hands out the key that signs, publishes the
// JWKS and rotates.
//
// Each configured algorithm (ES256 by default, RS256 and EdDSA) has, in
// store.SigningKeys, one active key that signs, one next key that is
// published before it signs, and the retired keys that stay published until
// every token they signed has expired. Rotate makes the next key active,
// retires the active one for Options.RetireAfter and publishes a new next
// key, in one atomic store step. Rotate waits until the next key has been
// in the JWKS for longer than verifiers may cache it (JWKSMaxAge, the JWKS's
// Cache-Control max-age, and a margin), so they already know the key a new
// token names; RotateSkipPublishWait does not wait, for a compromised key.
//
// A key's id (kid) is its RFC 7638 JWK thumbprint (SHA-256, base64url): it
// follows from the public key, so two keys never share one, a verifier can
// recompute it, and a record whose public key was swapped is caught on load.
// Private keys are stored as PKCS #8 sealed by package seal, with the kid
// in the associated data, so a sealed key copied into another record does
// not open.
//
// RS256 keys are 2048-bit: RS256 exists here for relying parties and
// brokers that accept nothing else, and 2048 bits is what the large
// identity providers publish and therefore what every verifier handles; it
// is acceptable to NIST until 2030 and these keys rotate. 3072 bits would
// sign several times slower and make every token longer, on the path that
// issues tokens. ES256 is the default and needs neither.
//
// The store is the source of truth: another process (`stepup keys rotate`)
// may rotate. A Ring re-reads the store at most every Options.Reload and
// keeps the decrypted active keys in memory, by kid and record Version, so
// signing does not touch the store.
package keys
