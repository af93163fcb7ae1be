// Package factor is what every second factor of stepup implements, and
// what they share: the Factor interface and its optional capabilities
// (Enroller for factors a user sets up, Discoverable for a factor that
// signs a user in without a username), the Limiter that bounds failed
// verifications per NIST SP 800-63B, and, in factortest, the suite every
// factor passes.
//
// A factor proves something and says what (a store.Verification: the
// method, its amr, whether the user was verified, whether the key is bound
// to hardware). It never says which level that reaches: the session's
// level follows from all its verifications, by acr.Assess.
//
// The factors themselves live in sub-packages: passkey (WebAuthn), totp,
// recovery, otp (codes by email, SMS and WhatsApp), magiclink and push
// (approvals on an enrolled device, with number matching). What the
// out-of-band ones share is in deliver (sending), phone (numbers and
// countries) and sendlimit (how often).
package factor
