// Package cognito answers an Amazon Cognito user pool's custom
// authentication triggers (Define, Create and Verify Auth Challenge) with
// stepup's decisions: after the user's password (SRP), stepup's rules for
// an action ("signIn" unless configured) say ALLOW, BLOCK, REVIEW_REQUIRED
// or CHALLENGE_REQUIRED, and a challenge is stepup's hosted page, which the
// app opens in a browser. The package talks to stepup's track API over
// HTTP with a server API key ([Client]) and imports nothing else of
// stepup, so a Lambda function built from it is small.
//
// # The sign-in
//
// The app signs in with CUSTOM_AUTH and SRP (InitiateAuth with
// CHALLENGE_NAME SRP_A), and sends a fresh random attempt id, 16 to 128
// letters, digits or -, as clientMetadata[[AttemptKey]] with the
// RespondToAuthChallenge of the password verifier, which Cognito passes to
// the Define and Create triggers. Then:
//
//	session history                                    Define says
//	SRP_A                                              PASSWORD_VERIFIER
//	SRP_A, PASSWORD_VERIFIER ok                        asks stepup: ALLOW issues tokens,
//	                                                   CHALLENGE_REQUIRED is CUSTOM_CHALLENGE,
//	                                                   anything else, or no answer, fails
//	SRP_A, PASSWORD_VERIFIER ok, n x CUSTOM_CHALLENGE  the last one met: issue tokens;
//	  of stepup's (metadata STEPUP_CHALLENGE)          none met and n < MaxChallenges: again;
//	                                                   n = MaxChallenges: fail
//	anything else                                      fail
//
// "Anything else" is every other shape: an empty history (stepup is not a
// first factor here), a failed password, a challenge that is not stepup's
// (SMS_MFA, device SRP, another custom challenge), a missing entry, a met
// challenge followed by more. A user Cognito did not find
// (userNotFound) goes on to the password verifier like any other, so the
// answer does not tell whether the user exists, and fails after it. Define never returns an error to Cognito: a
// sign-in it cannot decide fails, and stepup out of reach is such a
// sign-in (fail closed).
//
// Create presents stepup's challenge: the public challenge parameters are
// "url", the hosted challenge page, and "token", its challenge token (the
// url's own, which lets its holder answer with the user's factor, never
// pass without it); the private parameters, which Cognito hands to Verify
// alone, are the userId, action, idempotencyKey and actionId of the
// record; challengeMetadata is [ChallengeMetadata], ":" and the attempt's
// idempotency key. The hosted page ends by
// sending the browser to Config.RedirectURL with a token parameter, a
// validation token, which the app sends as the challenge answer. Verify
// posts it to /v1/validate and says the answer is correct only when stepup
// answers CHALLENGE_SUCCEEDED for the same userId, action, idempotencyKey
// and actionId as the private parameters: a token of another user, of
// another attempt, or of another action is wrong. Validation is single
// use, so a replayed answer is wrong. An answer that is wrong lets the app
// try again up to MaxChallenges presentations in all (for an app that
// sent the answer before the page ended); the challenge is the same
// record each time (Create presents it again only for the attempt id
// whose key its metadata names, whatever id a later answer sends), and
// once it failed or expired there is none to present, so the sign-in
// fails.
//
// # One decision for Define and Create
//
// Cognito gives Define and Create of one sign-in no shared state but the
// session history, and the history holds nothing of one attempt that
// another attempt of the same user would not hold too (its first
// challengeMetadata is set by Create, after Define decided). So the
// attempt is named by the app: its attempt id, hashed with the user pool
// and app client id, is the track call's idempotency key
// ("cognito-" and 32 hex digits). Define tracks with it and Create tracks
// the same request with the same key, and the track API answers both with
// one record: one decision, with Create getting the challenge's url and
// token again. The app cannot use this to reuse a decision: Define first
// asks stepup whether the key has a record, and fails the sign-in if it
// does, so each attempt id gets a fresh decision or none; a hash of the
// pool and client keeps the app from naming any other key. The user is the
// Cognito user's sub (not userName, which Cognito can reassign): stepup's
// userId is the sub, so a stepup user a relying party already knows by a
// different id is a different user here.
//
// The user's IP address and device are not in these triggers' events, so
// the rules see none of those signals for a Cognito sign-in.
package cognito
