// Package password hashes and verifies local-account passwords with argon2id.
//
// Hashes are stored in the PHC string format that the argon2 reference
// implementation, argon2-cffi and passlib write,
//
//	$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>
//
// with salt and hash in unpadded standard base64, so a user table can be
// imported from, or exported to, any of them.
//
// A sign-in handler uses the package like this:
//
//	user, err := users.ByName(ctx, name)
//	if errors.Is(err, store.ErrNotFound) || user.PasswordHash == "" {
//		// Burn the same time a real check would, so the response time
//		// does not say whether the account exists.
//		password.DummyVerify(submitted, params)
//		return errBadCredentials
//	}
//	ok, err := password.Verify(user.PasswordHash, submitted)
//	switch {
//	case errors.Is(err, password.ErrEmptyPassword), errors.Is(err, password.ErrPasswordTooLong):
//		return errBadInput // depends on the input alone, so it leaks nothing
//	case err != nil:
//		return err // a damaged row: log it, show a generic failure
//	case !ok:
//		return errBadCredentials
//	}
//	if password.NeedsRehash(user.PasswordHash, params) {
//		// The password is known right now and never again: upgrade the
//		// stored hash to the current parameters while we can.
//		user.PasswordHash, _ = password.Hash(submitted, params, nil)
//	}
//
// Common says whether a password is on a list of the most used ones, which
// NIST SP 800-63B §5.1.1.2 has a verifier refuse as a new password.
//
// Each check holds Params.Memory KiB for about as long as it runs (19 MiB
// and some 20 ms on two cores with DefaultParams), so the caller must bound
// how many run at once; this package does not.
package password
