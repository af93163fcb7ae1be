package push_test

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/stepup-auth/stepup/stepup/factor/push"
)

func FuzzParseAuthorization(f *testing.F) {
	sig := base64.RawURLEncoding.EncodeToString(make([]byte, 64))
	f.Add(`StepupDevice id="d1", ts="1700000000", nonce="abcdefghijklmnop", sig="` + sig + `"`)
	f.Add(`StepupDevice id="", ts="", nonce="", sig=""`)
	f.Add(`StepupDevice ,,,`)
	f.Add(`StepupDevice id="d1",id="d1"`)
	f.Fuzz(func(t *testing.T, h string) {
		c, err := push.ParseAuthorization(h)
		if err != nil {
			return
		}
		// What parses is what the protocol allows, and prints back to itself.
		if c.DeviceID == "" || len(c.Nonce) < 16 || len(c.Signature) != 64 || c.Time < 0 {
			t.Fatalf("ParseAuthorization(%q) accepted %+v", h, c)
		}
		again, err := push.ParseAuthorization(c.String())
		if err != nil || again.DeviceID != c.DeviceID || again.Time != c.Time || again.Nonce != c.Nonce || string(again.Signature) != string(c.Signature) {
			t.Fatalf("%+v does not round-trip: %v", c, err)
		}
		if strings.ContainsAny(c.DeviceID+c.Nonce, "\" ,=\n") {
			t.Fatalf("ParseAuthorization(%q) let a separator into a value", h)
		}
	})
}

func FuzzParsePublicKey(f *testing.F) {
	f.Add("MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE")
	f.Add("")
	f.Add("MCowBQYDK2VwAyEA")
	f.Fuzz(func(t *testing.T, s string) {
		key, der, err := push.ParsePublicKey(s)
		if err != nil {
			return
		}
		if key == nil || len(der) == 0 || key.Curve.Params().Name != "P-256" {
			t.Fatalf("ParsePublicKey(%q) accepted a key it should not", s)
		}
	})
}
