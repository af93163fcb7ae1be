package totp_test

import (
	"strings"
	"testing"

	"github.com/stepup-auth/stepup/stepup/factor/factortest"
	"github.com/stepup-auth/stepup/stepup/factor/totp"
	"github.com/stepup-auth/stepup/stepup/seal"
)

func TestNewOptions(t *testing.T) {
	st := factortest.NewStore(t, nil)
	sealer, err := seal.New(seal.GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	valid := func() totp.Options {
		return totp.Options{Authenticators: st.Authenticators(), Challenges: st.Challenges(), Sealer: sealer, Issuer: issuer}
	}
	for _, tc := range []struct {
		name   string
		change func(*totp.Options)
		want   string // in the error; empty: no error
	}{
		{"Valid", func(*totp.Options) {}, ""},
		{"NoAuthenticators", func(o *totp.Options) { o.Authenticators = nil }, "Authenticators is required"},
		{"NoChallenges", func(o *totp.Options) { o.Challenges = nil }, "Challenges is required"},
		{"NoSealer", func(o *totp.Options) { o.Sealer = nil }, "Sealer is required"},
		{"NoIssuer", func(o *totp.Options) { o.Issuer = " " }, "Issuer is required"},
		{"IssuerWithColon", func(o *totp.Options) { o.Issuer = "Example: Corp" }, "contains a colon"},
		{"Everything", func(o *totp.Options) { *o = totp.Options{} }, "Sealer is required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := valid()
			tc.change(&o)
			f, err := totp.New(o)
			switch {
			case tc.want == "" && (err != nil || f == nil):
				t.Fatalf("New: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("New: %v, want an error saying %q", err, tc.want)
			case err != nil && !strings.HasPrefix(err.Error(), "totp: "):
				t.Errorf("the error %q does not start with the package name", err)
			}
		})
	}
}
