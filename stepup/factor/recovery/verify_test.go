package recovery_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup/factor"
	"github.com/stepup-auth/stepup/stepup/factor/factortest"
	"github.com/stepup-auth/stepup/stepup/factor/recovery"
)

func TestSingleUse(t *testing.T) {
	e := newEnv(t)
	u := factortest.NewUser(t, e.st, "alice")
	codes := e.generate(t, u)
	e.clock.Advance(time.Hour)
	res, err := e.verify(u, codes[3])
	if err != nil {
		t.Fatalf("a code: %v", err)
	}
	if n := recovery.Remaining(res.Authenticator); n != 9 {
		t.Errorf("Remaining after one use = %d, want 9", n)
	}
	v := res.Verification
	if v.Method != acr.RecoveryCode || v.AuthenticatorID != res.Authenticator.ID || !v.At.Equal(e.clock.Now()) {
		t.Errorf("the verification is %+v", v)
	}
	stored := e.lists(t, u)[0]
	if recovery.Remaining(stored) != 9 || !stored.LastUsedAt.Equal(e.clock.Now()) {
		t.Errorf("stored: %d remaining, last used %v", recovery.Remaining(stored), stored.LastUsedAt)
	}
	if _, err := e.verify(u, codes[3]); !errors.Is(err, factor.ErrWrongAnswer) {
		t.Fatalf("the same code again: %v, want ErrWrongAnswer", err)
	}
	if _, err := e.verify(u, codes[4]); err != nil {
		t.Fatalf("another code: %v", err)
	}
}

// TestConcurrentSameCode: of 20 requests racing with one code, exactly one
// verifies. Every request reads the list before any goes on.
func TestConcurrentSameCode(t *testing.T) {
	e := newEnv(t)
	u := factortest.NewUser(t, e.st, "alice")
	codes := e.generate(t, u)
	same := make([]string, 20)
	for i := range same {
		same[i] = codes[0]
	}
	ok := 0
	for _, err := range e.race(t, u, same) {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, factor.ErrWrongAnswer):
			t.Errorf("a losing request: %v, want ErrWrongAnswer", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d of 20 concurrent requests verified with one code, want 1", ok)
	}
	if n := recovery.Remaining(e.lists(t, u)[0]); n != 9 {
		t.Errorf("Remaining = %d, want 9", n)
	}
}

// TestConcurrentDifferentCodes: requests racing with different codes of
// one list all verify: losing the compare-and-set to another code is not
// a wrong answer.
func TestConcurrentDifferentCodes(t *testing.T) {
	e := newEnv(t)
	u := factortest.NewUser(t, e.st, "alice")
	codes := e.generate(t, u)
	for i, err := range e.race(t, u, codes) {
		if err != nil {
			t.Errorf("code %d: %v", i, err)
		}
	}
	if n := recovery.Remaining(e.lists(t, u)[0]); n != 0 {
		t.Errorf("Remaining = %d, want 0", n)
	}
}

// TestNormalisedInput: a code is accepted as people type it.
func TestNormalisedInput(t *testing.T) {
	e := newEnv(t)
	u := factortest.NewUser(t, e.st, "alice")
	codes := e.generate(t, u)
	for i, tc := range []struct {
		name  string
		write func(string) string
	}{
		{"UpperCase", strings.ToUpper},
		{"NoHyphen", func(c string) string { return strings.ReplaceAll(c, "-", "") }},
		{"Spaces", func(c string) string { return "  " + strings.ReplaceAll(c, "-", " ") + "\n" }},
		{"SpacedOut", func(c string) string { return strings.Join(strings.Split(c, ""), " ") }},
		{"LookAlikes", func(c string) string {
			return strings.NewReplacer("0", "O", "1", "l").Replace(strings.ToUpper(c))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.write(codes[i])
			if _, err := e.verify(u, in); err != nil {
				t.Fatalf("%q for %s: %v", in, codes[i], err)
			}
		})
	}
	// Look-alikes in a code that has 0 and 1.
	e2 := newEnv(t)
	u2 := factortest.NewUser(t, e2.st, "bob")
	seq := make([]byte, 200)
	for i := range seq {
		seq[i] = byte(i)
	}
	zeroOne, err := e2.factor(t, e2.st.Authenticators(), testKey, strings.NewReader(string(seq))).Generate(context.Background(), u2.ID)
	if err != nil {
		t.Fatal(err)
	}
	if zeroOne[0] != "01234-56789" {
		t.Fatalf("the first code is %s", zeroOne[0])
	}
	if _, err := e2.verify(u2, "oI234-56789"); err != nil {
		t.Fatalf("o and I for 0 and 1: %v", err)
	}
}

