// Package acr is stepup's assurance model and the resource-server half of
// step-up authentication, importable by any Go program on its own.
//
// # Levels
//
// A Level is what a relying party asks for (acr_values, an essential acr
// claim) and what a token carries in its acr claim. Levels are totally
// ordered, and a higher level satisfies every lower one: OneFactor, MFA,
// PhishingResistant (a passkey or security key), PhishingResistantHardware
// (one whose key cannot leave its device).
//
// A Scheme maps ACR values to levels: the built-in urn:stepup:acr:* values,
// well-known values of other specifications (OpenID EAP's phr and phrh, PAPE,
// Okta's) and an operator's aliases. Assess turns a session's verifications
// into the level they reach, with their RFC 8176 amr values and auth_time.
//
// # Protecting an API
//
// An API checks the access token of each request, then the route's
// requirement, before the sensitive action:
//
//	keys, err := acr.NewRemoteKeySet(ctx, "https://id.example.com")
//	...
//	v, err := acr.NewVerifier(keys, acr.VerifierConfig{Issuer: "https://id.example.com", Audience: "bank-api"})
//	...
//	mux.Handle("GET /balance", acr.Middleware(v, acr.Require(acr.OneFactor))(balance))
//	mux.Handle("POST /transfer", acr.Middleware(v, acr.Require(acr.MFA, acr.MaxAge(5*time.Minute)))(transfer))
//
// and a handler reads who is calling with FromContext.
//
// A KeySet gives the Verifier the issuer's public signing keys: a
// StaticKeySet for tests and offline use, a RemoteKeySet that discovers the
// issuer's jwks_uri and caches its keys, refetching them on a TTL and, rate
// limited, on an unknown kid.
//
// A Verifier checks JWT access tokens (RFC 9068) against a KeySet: typ
// at+jwt, an asymmetric signature by a key of the set, iss, aud, a required
// exp, nbf, iat and sub. It returns their Claims, with the Level of their
// acr, and caches the tokens it verified until they expire, so a token seen
// before costs a hash and a map look-up.
//
// An Introspector checks opaque access tokens instead, by asking the
// authorization server's introspection endpoint (RFC 7662) with the API's
// client credentials, and applies the same checks to the answer. It keeps
// an active answer for a short TTL (never past exp) and an inactive one
// not at all. Middleware takes either, as a TokenVerifier.
//
// # Step-up challenges
//
// Middleware answers a request without a token, with a bad one, or with one
// that falls short of the route's Requirement with a Challenge (RFC 6750,
// RFC 9470). A short one gets
//
//	HTTP/1.1 401 Unauthorized
//	WWW-Authenticate: Bearer error="insufficient_user_authentication", error_description="...", acr_values="urn:stepup:acr:mfa", max_age="300"
//
// and the same as a JSON body. The client reads it with ParseChallenge and
// adds its AuthParams (acr_values, max_age) to a new authorization request;
// the token that comes back passes.
//
// The package imports nothing else of stepup, so an API can depend on it alone.
package acr
