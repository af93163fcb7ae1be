package otp_test

import (
	"errors"
	"testing"

	"github.com/stepup-auth/stepup/stepup/factor"
	"github.com/stepup-auth/stepup/stepup/factor/factortest"
)

// FuzzFinishVerify answers a real challenge with arbitrary input: it never
// panics, and nothing but the code verifies.
func FuzzFinishVerify(f *testing.F) {
	for _, s := range []string{"123456", "123 456", "123-456", "", "12345", "1234567", "١٢٣٤٥٦", "12345\x00", "abcdef"} {
		f.Add(s)
	}
	r := newRig(f, rigOptions{limits: roomy()})
	u := factortest.NewUser(f, r.st, "ann")
	r.enroll(f, u, "ann@example.com")
	f.Fuzz(func(t *testing.T, in string) {
		target, p := r.begin(t, u)
		code := r.lastCode(t, "ann@example.com")
		_, err := r.f.FinishVerify(ctx, target, factor.Answer{ChallengeID: p.ChallengeID, Response: []byte(in)})
		if err == nil && in != code {
			t.Fatalf("%q verified; the code was %s", in, code)
		}
		if err != nil && !errors.Is(err, factor.ErrWrongAnswer) && !errors.Is(err, factor.ErrMalformed) {
			t.Fatalf("%q: %v", in, err)
		}
	})
}

// FuzzBeginEnrollTo types arbitrary destinations: none panics, and
// anything sent goes to a normalized address.
func FuzzBeginEnrollTo(f *testing.F) {
	for _, s := range []string{"ann@example.com", "a@b.c", "<a@b.c>", "\"a b\"@example.com", "a@[127.0.0.1]", "a@b..c", "@", "a@b.c\n"} {
		f.Add(s)
	}
	r := newRig(f, rigOptions{limits: roomy()})
	u := factortest.NewUser(f, r.st, "ann")
	f.Fuzz(func(t *testing.T, in string) {
		p, err := r.f.BeginEnrollTo(ctx, u, factor.Target{UserID: u.ID, FlowID: "f"}, in, "")
		if err == nil && p.ChallengeID == "" {
			t.Fatalf("%q: no challenge", in)
		}
	})
}
