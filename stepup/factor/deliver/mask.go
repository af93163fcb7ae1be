package deliver

import (
	"strings"
	"unicode/utf8"
)

// Mask returns what a page may show of a destination: for an email
// address, the first character of the local part (none when it has only
// one) and the domain, as in "j•••@example.com"; for a phone number in
// E.164, its country code's first digits and its last two, as in
// "+49•••••••••78". Enough for the user to recognise it, too little for
// someone at their screen to learn it.
func Mask(dest string) string {
	if i := strings.LastIndexByte(dest, '@'); i >= 0 {
		local, domain := dest[:i], dest[i+1:]
		first := ""
		if r, n := utf8.DecodeRuneInString(local); r != utf8.RuneError && n < len(local) {
			first = string(r)
		}
		return first + "•••@" + domain
	}
	if len(dest) < 8 || dest[0] != '+' {
		return "•••"
	}
	return dest[:3] + strings.Repeat("•", len(dest)-5) + dest[len(dest)-2:]
}
