package password

import "errors"

var (
	// ErrMalformedHash wraps every reason an encoded hash cannot be used:
	// bad syntax, another algorithm or version, or parameters outside the
	// bounds this package will spend memory and time on.
	ErrMalformedHash = errors.New("password: malformed hash")

	// ErrInvalidParams wraps each problem Params.Validate finds.
	ErrInvalidParams = errors.New("password: invalid parameters")

	// ErrEmptyPassword is returned by Hash and Verify for an empty password.
	ErrEmptyPassword = errors.New("password: password is empty")

	// ErrPasswordTooLong is returned by Hash and Verify for a password over
	// MaxPasswordLength bytes.
	ErrPasswordTooLong = errors.New("password: password is too long")
)
