// Package store defines stepup's persistence: one small interface per
// aggregate (users, authenticators, devices, sessions, challenges, action
// records, OIDC requests and tokens, clients and API keys, rule sets, signing
// keys, audit events), the records they keep, and the two sentinel errors
// every backend returns.
//
// Every conditional change that must never race is an atomic primitive of the
// store, not a read-then-write in a caller:
//
//   - consume-once: Challenges.Consume, and AuthRequests.Redeem, which keeps
//     the request as its code's tombstone so that a replay is told which
//     tokens to revoke, and stores those tokens in the same step;
//   - compare-and-set: every Update checks the record's Version, and
//     Authenticators.AdvanceCounter and RefreshFamilies.Rotate guard the TOTP
//     step and the refresh token (Rotate storing the access token issued
//     with the new one); SigningKeys.Rotate moves an algorithm's
//     next, active and retired keys in one step;
//   - uniqueness of secondary keys (username, email, credential id, idempotency
//     key), checked by the store in the same transaction as the write.
//
// No record names a user who does not exist: every Create and Update of a
// record with a UserID checks the user in the same step (ErrNotFound), and
// Users.Delete removes what is theirs, so a user created later with the
// same id starts with nothing.
//
// Records are values: a backend copies what it is given and returns copies,
// so a caller may change a returned record and pass it to Update.
//
// A write returns only once it is durable. A backend may let readers see a
// write a moment before it is durable (memdb does); callers must not treat
// what they read as acknowledged by anyone but its writer.
//
// Reads never return an expired record (ErrNotFound instead), and Sweep
// removes them for good. The backends live in sub-packages (memdb, the
// embedded default); conformance is the one test suite they all pass.
package store
