package demo

import (
	"strings"
	"testing"
	"time"
)

func testSigner(now time.Time) cookieSigner {
	return cookieSigner{key: []byte(strings.Repeat("k", 32)), now: func() time.Time { return now }}
}

func TestSignedCookieOpensOnlyAsSealed(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	c := testSigner(now)
	want := pending{State: "s", Nonce: "n", Verifier: "v", Action: "transfer"}
	good, err := seal(c, loginCookie, want, now.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := open[pending](c, loginCookie, good); err != nil || got != want {
		t.Fatalf("open = %+v, %v; want %+v", got, err, want)
	}
	payload, sig, _ := strings.Cut(good, ".")
	other := cookieSigner{key: []byte(strings.Repeat("o", 32)), now: c.now}
	forged, _ := seal(other, loginCookie, want, now.Add(time.Minute))
	for _, tc := range []struct {
		name, cookie, value string
		signer              cookieSigner
	}{
		{"another cookie's name", sessionCookie, good, c},
		{"a payload changed", loginCookie, "f" + payload[1:] + "." + sig, c},
		{"a MAC changed", loginCookie, payload + "." + strings.ToUpper(sig[:4]) + sig[4:], c},
		{"no MAC", loginCookie, payload, c},
		{"another key", loginCookie, forged, c},
		{"expired", loginCookie, good, testSigner(now.Add(time.Minute))},
		{"empty", loginCookie, "", c},
		{"too long", loginCookie, good + strings.Repeat("A", maxCookieBytes), c},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got, err := open[pending](tc.signer, tc.cookie, tc.value); err != errCookie {
				t.Errorf("open = %+v, %v; want errCookie", got, err)
			}
		})
	}
}

// FuzzOpenCookie: a cookie value comes from the browser, anything at all.
// open must not panic, and must refuse what the key did not seal.
func FuzzOpenCookie(f *testing.F) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	c := testSigner(now)
	good, _ := seal(c, sessionCookie, &session{Subject: "u", ACR: "urn:stepup:acr:1fa"}, now.Add(time.Hour))
	for _, s := range []string{good, "", ".", "a.b", "e30.", good + "x", strings.Repeat(".", 100)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, value string) {
		// The key sealed one value only: whatever opens must be it.
		got, err := open[*session](c, sessionCookie, value)
		if err == nil && (got == nil || got.Subject != "u" || got.ACR != "urn:stepup:acr:1fa") {
			t.Fatalf("open accepted %q as %+v", value, got)
		}
	})
}
