// Package totp is the authenticator-app factor: time-based one-time
// passwords (RFC 6238) as Google Authenticator, Aegis, 1Password and
// every other app make them.
//
// The parameters are fixed at what every app supports: HMAC-SHA1, six
// digits, a 30-second step and a 20-byte secret. A code is accepted for
// the current step and one step either side, never more, to allow for
// clocks that drift and users who type slowly.
//
// A code is single use. Each authenticator stores the last step it
// accepted (store.Authenticator.Counter); a code is accepted only for a
// later step, and the step is taken with the store's compare-and-set
// (Authenticators.AdvanceCounter), so of any number of requests racing
// with one code exactly one succeeds (RFC 6238 §5.2). pquerna/otp, which
// generates the secret and the codes, has no replay protection of its own.
//
// Secrets are sealed (package seal) with associated data naming the record
// they belong to: "totp\x00"+authenticator id for an enrolled secret,
// "totp-enroll\x00"+challenge id for one being set up. A sealed secret
// copied into another record does not open.
//
// Enrollment shows the secret once, as an otpauth:// URI and a QR code,
// and stores the authenticator only when the user answers with a valid
// code: five tries within ten minutes. Verification needs no challenge;
// the caller bounds wrong guesses with factor.Limiter.Verify.
package totp
