package password

import (
	"bytes"
	"encoding/base64"
	"errors"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
)

// cheapest are the least costly parameters Validate accepts.
var cheapest = Params{Memory: 8, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 16}

func TestHashRoundTrip(t *testing.T) {
	cases := []struct {
		name     string
		params   Params
		password string
	}{
		{"cheapest", cheapest, "correct horse battery staple"},
		{"default", DefaultParams(), "correct horse battery staple"},
		{"four lanes", Params{Memory: 256, Iterations: 2, Parallelism: 4, SaltLength: 32, KeyLength: 64}, "hunter2"},
		{"one byte", cheapest, "x"},
		{"longest allowed", cheapest, strings.Repeat("a", MaxPasswordLength)},
		{"non-ASCII", cheapest, "pässwörd-密码-🔑"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			encoded, err := Hash(c.password, c.params, nil)
			if err != nil {
				t.Fatalf("Hash: %v", err)
			}
			ok, err := Verify(encoded, c.password)
			if err != nil || !ok {
				t.Fatalf("Verify(own hash) = %v, %v; want true, nil", ok, err)
			}
			if NeedsRehash(encoded, c.params) {
				t.Errorf("NeedsRehash(own hash, same params) = true")
			}
		})
	}
}

func TestVerifyWrongPassword(t *testing.T) {
	encoded, err := Hash("correct horse", cheapest, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, wrong := range []string{"correct hors", "correct horse ", "Correct horse", "x"} {
		ok, err := Verify(encoded, wrong)
		if ok || err != nil {
			t.Errorf("Verify(%q) = %v, %v; want false, nil", wrong, ok, err)
		}
	}
}

// The PHC string is written field for field as argon2-cffi wrote it: with
// the same salt and parameters, Hash reproduces its output byte for byte.
func TestHashWritesWhatArgon2CFFIWrites(t *testing.T) {
	const want = "$argon2id$v=19$m=32768,t=16,p=2$Rfy6J41W9idBU+n/8sZc6Q$i3QYYPtoogIAw78I2qqlUQ8vjzUXGG1V6QsBOq2NIp4"
	salt, err := base64.RawStdEncoding.DecodeString("Rfy6J41W9idBU+n/8sZc6Q")
	if err != nil {
		t.Fatal(err)
	}
	p := Params{Memory: 32768, Iterations: 16, Parallelism: 2, SaltLength: 16, KeyLength: 32}
	got, err := Hash("password", p, bytes.NewReader(salt))
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("Hash = %s\nwant   %s", got, want)
	}
}

