package push

import (
	"bytes"
	"crypto/rand"
	"slices"
	"strings"
	"testing"
)

func TestPickNumbers(t *testing.T) {
	at := make([]int, choices)
	seen := map[int]bool{}
	for range 3000 {
		n, offered, err := pickNumbers(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		if len(offered) != choices || n < lowest || n > highest {
			t.Fatalf("pickNumbers = %d, %v", n, offered)
		}
		if len(slices.Compact(slices.Sorted(slices.Values(offered)))) != choices {
			t.Fatalf("the choices %v repeat a number", offered)
		}
		for _, c := range offered {
			if c < lowest || c > highest {
				t.Fatalf("choice %d is not two digits", c)
			}
		}
		i := slices.Index(offered, n)
		if i < 0 {
			t.Fatalf("the number %d is not among the choices %v", n, offered)
		}
		at[i]++
		seen[n] = true
	}
	// Where the number sits tells nothing: each place about a third of
	// the time (3000 draws: 1000 each, off by more than 150 one time in
	// about a hundred thousand).
	for i, count := range at {
		if count < 850 || count > 1150 {
			t.Errorf("the number was choice %d %d times in 3000", i, count)
		}
	}
	if len(seen) < 85 {
		t.Errorf("3000 draws gave %d different numbers of 90", len(seen))
	}
}

func TestBrokenRandomSourceIsAnErrorNotALoop(t *testing.T) {
	// 0xFF is always rejected for 90 values; one byte repeated gives the
	// same number again and again.
	for name, src := range map[string][]byte{"rejected": {0xFF}, "repeating": {0x05}} {
		r := bytes.NewReader(bytes.Repeat(src, 10000))
		if _, _, err := pickNumbers(r); err == nil || !strings.HasPrefix(err.Error(), "push: ") {
			t.Errorf("pickNumbers from a %s source: %v, want an error", name, err)
		}
	}
}

func FuzzSplitToken(f *testing.F) {
	f.Add("AAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	f.Add(".")
	f.Add("a.b.c")
	f.Fuzz(func(t *testing.T, s string) {
		id, secret, ok := splitToken(s)
		if ok && (len(id) != 22 || len(secret) != 32) {
			t.Fatalf("splitToken(%q) = %q, %d bytes", s, id, len(secret))
		}
	})
}
