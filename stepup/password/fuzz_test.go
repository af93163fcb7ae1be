package password

import (
	"errors"
	"testing"
)

// fuzzWorkBudget caps memory × iterations (KiB) of the hashes the fuzzer
// actually computes, so each input costs milliseconds. Parsing runs on every
// input; the ceilings themselves are covered by the table tests.
const fuzzWorkBudget = 4096

func FuzzVerify(f *testing.F) {
	for _, v := range referenceVectors {
		f.Add(v.encoded, v.password)
	}
	for _, m := range malformedHashes {
		f.Add(m.encoded, "password")
	}
	f.Add("$argon2id$v=19$m=8,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$AAAAAAAAAAAAAAAAAAAAAA", "pw")
	f.Add("$argon2id$v=19$m=16,t=1,p=2$c29tZXNhbHQ$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "")

	f.Fuzz(func(t *testing.T, encoded, password string) {
		h, parseErr := parseHash(encoded)
		if parseErr == nil {
			if got := encodeHash(h.params, h.salt, h.key); got != encoded {
				t.Fatalf("accepted a non-canonical spelling:\n in  %q\n out %q", encoded, got)
			}
			if NeedsRehash(encoded, h.params) {
				t.Fatalf("NeedsRehash(%q, its own params) = true", encoded)
			}
			if uint64(h.params.Memory)*uint64(h.params.Iterations) > fuzzWorkBudget {
				return
			}
		} else {
			if !errors.Is(parseErr, ErrMalformedHash) {
				t.Fatalf("parse error %v does not wrap ErrMalformedHash", parseErr)
			}
			if !NeedsRehash(encoded, DefaultParams()) {
				t.Fatalf("NeedsRehash(unreadable %q) = false", encoded)
			}
		}

		ok, err := Verify(encoded, password)
		switch {
		case err == nil && parseErr != nil:
			t.Fatalf("Verify accepted %q that parseHash refused: %v", encoded, parseErr)
		case err != nil && ok:
			t.Fatalf("Verify = true with error %v", err)
		case err != nil && !errors.Is(err, ErrMalformedHash) && !errors.Is(err, ErrEmptyPassword) && !errors.Is(err, ErrPasswordTooLong):
			t.Fatalf("Verify error %v wraps no sentinel", err)
		}
	})
}
