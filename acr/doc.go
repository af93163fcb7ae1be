// Package acr is stepup's assurance model, importable by any Go program on its
// own: the ordered assurance levels named by ACR values and the authentication
// methods whose verifications reach them.
//
// A Level is what a relying party asks for (acr_values, an essential acr claim)
// and what a token carries in its acr claim. Levels are totally ordered: a
// higher level satisfies every lower one.
//
// The package imports nothing else of stepup, so an API can depend on it alone.
package acr
