package config

import (
	"strings"
	"testing"
	"time"
)

func TestExpand(t *testing.T) {
	env := fakeEnv(map[string]string{"A": "alpha", "EMPTY": "", "ODD": "${A}"})
	tests := []struct {
		in, want, err string
	}{
		{in: "plain", want: "plain"},
		{in: "$A and $ and $$", want: "$A and $ and $$"},
		{in: "${A}", want: "alpha"},
		{in: "x${A}y${A}z", want: "xalphayalphaz"},
		{in: "$${A}", want: "${A}"},
		{in: "$$${A}", want: "$${A}"}, // a lone $ is literal, then $${ is a literal ${
		{in: "${ODD}", want: "${A}"},  // values are not expanded again
		{in: "${MISSING:-fallback}", want: "fallback"},
		{in: "${EMPTY:-fallback}", want: "fallback"},
		{in: "${A:-fallback}", want: "alpha"},
		{in: "${MISSING:-}", want: ""},
		{in: "${MISSING}", err: "environment variable MISSING is not set"},
		{in: "${EMPTY}", err: "environment variable EMPTY is set but empty"},
		{in: "${EMPTY:-}", want: ""},
		{in: "${A", err: "unterminated ${"},
		{in: "${}", err: `invalid environment variable name ""`},
		{in: "${1A}", err: `invalid environment variable name "1A"`},
		{in: "${A B}", err: `invalid environment variable name "A B"`},
	}
	for _, tt := range tests {
		got, err := expand(tt.in, env)
		if tt.err != "" {
			if err == nil || !strings.HasPrefix(err.Error(), tt.err) {
				t.Errorf("expand(%q) = %q, %v; want error %q", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("expand(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func FuzzExpand(f *testing.F) {
	for _, s := range []string{"", "${A}", "$${A}", "${A:-x}", "${", "$$$", "a${B}c"} {
		f.Add(s)
	}
	env := fakeEnv(map[string]string{"A": "alpha"})
	f.Fuzz(func(t *testing.T, s string) {
		got, err := expand(s, env)
		if !strings.Contains(s, "${") && (err != nil || got != s) {
			t.Errorf("expand(%q) = %q, %v; want it unchanged", s, got, err)
		}
	})
}

func TestExpansionInFile(t *testing.T) {
	secret := "starts: like a key\nsecond: line " + longSecret
	cfg, ps := load(t, `server:
  shutdown_timeout: ${STEPUP_TIMEOUT:-20s}
  listen: "$${not}:1"
oidc:
  clients:
    - id: ${CLIENT_ID}
      secret: ${STEPUP_DEMO_SECRET}
      redirect_uris: [https://a.example/cb]
`, map[string]string{"STEPUP_DEMO_SECRET": secret, "CLIENT_ID": "shop"})
	if ps.HasErrors() {
		t.Fatalf("problems: %s", ps)
	}
	c := cfg.OIDC.Clients[0]
	if c.Secret != secret || c.ID != "shop" {
		t.Errorf("client = %+v; want secret %q and id shop", c, secret)
	}
	if cfg.Server.ShutdownTimeout != 20*time.Second {
		t.Errorf("shutdown_timeout = %v, want the ${:-} default 20s", cfg.Server.ShutdownTimeout)
	}
	if cfg.Server.Listen != "${not}:1" {
		t.Errorf("listen = %q, want $${ kept as a literal ${", cfg.Server.Listen)
	}
}

func TestExpansionErrors(t *testing.T) {
	_, ps := load(t, `# keys are not expanded
${KEY}: 1
oidc:
  clients:
    - id: demo
      secret: ${STEPUP_DEMO_SECRET}
      redirect_uris: [https://a.example/cb]
`, nil)
	wantProblems(t, ps,
		"stepup.yaml:2:1: ${KEY}: unknown key (keys are not expanded; only values may read the environment)",
		"stepup.yaml:6:15: oidc.clients[0].secret: environment variable STEPUP_DEMO_SECRET is not set",
	)
}

func TestMapKeysAreNotExpanded(t *testing.T) {
	// A key is taken as written, so a key that looks expanded would be a
	// different alias than the one its author meant: refuse it, $${ too.
	_, ps := load(t, `acr:
  aliases:
    "${X}": mfa
    $${Y}: phr
    gold: phrh
    x-${Z}-y: 2fa
`, map[string]string{"X": "silver", "Y": "bronze", "Z": "z"})
	const msg = `keys are not expanded, so a key must not contain "${"; only values may read the environment`
	wantProblems(t, ps,
		`stepup.yaml:3:5: acr.aliases["${X}"]: `+msg,
		`stepup.yaml:4:5: acr.aliases["$${Y}"]: `+msg,
		`stepup.yaml:6:5: acr.aliases["x-${Z}-y"]: `+msg,
	)

	_, ps = load(t, "acr:\n  aliases: {gold: phrh, \"${X}\": mfa}\n", nil)
	wantProblems(t, ps, `stepup.yaml:2:25: acr.aliases["${X}"]: `+msg)
}
