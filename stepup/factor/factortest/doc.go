// Package factortest is the suite every factor of stepup passes: Run
// checks, through the factor's public methods, what package factor
// promises of each (a right answer verifies once, with the method's amr;
// a wrong one, a replayed one, one for another user, do not). Factors
// whose challenges are bound to a flow test that binding themselves.
// A factor's own tests call Run with a Harness that knows how to answer
// its prompts, and add the cases only that factor has.
//
// It also holds HOTP and TOTP, a hand-written RFC 4226/6238 generator
// independent of the pquerna/otp the TOTP factor uses, for tests that
// answer as an authenticator app would.
package factortest
