package config

import (
	"reflect"
	"testing"

	"github.com/stepup-auth/stepup/acr"
)

func TestClientDefaults(t *testing.T) {
	cfg, ps := load(t, client, nil)
	if len(ps) != 0 {
		t.Fatalf("problems: %s", ps)
	}
	c := cfg.OIDC.Clients[0]
	got := []any{c.MinimumACR, c.SigningAlg, c.AccessTokenFormat, c.Action}
	want := []any{acr.OneFactor, ES256, JWT, "signIn"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestClientChoices(t *testing.T) {
	tests := []struct {
		value  string
		alg    SigningAlg
		format TokenFormat
	}{
		{"ES256", ES256, ""},
		{"rs256", RS256, ""},
		{"EDDSA", EdDSA, ""},
		{"EdDSA", EdDSA, ""},
		{"jwt", "", JWT},
		{"Opaque", "", Opaque},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			key := "signing_alg"
			if tt.format != "" {
				key = "access_token_format"
			}
			cfg, ps := load(t, client+"      "+key+": "+tt.value+"\n", nil)
			if len(ps) != 0 {
				t.Fatalf("problems: %s", ps)
			}
			c := cfg.OIDC.Clients[0]
			if tt.alg != "" && c.SigningAlg != tt.alg || tt.format != "" && c.AccessTokenFormat != tt.format {
				t.Errorf("signing_alg %q, access_token_format %q", c.SigningAlg, c.AccessTokenFormat)
			}
		})
	}
}

func TestOrList(t *testing.T) {
	for _, tt := range []struct {
		in   []string
		want string
	}{
		{nil, ""},
		{[]string{"a"}, "a"},
		{[]string{"a", "b"}, "a or b"},
		{[]string{"a", "b", "c"}, "a, b or c"},
	} {
		if got := orList(tt.in); got != tt.want {
			t.Errorf("orList(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
