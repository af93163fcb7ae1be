// Package recovery is the recovery-code factor: ten single-use codes a
// user prints or stores when setting up their other factors, to get in
// when those are lost (a look-up secret, NIST SP 800-63B §5.1.2).
//
// Generate makes a user's codes and shows them once, as xxxxx-xxxxx: ten
// characters of Crockford's base32 in lower case, which has no letters
// that look like digits (no i, l, o, u), 50 random bits each. A code is
// read forgivingly: case, spaces and hyphens do not matter, and o, i and
// l are read as 0, 1 and 1, as Crockford's decoding does.
//
// The codes are stored as HMAC-SHA256 under a key kept outside the store,
// in one authenticator per user whose Data lists them; a used code is
// removed with a compare-and-set of the record, so it works once even
// when requests race. Generating again replaces the list, so the old
// codes stop working.
package recovery
