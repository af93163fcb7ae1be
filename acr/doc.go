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
// A Challenge is the other half of step-up, RFC 9470 between an API and its
// clients. An API answers a token that falls short of a route's requirement
// with one:
//
//	acr.Challenge{
//		Error:     acr.CodeInsufficientUserAuthentication,
//		ACRValues: []string{acr.MFA.String()},
//		MaxAge:    5 * time.Minute, HasMaxAge: true,
//	}.ServeHTTP(w, r)
//
// which sends 401 with
//
//	WWW-Authenticate: Bearer error="insufficient_user_authentication", acr_values="urn:stepup:acr:mfa", max_age="300"
//
// and the same as a JSON body. The client reads it with ParseChallenge and
// adds its AuthParams (acr_values, max_age) to a new authorization request.
//
// The package imports nothing else of stepup, so an API can depend on it alone.
package acr