func TestMalformed(t *testing.T) {
	e := newEnv(t)
	u := factortest.NewUser(t, e.st, "alice")
	codes := e.generate(t, u)
	c := codes[0]
	for _, in := range []string{
		"", c[:5], c + "0", strings.Replace(c, "-", "_", 1), c[:10] + "u",
		"０" + c[1:], // a full-width digit
		strings.Replace(c, "-", "\t", 1),
	} {
		if _, err := e.verify(u, in); !errors.Is(err, factor.ErrMalformed) {
			t.Errorf("FinishVerify(%q): %v, want ErrMalformed", in, err)
		}
	}
}

// TestLastCode: using every code leaves a list with none, and then the
// user has nothing of this method to verify with.
func TestLastCode(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	u := factortest.NewUser(t, e.st, "alice")
	codes := e.generate(t, u)
	target := factor.Target{UserID: u.ID, FlowID: "flow-1"}
	for i, c := range codes {
		if _, err := e.f.BeginVerify(ctx, target); err != nil {
			t.Fatalf("BeginVerify with %d codes left: %v", 10-i, err)
		}
		if _, err := e.verify(u, c); err != nil {
			t.Fatalf("code %d: %v", i, err)
		}
	}
	if lists := e.lists(t, u); len(lists) != 1 || recovery.Remaining(lists[0]) != 0 {
		t.Fatalf("after the last code: %d lists", len(lists))
	}
	if _, err := e.f.BeginVerify(ctx, target); !errors.Is(err, factor.ErrNotEnrolled) {
		t.Fatalf("BeginVerify with no code left: %v, want ErrNotEnrolled", err)
	}
	if _, err := e.verify(u, codes[0]); !errors.Is(err, factor.ErrNotEnrolled) {
		t.Fatalf("FinishVerify with no code left: %v, want ErrNotEnrolled", err)
	}
}

// TestCopiedList: someone who can write the database copies Alice's list,
// whose codes they know, into Bob's record; the codes do not open Bob's.
func TestCopiedList(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	alice := factortest.NewUser(t, e.st, "alice")
	bob := factortest.NewUser(t, e.st, "bob")
	aliceCodes := e.generate(t, alice)
	e.generate(t, bob)
	victim := e.lists(t, bob)[0]
	victim.Data = e.lists(t, alice)[0].Data
	if err := e.st.Authenticators().Update(ctx, victim); err != nil {
		t.Fatal(err)
	}
	if _, err := e.verify(bob, aliceCodes[0]); !errors.Is(err, factor.ErrWrongAnswer) {
		t.Fatalf("Alice's code for Bob's copied list: %v, want ErrWrongAnswer", err)
	}
}

// TestKeyed: the stored hashes are useless without the key: a factor with
// another key, over the same store, takes none of the codes.
func TestKeyed(t *testing.T) {
	e := newEnv(t)
	u := factortest.NewUser(t, e.st, "alice")
	codes := e.generate(t, u)
	other := e.factor(t, e.st.Authenticators(), []byte(strings.Repeat("x", 32)), nil)
	_, err := other.FinishVerify(context.Background(), factor.Target{UserID: u.ID}, factor.Answer{Response: []byte(codes[0])})
	if !errors.Is(err, factor.ErrWrongAnswer) {
		t.Fatalf("a code under another key: %v, want ErrWrongAnswer", err)
	}
}

// TestUnreadableList: a list that cannot be read is a fault, not a wrong
// code counted against the user (nothing was compared).
func TestUnreadableList(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	u := factortest.NewUser(t, e.st, "alice")
	codes := e.generate(t, u)
	a := e.lists(t, u)[0]
	a.Data = a.Data[:len(a.Data)-1]
	if err := e.st.Authenticators().Update(ctx, a); err != nil {
		t.Fatal(err)
	}
	_, err := e.verify(u, codes[0])
	if err == nil || errors.Is(err, factor.ErrWrongAnswer) || errors.Is(err, factor.ErrNotEnrolled) {
		t.Fatalf("a code against an unreadable list: %v, want a fault", err)
	}
}
