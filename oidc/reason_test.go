package oidc

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// FuzzParseReason: whatever reason is accepted fits the page: valid text,
// short, with no control or format character.
func FuzzParseReason(f *testing.F) {
	for _, s := range []string{"", "Confirm the transfer of 500 EUR", "  x  ", "a\u202eb", "\xff", strings.Repeat("é", 201)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := parseReason(s)
		if err != nil {
			return
		}
		if !utf8.ValidString(r) || utf8.RuneCountInString(r) > MaxReasonLength || strings.TrimSpace(r) != r {
			t.Fatalf("parseReason(%q) = %q", s, r)
		}
		for _, c := range r {
			if unicode.IsControl(c) || unicode.Is(unicode.Cf, c) {
				t.Fatalf("parseReason(%q) keeps %U", s, c)
			}
		}
	})
}
