// Package stepup is the decision engine of stepup, with no HTTP in it.
//
// Engine.Decide is the one place where the level an action needs is
// decided: the OpenID Connect flow, the track API and the Cognito triggers
// all ask it with a Request and act on its Decision. Sessions keeps the SSO
// sessions whose verifications the decisions weigh, with their idle and
// absolute timeouts. Flows carries a pending sign-in or step-up between the
// OpenID Provider and the hosted pages as a signed token bound to the
// browser. Accounts registers and signs in local users by password, with
// Throttle limiting failed attempts per account and per address.
//
// Its sub-packages hold what the engine stands on: store (persistence),
// factor (passkeys, authenticator apps, recovery codes, and the limiter of
// failed verifications), and in later work rules and signals.
package stepup
