package config

import (
	"slices"
	"strings"
	"testing"
)

// upstream is a valid upstream entry to build test files from.
const upstream = "upstreams:\n  - id: kc\n    issuer: https://kc.example/realms/a\n    client_id: stepup\n"

func TestUpstreams(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string
	}{
		{"minimal", upstream, nil},
		{"everything missing", "upstreams:\n  - name: X\n", []string{
			"stepup.yaml:2:5: upstreams[0].client_id: is required",
			"stepup.yaml:2:5: upstreams[0].id: is required",
			"stepup.yaml:2:5: upstreams[0].issuer: is required",
		}},
		{"bad id", strings.Replace(upstream, "id: kc", "id: Key/cloak", 1),
			[]string{`stepup.yaml:2:9: upstreams[0].id: "Key/cloak" must be 1 to 32 lower-case letters, digits, _ or -, starting with a letter or digit`}},
		{"duplicate id", upstream + strings.TrimPrefix(upstream, "upstreams:\n"),
			[]string{`stepup.yaml:5:9: upstreams[1].id: duplicate upstream id "kc", also used by upstreams[0]`}},
		{"plain http issuer", strings.Replace(upstream, "https://kc.example", "http://kc.example", 1),
			[]string{"stepup.yaml:3:13: upstreams[0].issuer: must be an absolute https URL, or http on localhost, 127.0.0.1 or [::1]"}},
		{"secret in the file", upstream + "    client_secret: s3cret\n",
			[]string{"stepup.yaml:5:20: warning: upstreams[0].client_secret: is written in the file; read it from the environment, e.g. ${KC_SECRET}"}},
		{"secret from the environment", upstream + "    client_secret: ${KC_SECRET}\n", nil},
		{"no openid scope", upstream + "    scopes: [profile]\n",
			[]string{"stepup.yaml:5:13: upstreams[0].scopes: must include openid: stepup needs the upstream's ID token"}},
		{"claim with a space", upstream + "    claims:\n      email: \"e mail\"\n",
			[]string{`stepup.yaml:6:14: upstreams[0].claims.email: must be a claim name (1 to 64 printable characters, no spaces), got "e mail"`}},
		{"trust", upstream + "    trust:\n      acr: {\"2\": mfa}\n      amr:\n        - all: [pwd, otp]\n          level: mfa\n", nil},
		{"trust of an unknown level", upstream + "    trust:\n      acr: {\"2\": two}\n",
			[]string{`stepup.yaml:6:18: upstreams[0].trust.acr["2"]: unknown level "two" (want one of 1fa, mfa, phr, phrh)`}},
		{"trust of an empty amr set", upstream + "    trust:\n      amr:\n        - all: []\n          level: mfa\n",
			[]string{"stepup.yaml:7:16: upstreams[0].trust.amr[0].all: must list at least one amr value"}},
		{"trust without a level", upstream + "    trust:\n      amr:\n        - all: [hwk]\n",
			[]string{"stepup.yaml:7:11: upstreams[0].trust.amr[0].level: must be a built-in level: 1fa, mfa, phr or phrh"}},
		{"unknown forwarding", upstream + "    forward_acr: always\n",
			[]string{`stepup.yaml:5:18: upstreams[0].forward_acr: unknown acr forwarding "always" (want never, forward or map)`}},
		{"map without a table", upstream + "    forward_acr: map\n",
			[]string{"stepup.yaml:2:5: upstreams[0].acr_map: is required with forward_acr: map"}},
		{"map of a non-level", upstream + "    forward_acr: map\n    acr_map: {gold: \"3\"}\n",
			[]string{`stepup.yaml:6:21: upstreams[0].acr_map["gold"]: "gold" is not a level: the keys are stepup's levels (1fa, mfa, phr, phrh)`}},
		{"a client that signs in upstream only", upstream + client + "      methods: [UPSTREAM, TOTP]\n", nil},
		{"an email from another claim", upstream + "    claims: {email: preferred_username}\n",
			[]string{`stepup.yaml:5:21: warning: upstreams[0].claims.email: is "preferred_username", but email_verified speaks of the email claim: stepup never takes this address as verified`}},
		{"table without map", upstream + "    acr_map: {mfa: \"2\"}\n",
			[]string{"stepup.yaml:5:14: warning: upstreams[0].acr_map: is used only with forward_acr: map, and forward_acr is never"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ps := LoadBytes("stepup.yaml", []byte(tt.yaml), fakeEnv(map[string]string{"KC_SECRET": "x"}))
			var got []string
			for _, p := range ps {
				if strings.HasPrefix(p.Path, "upstreams") || strings.HasPrefix(p.Path, "oidc") {
					got = append(got, p.String())
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, tt.want) {
				t.Errorf("problems:\n\t%s\nwant:\n\t%s", strings.Join(got, "\n\t"), strings.Join(tt.want, "\n\t"))
			}
		})
	}
}

func TestUpstreamDefaults(t *testing.T) {
	cfg, ps := LoadBytes("stepup.yaml", []byte(upstream), fakeEnv(nil))
	if ps.HasErrors() {
		t.Fatal(ps)
	}
	u := cfg.Upstreams[0]
	if u.Name != "kc" || !slices.Equal(u.Scopes, []string{"openid", "profile", "email"}) || u.ForwardACR != ForwardNever ||
		u.LinkByEmail || len(u.Trust.ACR) != 0 || len(u.Trust.AMR) != 0 || u.Claims.Email != "email" {
		t.Errorf("defaults: %+v", u)
	}
}
