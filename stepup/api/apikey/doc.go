// Package apikey issues and checks the API keys of stepup's JSON APIs: server
// keys for the track API, which backends call, and admin keys for the admin
// API, which analysts and operators call.
//
// A key is a secret shown once, when it is made:
//
//	su_admin_3f9c0a6e1d2b4c5f8a7e6d1c_q2Lx...43 characters...
//	   kind  id (public, 24 hex)       secret (32 random bytes, base64url)
//
// The id names the stored record (store.APIKey) and may appear in logs and
// listings; the secret never leaves the key's holder. The store keeps only a
// SHA-256 hash of the whole key, compared in constant time.
//
// An Authenticator checks keys on each request (Middleware): Authorization:
// Bearer <key> and nothing else, of the kind the API takes. It keeps the
// records it has read for CacheTTL, so a busy API does not read the store
// on every request; a key revoked (deleted from the store) therefore stops
// working within CacheTTL, on every replica. Expiry is checked on every
// request.
package apikey
