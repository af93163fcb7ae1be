package magiclink

import "testing"

func TestMask(t *testing.T) {
	for addr, want := range map[string]string{
		"jane@example.com":       "j•••@example.com",
		"j@example.com":          "•••@example.com",
		"élodie@example.fr":      "é•••@example.fr",
		"\"a@b\"@example.com":    "\"•••@example.com",
		"no-at-sign":             "•••",
		"":                       "•••",
		"\xffbroken@example.com": "•••@example.com",
	} {
		if got := mask(addr); got != want {
			t.Errorf("mask(%q) = %q, want %q", addr, got, want)
		}
	}
}
