package config

import (
	"os"
	"testing"
)

// FuzzLoadBytes checks that no input makes LoadBytes panic, and that its
// results agree with each other.
func FuzzLoadBytes(f *testing.F) {
	f.Add(Example)
	if data, err := os.ReadFile("testdata/three_mistakes.yaml"); err == nil {
		f.Add(data)
	}
	for _, s := range []string{
		"", "~", "- a", "a: [1", "server: {listen: ':1'}", client,
		"log: &l {level: debug}\nx: *l\n", "oidc:\n  clients:\n    - &c {id: a}\n    - <<: *c\n",
		"a: &a {<<: *a}", "server:\n  listen: ${X:-:1}\n", "acr:\n  aliases: {? [a]: mfa}\n",
		"--- a\n--- b\n", "server: !!str x", "log:\n  level: |\n    info\n",
		"store:\n  memdb:\n    snapshot_every: -0x10\n", "acr:\n  aliases: {\"$${X}\": mfa}\n",
		"server:\n  public_url: https://a.example/b%2F//\n", "server:\n  trusted_proxies: [10.0.0.0/8, \"::1\", 10.1.2.3/8, 0.0.0.0/0]\n",
		"secrets:\n  key: base64:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n", "demo: {enabled: FALSE}\n",
		"sessions: {idle: 1h, absolute: 1m}\n", "passwords: {memory_kib: 8, parallelism: 300, min_length: 64}\n",
		"oidc:\n  code_lifetime: 10s\n  clients:\n    - {id: a, signing_alg: eddsa, access_token_format: opaque, action: pay_1}\n",
	} {
		f.Add([]byte(s))
	}
	env := fakeEnv(map[string]string{"STEPUP_DEMO_SECRET": longSecret, "X": "1"})
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, ps := LoadBytes("fuzz.yaml", data, env)
		if (cfg == nil) != ps.HasErrors() {
			t.Fatalf("cfg == nil is %v, HasErrors is %v", cfg == nil, ps.HasErrors())
		}
		for _, p := range ps {
			if p.Message == "" || p.File != "fuzz.yaml" {
				t.Errorf("malformed problem %+v", p)
			}
		}
		if cfg != nil && cfg.Validate().HasErrors() {
			t.Errorf("LoadBytes accepted a config that Validate rejects: %s", cfg.Validate())
		}
		if cfg != nil {
			if err := cfg.Passwords.Params().Validate(); err != nil {
				t.Errorf("LoadBytes accepted passwords that the password package rejects: %v", err)
			}
		}
	})
}
