package deliver_test

import (
	"testing"

	"github.com/stepup-auth/stepup/stepup/factor/deliver"
)

func TestMask(t *testing.T) {
	for dest, want := range map[string]string{
		"jane@example.com":       "j•••@example.com",
		"j@example.com":          "•••@example.com",
		"élodie@example.fr":      "é•••@example.fr",
		"\"a@b\"@example.com":    "\"•••@example.com",
		"no-at-sign":             "•••",
		"":                       "•••",
		"\xffbroken@example.com": "•••@example.com",
		"+4915112345678":         "+49•••••••••78",
		"+123456":                "•••",
		"+12345678":              "+12••••78",
	} {
		if got := deliver.Mask(dest); got != want {
			t.Errorf("Mask(%q) = %q, want %q", dest, got, want)
		}
	}
}
