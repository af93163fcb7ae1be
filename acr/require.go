package acr

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// amrLevel is the lowest level whose every token carries an amr value,
// for the values a level implies (see Assess).
var amrLevel = map[string]Level{AMRHardware: PhishingResistantHardware, AMRPoP: PhishingResistant, AMRMulti: MFA}

// Requirement is what a route asks of the authentication behind a token:
// at least a level, optionally an authentication no older than MaxAge and
// some amr values. Declare it with Require, next to the handler, so that
// the route reads like its policy:
//
//	mux.Handle("POST /transfer", acr.Middleware(v, acr.Require(acr.MFA, acr.MaxAge(5*time.Minute)))(transfer))
type Requirement struct {
	Level Level
	// MaxAge, when HasMaxAge, bounds the time since auth_time.
	MaxAge    time.Duration
	HasMaxAge bool
	// AMR are values the token's amr must all hold (RFC 8176), such as
	// "hwk".
	AMR []string
}

// Option adds to a Requirement.
type Option func(*Requirement)

// MaxAge asks that the user authenticated at most d ago (auth_time); a
// token without auth_time does not meet it.
func MaxAge(d time.Duration) Option {
	return func(r *Requirement) { r.MaxAge, r.HasMaxAge = max(d, 0), true }
}

// RequireAMR asks that the token's amr hold every one of values. RFC 9470
// has no way to ask an authorization server for amr values, so a token
// that lacks one is challenged for the lowest level that brings it (hwk:
// phrh; pop: phr; mfa: mfa), and for none when no level does (otp, sms):
// the client can then only try again.
func RequireAMR(values ...string) Option {
	return func(r *Requirement) { r.AMR = append(r.AMR, values...) }
}

// Require returns the requirement of at least level, with options.
func Require(level Level, opts ...Option) Requirement {
	r := Requirement{Level: level}
	for _, o := range opts {
		o(&r)
	}
	return r
}

// Check returns nil when claims meet r at now, and otherwise the RFC 9470
// challenge that tells the client what to ask the authorization server
// for: the level's ACR value, and max_age when the authentication is too
// old.
func (r Requirement) Check(c *Claims, now time.Time) *Challenge {
	var missing []string
	if !c.Level.Satisfies(r.Level) {
		missing = append(missing, fmt.Sprintf("a level of at least %s", r.Level))
	}
	if r.HasMaxAge && (c.AuthTime.IsZero() || now.Sub(c.AuthTime) > r.MaxAge) {
		missing = append(missing, fmt.Sprintf("an authentication within %s", r.MaxAge))
	}
	for _, v := range r.AMR {
		if !slices.Contains(c.AMR, v) {
			missing = append(missing, fmt.Sprintf("amr %s", v))
		}
	}
	if len(missing) == 0 {
		return nil
	}
	ch := &Challenge{
		Error:       CodeInsufficientUserAuthentication,
		Description: "This resource needs " + strings.Join(missing, ", "),
	}
	// The route's level, raised to one that brings a missing amr: asking
	// only for a level the token has would send the client round in a
	// loop.
	ask := r.Level
	for _, v := range r.AMR {
		if !slices.Contains(c.AMR, v) {
			ask = max(ask, amrLevel[v])
		}
	}
	if ask > None {
		ch.ACRValues = []string{ask.String()}
	}
	if r.HasMaxAge {
		ch.MaxAge, ch.HasMaxAge = r.MaxAge, true
	}
	return ch
}
