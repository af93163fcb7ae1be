// Package stepup is the decision engine of stepup, with no HTTP in it.
//
// Engine.Decide is the one place where what an action needs is decided:
// the OpenID Connect flow, the track API and the Cognito triggers all ask
// it with a Request and act on its Decision. The requested level and the
// client's minimum are a floor; the action's rules (RuleBook: CEL rule
// sets from the rules package, versioned in the store and swapped at run
// time) read the request's risk signals (Signals: the user, the device,
// the address's place and lists, travel, velocity, from the signals
// package) and may raise the level, ask for fresher or other
// verifications, hold the action for review or block it; the session's
// verifications then decide whether a challenge is needed. Remember makes
// a device known after a successful sign-in.
//
// Sessions keeps the SSO sessions whose verifications the decisions weigh,
// with their idle and absolute timeouts. Flows carries a pending sign-in or
// step-up between the OpenID Provider and the hosted pages as a signed
// token bound to the browser. Accounts registers and signs in local users
// by password, with Throttle limiting failed attempts per account and per
// address.
//
// Its sub-packages hold what the engine stands on: store (persistence),
// rules (CEL rule sets), signals (risk signals), factor (passkeys,
// authenticator apps, recovery codes, and the limiter of failed
// verifications).
package stepup
