// Package track is stepup's track API: a backend asks, in the middle of a
// session, whether its user may go on with an action, and gets stepup's
// decision, with a hosted challenge when one is needed.
//
//	POST  /v1/users/{userId}/actions/{action}        track an action: a decision
//	GET   /v1/users/{userId}/actions/{action}/{key}  read an action's record
//	PATCH /v1/users/{userId}/actions/{action}/{key}  {"state": "REVIEW_SUCCEEDED"|"REVIEW_FAILED"}
//	POST  /v1/validate                               {"token": ...}: how a challenge ended
//	GET   /v1/users/{userId}                         the user and their methods
//	GET   /v1/users/{userId}/authenticators          the user's factors
//
// Every request carries a server API key (Authorization: Bearer), checked
// by the middleware the server mounts the handler behind. Bodies are JSON
// objects of at most 64 KiB with no unknown fields; errors are JSON too,
// {"error": {"code": "...", "message": "..."}}, with a code a program can
// branch on and a message for its developer.
//
// A tracked action is ALLOW, BLOCK, REVIEW_REQUIRED or CHALLENGE_REQUIRED.
// A challenge comes with a url, the hosted page that answers it in the
// user's browser and then sends the browser to the call's redirectUrl with
// a token parameter; the backend posts that token to /v1/validate, once,
// and gets CHALLENGE_SUCCEEDED with the method, acr and amr, or
// CHALLENGE_FAILED, naming the record (actionId, userId, action,
// idempotencyKey) so the caller can check the token is of the challenge
// it asked for. The same idempotencyKey returns the same record,
// never a second decision, and while its challenge waits, its url and
// token again (the first answer may have been lost); the key reused for a
// different request is 409. A challenge url's page takes nothing until
// the user presses its Continue (mail and chat apps fetch links to preview
// them, and must not take the challenge from the user): the first browser
// to continue owns the challenge, and another is refused. The challenge
// signs nobody in to stepup: its verifications live in the action's
// record alone. A challenge is answered with a factor the user has set up
// (on stepup's account page, signed in to stepup): the page sets up none,
// since whoever holds a link is not a sign-in, and takes no password,
// which the application's own sign-in may have been.
//
// An action held for review (REVIEW_REQUIRED, or a sign-in the rules
// hold) is decided once with PATCH; a second decision is 409. Each
// decision is an audit event, review.decided, as one made through the
// admin API is: the actor is the server key's name and id, and its data
// says "via": "track API".
//
// The application's userId is stepup's user id (the sub of its ID
// tokens, for a relying party of this stepup); a userId stepup does not
// know becomes a user with no password and no factor, whose challenges
// cannot be met with a factor of their own. For them, and for any user
// with no factor the challenge allows, a track call may carry the user's
// "email" and "phoneNumber" (E.164), which the application vouches for:
// the challenge page then offers a code sent there (when stepup has email
// or text delivery set up and the rules allow the method), and the first
// right code sets the address or number up as the user's factor. The
// link's holder cannot change where the code goes. A disabled
// user's actions are blocked. Any server key may act for any user: keys
// are per deployment.
package track
