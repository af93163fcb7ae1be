// Package otp is the one-time-code factor over a message: email OTP, SMS
// and WhatsApp. One Factor serves one method.
//
// A verification sends a six-digit code from crypto/rand to one of the
// user's verified addresses or numbers and stores a challenge holding an
// HMAC-SHA256 of the code under a key kept outside the store (a hash
// alone would fall to a million guesses). The code:
//
//   - is valid for at most ten minutes (NIST SP 800-63B §5.1.3.2);
//   - takes at most five guesses, each spent in the store before it is
//     compared (Challenges.Attempt), so racing guesses cannot exceed five;
//     the sixth is refused even when right;
//   - works once: a right guess consumes the challenge (Challenges.Consume).
//
// Resend sends a new code to the same destination and drops the old one.
// Every send first passes the send limits (package sendlimit): a 30 s
// cool-down per destination, windows per destination, per country for
// numbers and overall. Numbers are parsed and checked against the
// deployment's country allow-list (package phone) on every send, not only
// at enrollment, so a country struck from the list stops at once.
//
// An address or number counts as a factor only once a code sent to it
// came back: BeginEnrollTo sends a code to the destination typed, and
// FinishEnroll creates the verified authenticator when the code is right.
// Nothing is stored for a destination that never answered.
//
// A send that fails removes its challenge and returns an error wrapping
// deliver.ErrUndelivered, whose text a page may show.
package otp