func TestHashFormat(t *testing.T) {
	salt := []byte("0123456789abcdef")
	encoded, err := Hash("pw", DefaultParams(), bytes.NewReader(salt))
	if err != nil {
		t.Fatal(err)
	}
	format := regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$MDEyMzQ1Njc4OWFiY2RlZg\$[A-Za-z0-9+/]{43}$`)
	if !format.MatchString(encoded) {
		t.Errorf("Hash = %q, want it to match %s", encoded, format)
	}
}

func TestHashSaltsDiffer(t *testing.T) {
	a, err := Hash("same password", cheapest, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Hash("same password", cheapest, nil)
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Errorf("two hashes of one password are equal (%s): the salt is not random", a)
	}
}

func TestHashRefuses(t *testing.T) {
	cases := []struct {
		name     string
		password string
		params   Params
		want     error
	}{
		{"empty password", "", cheapest, ErrEmptyPassword},
		{"password over 1024 bytes", strings.Repeat("a", MaxPasswordLength+1), cheapest, ErrPasswordTooLong},
		{"zero params", "pw", Params{}, ErrInvalidParams},
		{"short salt", "pw", Params{Memory: 8, Iterations: 1, Parallelism: 1, SaltLength: 8, KeyLength: 16}, ErrInvalidParams},
		{"huge memory", "pw", Params{Memory: 1 << 30, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 16}, ErrInvalidParams},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			encoded, err := Hash(c.password, c.params, nil)
			if !errors.Is(err, c.want) || encoded != "" {
				t.Errorf("Hash = %q, %v; want \"\", %v", encoded, err, c.want)
			}
			if !strings.HasPrefix(err.Error(), "password: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}

func TestHashShortRandom(t *testing.T) {
	cause := errors.New("entropy exhausted")
	for _, r := range []struct {
		name string
		want error
		read func() (string, error)
	}{
		{"short reader", nil, func() (string, error) { return Hash("pw", cheapest, bytes.NewReader(make([]byte, 15))) }},
		{"failing reader", cause, func() (string, error) { return Hash("pw", cheapest, iotest.ErrReader(cause)) }},
	} {
		t.Run(r.name, func(t *testing.T) {
			encoded, err := r.read()
			if err == nil || encoded != "" {
				t.Fatalf("Hash = %q, %v; want an error", encoded, err)
			}
			if r.want != nil && !errors.Is(err, r.want) {
				t.Errorf("error %v does not wrap %v", err, r.want)
			}
		})
	}
}

func TestVerifyReferenceVectors(t *testing.T) {
	for _, v := range referenceVectors {
		t.Run(v.name, func(t *testing.T) {
			ok, err := Verify(v.encoded, v.password)
			if err != nil || !ok {
				t.Errorf("Verify(right password) = %v, %v; want true, nil", ok, err)
			}
			ok, err = Verify(v.encoded, v.password+"!")
			if err != nil || ok {
				t.Errorf("Verify(wrong password) = %v, %v; want false, nil", ok, err)
			}
		})
	}
}

func TestVerifyMalformed(t *testing.T) {
	for _, m := range malformedHashes {
		t.Run(m.name, func(t *testing.T) {
			ok, err := Verify(m.encoded, "password")
			if ok || !errors.Is(err, ErrMalformedHash) {
				t.Fatalf("Verify = %v, %v; want false, ErrMalformedHash", ok, err)
			}
			if !strings.HasPrefix(err.Error(), "password: malformed hash: ") {
				t.Errorf("error %q does not say why", err)
			}
			if strings.Contains(err.Error(), refHash) {
				t.Errorf("error %q repeats the stored hash", err)
			}
		})
	}
}

func TestVerifyRefusesPasswordsBeforeReadingTheHash(t *testing.T) {
	cases := []struct {
		name, password string
		want           error
	}{
		{"empty", "", ErrEmptyPassword},
		{"over 1024 bytes", strings.Repeat("a", MaxPasswordLength+1), ErrPasswordTooLong},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// The same error for a good and a broken hash shows the
			// password is checked first, whatever the row holds.
			for _, encoded := range []string{referenceVectors[0].encoded, "garbage"} {
				ok, err := Verify(encoded, c.password)
				if ok || !errors.Is(err, c.want) {
					t.Errorf("Verify(%.20q) = %v, %v; want false, %v", encoded, ok, err, c.want)
				}
			}
		})
	}
}

func TestNeedsRehash(t *testing.T) {
	current := Params{Memory: 64, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}
	encoded, err := Hash("pw", current, nil)
	if err != nil {
		t.Fatal(err)
	}
	with := func(change func(*Params)) Params {
		p := current
		change(&p)
		return p
	}
	cases := []struct {
		name    string
		encoded string
		params  Params
		want    bool
	}{
		{"same params", encoded, current, false},
		{"more memory", encoded, with(func(p *Params) { p.Memory = 128 }), true},
		{"less memory", encoded, with(func(p *Params) { p.Memory = 32 }), true},
		{"more iterations", encoded, with(func(p *Params) { p.Iterations = 3 }), true},
		{"more lanes", encoded, with(func(p *Params) { p.Parallelism = 2 }), true},
		{"longer salt", encoded, with(func(p *Params) { p.SaltLength = 32 }), true},
		{"longer key", encoded, with(func(p *Params) { p.KeyLength = 64 }), true},
		{"8-byte salt from elsewhere", referenceVectors[0].encoded, Params{Memory: 65536, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}, true},
		{"8-byte salt, same everything", referenceVectors[0].encoded, Params{Memory: 65536, Iterations: 2, Parallelism: 1, SaltLength: 8, KeyLength: 32}, false},
		// At every ceiling at once: accepted as stored data, and parsed
		// without computing anything.
		{"at the ceilings", "$argon2id$v=19$m=4194304,t=100,p=16$c29tZXNhbHQ$" + refHash, Params{Memory: 4194304, Iterations: 100, Parallelism: 16, SaltLength: 8, KeyLength: 32}, false},
		{"malformed", "$argon2i$v=19$m=64,t=2,p=1$c29tZXNhbHQ$" + refHash, current, true},
		{"empty", "", current, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := NeedsRehash(c.encoded, c.params); got != c.want {
				t.Errorf("NeedsRehash = %v, want %v", got, c.want)
			}
		})
	}
}

// DummyVerify must cost what Verify costs. The dominant cost of argon2 is
// its memory, which it allocates afresh on every call, so the bytes
// allocated are a steady, noise-free stand-in for the time spent.
func TestDummyVerifyDoesTheWorkOfVerify(t *testing.T) {
	p := Params{Memory: 4096, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}
	encoded, err := Hash("pw", p, nil)
	if err != nil {
		t.Fatal(err)
	}
	verify := allocated(func() { _, _ = Verify(encoded, "wrong") })
	dummy := allocated(func() { DummyVerify("wrong", p) })
	if verify < 4<<20 {
		t.Fatalf("Verify allocated %d bytes; the measure is broken", verify)
	}
	t.Logf("allocated: Verify %d, DummyVerify %d", verify, dummy)
	if ratio := float64(dummy) / float64(verify); ratio < 0.95 || ratio > 1.05 {
		t.Errorf("DummyVerify allocated %d bytes, Verify %d: not the same work", dummy, verify)
	}

	// Invalid parameters fall back to the defaults instead of allocating
	// what they ask for.
	huge := Params{Memory: 1 << 31, Iterations: 1, Parallelism: 1, SaltLength: 1 << 31, KeyLength: 1 << 31}
	if got := allocated(func() { DummyVerify("pw", huge) }); got > 2*19456<<10 {
		t.Errorf("DummyVerify with invalid params allocated %d bytes", got)
	}
}

func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}
