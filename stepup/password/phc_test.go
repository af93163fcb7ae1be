package password

import "testing"

// Reading a hash written by other software and writing it back must give
// the same string: the proof that encodeHash spells every field, number and
// base64 the way the reference implementation and argon2-cffi do.
func TestPHCRoundTripsReferenceStrings(t *testing.T) {
	for _, v := range referenceVectors {
		t.Run(v.name, func(t *testing.T) {
			h, err := parseHash(v.encoded)
			if err != nil {
				t.Fatalf("parseHash: %v", err)
			}
			if got := encodeHash(h.params, h.salt, h.key); got != v.encoded {
				t.Errorf("re-encoded = %s\nwant         %s", got, v.encoded)
			}
		})
	}
}

func TestParseHashReadsParams(t *testing.T) {
	h, err := parseHash(referenceVectors[len(referenceVectors)-1].encoded)
	if err != nil {
		t.Fatal(err)
	}
	want := Params{Memory: 32768, Iterations: 16, Parallelism: 2, SaltLength: 16, KeyLength: 32}
	if h.params != want {
		t.Errorf("params = %+v, want %+v", h.params, want)
	}
}
