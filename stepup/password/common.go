package password

import (
	_ "embed"
	"slices"
	"strings"
	"sync"
)

// commonList is the passwords of at least 8 characters that zxcvbn counts
// as the most used (@zxcvbn-ts/language-common 4.1.3, drawn from leaked
// password sets; licence in common-passwords.LICENSE): NFKC, lower case,
// sorted, one per line. Hand-kept rather than a library's: what is needed
// is the list, and a look-up in it, not a strength estimator.
//
//go:embed common-passwords.txt
var commonList string

// common is commonList as a sorted slice of strings that share its memory.
var common = sync.OnceValue(func() []string {
	return strings.Split(strings.TrimSuffix(commonList, "\n"), "\n")
})

// Common reports whether pw, compared without regard to case, is on a
// list of passwords known to be commonly used: NIST SP 800-63B §5.1.1.2
// has verifiers refuse those as new passwords. pw should be normalised as
// it is for hashing (NFKC); the list is.
func Common(pw string) bool {
	_, found := slices.BinarySearch(common(), strings.ToLower(pw))
	return found
}
