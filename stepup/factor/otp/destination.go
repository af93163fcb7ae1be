package otp

import (
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"unicode/utf8"

	"github.com/stepup-auth/stepup/stepup/factor/deliver"
)

// ErrInvalidAddress means an email address could not be used. Its text is
// safe to show to a user.
var ErrInvalidAddress = errors.New("otp: enter an email address such as name@example.com")

// maxAddressLen is the longest address SMTP can carry (RFC 5321 §4.5.3.1
// path of 256 octets less the angle brackets).
const maxAddressLen = 254

// normalize turns what a user typed into the destination a code goes to:
// a bare email address with its domain in lower case, or a number in
// E.164 form that the country allow-list accepts.
func (f *Factor) normalize(raw string) (string, error) {
	if f.channel != deliver.Email {
		n, err := f.o.Phones.Parse(raw)
		if err != nil {
			return "", err
		}
		return n.E164, nil
	}
	s := strings.TrimSpace(raw)
	if len(s) > maxAddressLen || !utf8.ValidString(s) {
		return "", ErrInvalidAddress
	}
	a, err := mail.ParseAddress(s)
	// A display name or angle brackets make it more than an address: the
	// field asks for the address alone.
	if err != nil || a.Name != "" || a.Address != s {
		return "", ErrInvalidAddress
	}
	local, domain, ok := strings.Cut(a.Address, "@")
	if !ok || local == "" || !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") {
		return "", ErrInvalidAddress
	}
	return local + "@" + strings.ToLower(domain), nil
}

// region is what a destination is counted under besides itself: a
// number's country, nothing for an address. The number is checked against
// the allow-list again, which may have changed since it was enrolled.
func (f *Factor) region(dest string) (string, error) {
	if f.channel == deliver.Email {
		return "", nil
	}
	n, err := f.o.Phones.Parse(dest)
	if err != nil {
		return "", fmt.Errorf("otp: %w", err)
	}
	return n.Region, nil
}

// equalAddress compares two addresses as mail does: the domain without
// regard to case.
func equalAddress(a, b string) bool {
	la, da, _ := strings.Cut(a, "@")
	lb, db, _ := strings.Cut(b, "@")
	return la == lb && strings.EqualFold(da, db)
}

// LimitKey is what the send limits count dest under: an address in
// lower case, since mail servers deliver every spelling of a local part
// to one mailbox, and a number as it is.
func LimitKey(dest string) string {
	if strings.Contains(dest, "@") {
		return strings.ToLower(dest)
	}
	return dest
}

// CanSendTo reports whether a code may go to dest: an address with a
// dotted domain, or a mobile number of an allowed country. A page asks it
// before offering a code to a destination the user cannot correct, such
// as one an application vouches for.
func (f *Factor) CanSendTo(dest string) bool {
	_, err := f.normalize(dest)
	return err == nil
}
