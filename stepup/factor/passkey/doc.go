// Package passkey is the WebAuthn factor of stepup: passkeys (synced or
// bound to a device) and security keys, for step-up verification and for
// signing in with no username. It implements factor.Enroller and
// factor.Discoverable over github.com/go-webauthn/webauthn.
//
// Every ceremony keeps the library's SessionData, verbatim, in a
// store.Challenge bound to the user (none for a discoverable sign-in) and
// to the flow; the answer consumes it, so a session serves one answer:
// the library alone would accept a replayed one.
//
// User verification is required, and read from the flags this ceremony's
// authenticator signed: the library's stored flag is latched by the first
// verified ceremony, and says nothing about this one. A passkey therefore
// always verifies as a user-verifying, phishing-resistant key (amr mfa).
//
// A key counts as bound to hardware when its authenticator said it cannot
// be backed up (BE=0), when its AAGUID is on the operator's allow-list
// (Options.HardwareAAGUIDs), or when it was enrolled as a security key (a
// cross-platform authenticator with BE=0). Without attestation these are
// the authenticator's own claims.
//
// Sign counter policy: when the stored count or the new one is non-zero
// and the new one is not greater, the assertion is refused as
// ErrWrongAnswer and a warning is logged: two authenticators hold the same
// key, one of them a clone. Synced passkeys, which report 0 every time,
// pass. An accepted count is stored with a compare-and-set, so of two
// racing assertions the lower count is refused by the same rule.
package passkey
