package config

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestThreeMistakes(t *testing.T) {
	data, err := os.ReadFile("testdata/three_mistakes.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg, ps := LoadBytes("stepup.yaml", data, fakeEnv(map[string]string{"SHOP_SECRET": longSecret}))
	if cfg != nil {
		t.Error("got a Config despite errors")
	}
	wantProblems(t, ps,
		`stepup.yaml:3:3: server.listn: unknown key (did you mean "listen"?)`,
		`stepup.yaml:5:21: server.shutdown_timeout: "5 minutes" is not a duration (want a number and a unit, e.g. 15s, 1m30s, 2h)`,
		`stepup.yaml:19:11: oidc.clients[1].redirect_uris[0]: must be an absolute https URL or http://localhost`,
	)
	if err := ps.Err(); err == nil || !strings.HasPrefix(err.Error(), "config: 3 errors:\n") {
		t.Errorf("Err() = %v", err)
	}
}

func TestLoadWithoutFileIsDefault(t *testing.T) {
	cfg, ps := Load("")
	if len(ps) != 0 {
		t.Fatalf("problems: %s", ps)
	}
	if !reflect.DeepEqual(cfg, Default()) {
		t.Errorf("Load(\"\") = %+v, want Default()", cfg)
	}
}

func TestLoadFileErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, path, want string
	}{
		{"missing", filepath.Join(dir, "nope.yaml"), "configuration file does not exist"},
		{"directory", dir, "cannot read the configuration file: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, ps := Load(tt.path)
			if cfg != nil || len(ps) != 1 {
				t.Fatalf("Load = %v, %s; want nil and one problem", cfg, ps)
			}
			if p := ps[0]; p.File != tt.path || p.Severity != Error || !strings.HasPrefix(p.Message, tt.want) {
				t.Errorf("problem = %+v, want %q in %s", p, tt.want, tt.path)
			}
		})
	}
}

func TestLoadReadsFileAndEnvironment(t *testing.T) {
	path := filepath.Join(t.TempDir(), "stepup.yaml")
	if err := os.WriteFile(path, []byte("server:\n  listen: ${STEPUP_TEST_LISTEN}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("STEPUP_TEST_LISTEN", ":9999")
	cfg, ps := Load(path)
	if ps.HasErrors() {
		t.Fatalf("problems: %s", ps)
	}
	if cfg.Server.Listen != ":9999" {
		t.Errorf("listen = %q, want :9999", cfg.Server.Listen)
	}
}

func TestPath(t *testing.T) {
	tests := []struct {
		flag, env, want string
	}{
		{"", "", ""},
		{"", "/etc/stepup.yaml", "/etc/stepup.yaml"},
		{"./mine.yaml", "/etc/stepup.yaml", "./mine.yaml"},
	}
	for _, tt := range tests {
		t.Setenv(EnvVar, tt.env)
		if got := Path(tt.flag); got != tt.want {
			t.Errorf("Path(%q) with %s=%q = %q, want %q", tt.flag, EnvVar, tt.env, got, tt.want)
		}
	}
}

func TestInvalidYAML(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"unclosed list", "server:\n  listen: [1\n", "stepup.yaml:2:11: invalid YAML: "},
		{"tab indent", "server:\n\tlisten: x\n", `stepup.yaml:2:1: invalid YAML: found character '\t' that cannot start any token`},
		{"duplicate key", "log:\n  level: info\n  level: debug\n", "stepup.yaml:3:3: invalid YAML: mapping key \"level\" already defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ps := load(t, tt.yaml, nil)
			if len(ps) != 1 || !strings.HasPrefix(ps[0].String(), tt.want) {
				t.Errorf("problems:\n%s\nwant one starting %q", ps, tt.want)
			}
		})
	}
}

func TestOmittedKeysKeepDefaults(t *testing.T) {
	cfg, ps := load(t, "server:\n  listen: :9000\nlog:\n  format:\nstore:\n  memdb: {}\n", nil)
	if len(ps) != 0 {
		t.Fatalf("problems: %s", ps)
	}
	want := Default()
	want.Server.Listen = ":9000"
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("got %+v\nwant %+v", cfg, want)
	}
}

func TestEmptyFileIsDefault(t *testing.T) {
	for _, yaml := range []string{"", "# only a comment\n", "---\n", "~\n"} {
		cfg, ps := load(t, yaml, nil)
		if len(ps) != 0 || !reflect.DeepEqual(cfg, Default()) {
			t.Errorf("%q: got %+v, %s; want Default()", yaml, cfg, ps)
		}
	}
}

func TestUnknownKeysAreAllReported(t *testing.T) {
	_, ps := load(t, `serverr:
  listen: :1
log:
  lvl: debug
  Format: json
store:
  memdb:
    snapshotEvery: 5000
oidc:
  clients:
    - id: a
      redirect_uri: https://a.example/cb
`, nil)
	wantProblems(t, ps,
		`stepup.yaml:1:1: serverr: unknown key (did you mean "server"?)`,
		`stepup.yaml:4:3: log.lvl: unknown key`,
		`stepup.yaml:5:3: log.Format: unknown key (did you mean "format"?)`,
		`stepup.yaml:8:5: store.memdb.snapshotEvery: unknown key (did you mean "snapshot_every"?)`,
		`stepup.yaml:11:7: oidc.clients[0].redirect_uris: at least one redirect URI is required`,
		`stepup.yaml:12:7: oidc.clients[0].redirect_uri: unknown key (did you mean "redirect_uris"?)`,
	)
}

func TestMultipleDocuments(t *testing.T) {
	_, ps := load(t, "log:\n  level: info\n---\nlog:\n  level: debug\n", nil)
	wantProblems(t, ps, "stepup.yaml:4:1: only one YAML document is allowed, but another starts here")
}

func TestTypeConversions(t *testing.T) {
	cfg, ps := load(t, `server:
  public_url: https://login.example.com/auth
  shutdown_timeout: 1m30s
log:
  level: WARN
store:
  memdb:
    snapshot_every: 010000
acr:
  aliases:
    gold: urn:stepup:acr:phrh
oidc:
  clients:
    - id: 42
      redirect_uris: ["https://a.example/cb"]
      minimum_acr: MFA
      methods: [password, passkey, TOTP]
`, nil)
	if len(ps) != 0 {
		t.Fatalf("problems: %s", ps)
	}
	c := cfg.OIDC.Clients[0]
	got := []any{
		cfg.Server.PublicURL.Host, cfg.Server.PublicURL.Path, cfg.Server.ShutdownTimeout,
		cfg.Log.Level.String(), cfg.Store.Memdb.SnapshotEvery, cfg.ACR.Aliases["gold"].String(),
		c.ID, c.Name, c.RedirectURIs[0].String(), c.MinimumACR.String(), c.Methods,
	}
	want := []any{
		"login.example.com", "/auth", 90 * time.Second,
		"WARN", 10000, "urn:stepup:acr:phrh",
		"42", "42", "https://a.example/cb", "urn:stepup:acr:mfa", c.Methods,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
	if len(c.Methods) != 3 || c.Methods[0] != "PASSWORD" || c.Methods[1] != "PASSKEY" || c.Methods[2] != "TOTP" {
		t.Errorf("methods = %v", c.Methods)
	}
}

func TestTypeErrors(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"duration", "server:\n  read_header_timeout: 10\n",
			`stepup.yaml:2:24: server.read_header_timeout: "10" is not a duration (want a number and a unit, e.g. 15s, 1m30s, 2h)`},
		{"url", "server:\n  public_url: \"https://a b\"\n",
			`stepup.yaml:2:15: server.public_url: invalid URL "https://a b": invalid character " " in host name`},
		{"log level", "log:\n  level: loud\n",
			`stepup.yaml:2:10: log.level: unknown log level "loud" (want debug, info, warn or error)`},
		{"integer", "store:\n  memdb:\n    snapshot_every: 1e6\n",
			`stepup.yaml:3:21: store.memdb.snapshot_every: "1e6" is not a whole number`},
		{"integer overflow", "store:\n  memdb:\n    snapshot_every: 99999999999999999999\n",
			`stepup.yaml:3:21: store.memdb.snapshot_every: "99999999999999999999" is not a whole number`},
		{"hexadecimal integer", "store:\n  memdb:\n    snapshot_every: 0x2000\n",
			`stepup.yaml:3:21: store.memdb.snapshot_every: "0x2000" is hexadecimal; want a decimal number (8192)`},
		{"octal integer", "store:\n  memdb:\n    snapshot_every: 0o20000\n",
			`stepup.yaml:3:21: store.memdb.snapshot_every: "0o20000" is octal; want a decimal number (8192)`},
		{"binary integer", "store:\n  memdb:\n    snapshot_every: -0B11\n",
			`stepup.yaml:3:21: store.memdb.snapshot_every: "-0B11" is binary; want a decimal number (-3)`},
		{"bad hexadecimal integer", "store:\n  memdb:\n    snapshot_every: 0xG\n",
			`stepup.yaml:3:21: store.memdb.snapshot_every: "0xG" is not a whole number`},
		{"acr level", "oidc:\n  clients:\n    - id: a\n      redirect_uris: [https://a.example]\n      minimum_acr: gold\n",
			`stepup.yaml:5:20: oidc.clients[0].minimum_acr: unknown level "gold" (want one of 1fa, mfa, phr, phrh)`},
		{"alias level", "acr:\n  aliases:\n    silver: 2fa\n",
			`stepup.yaml:3:13: acr.aliases["silver"]: unknown level "2fa" (want one of 1fa, mfa, phr, phrh)`},
		{"method", "oidc:\n  clients:\n    - id: a\n      redirect_uris: [https://a.example]\n      methods: [PASSKEY, CARRIER_PIGEON]\n",
			`stepup.yaml:5:26: oidc.clients[0].methods[1]: unknown method "CARRIER_PIGEON" (want one of ` + methodNames() + `)`},
		{"list wanted", "oidc:\n  clients:\n    - id: a\n      redirect_uris: https://a.example\n",
			`stepup.yaml:4:22: oidc.clients[0].redirect_uris: must be a list`},
		{"scalar wanted", "server:\n  listen:\n    host: a\n",
			`stepup.yaml:3:5: server.listen: must be a single value, not a mapping`},
		{"scalar wanted, got list", "log:\n  format: [json]\n",
			`stepup.yaml:2:11: log.format: must be a single value, not a list`},
		{"mapping wanted", "server: :8080\n",
			`stepup.yaml:1:9: server: must be a mapping`},
		{"null list item", "oidc:\n  clients:\n    - id: a\n      redirect_uris: [https://a.example]\n      methods: [PASSKEY, null]\n",
			`stepup.yaml:5:26: oidc.clients[0].methods[1]: must not be empty`},
		{"signing alg", "oidc:\n  clients:\n    - id: a\n      redirect_uris: [https://a.example]\n      signing_alg: HS256\n",
			`stepup.yaml:5:20: oidc.clients[0].signing_alg: unknown signing algorithm "HS256" (want ES256, RS256 or EdDSA)`},
		{"access token format", "oidc:\n  clients:\n    - id: a\n      redirect_uris: [https://a.example]\n      access_token_format: paseto\n",
			`stepup.yaml:5:28: oidc.clients[0].access_token_format: unknown access token format "paseto" (want jwt or opaque)`},
		{"boolean", "demo:\n  enabled: yes\n",
			`stepup.yaml:2:12: demo.enabled: "yes" is not a boolean (want true or false)`},
		{"boolean number", "demo:\n  enabled: 1\n",
			`stepup.yaml:2:12: demo.enabled: "1" is not a boolean (want true or false)`},
		{"boolean list", "demo:\n  enabled: [true]\n",
			`stepup.yaml:2:12: demo.enabled: must be a single value, not a list`},
		{"top level", "- server\n",
			`stepup.yaml:1:1: must be a mapping of sections (server, log, store, secrets, sessions, passwords, factors, delivery, acr, oidc, upstreams, rules, signals, demo)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ps := load(t, tt.yaml, nil)
			wantProblems(t, ps, tt.want)
		})
	}
}

func TestBooleans(t *testing.T) {
	tests := []struct {
		value string
		env   map[string]string
		want  bool
	}{
		{"true", nil, true},
		{"True", nil, true},
		{"TRUE", nil, true},
		{"false", nil, false},
		{"False", nil, false},
		{`"false"`, nil, false},
		{"${D}", map[string]string{"D": "false"}, false},
		{"${D:-true}", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			cfg, ps := load(t, "demo:\n  enabled: "+tt.value+"\n", tt.env)
			if len(ps) != 0 {
				t.Fatalf("problems: %s", ps)
			}
			if cfg.Demo.Enabled != tt.want {
				t.Errorf("demo.enabled: %s = %v, want %v", tt.value, cfg.Demo.Enabled, tt.want)
			}
		})
	}
}

// TestIntegersAreDecimal checks that a leading zero never turns a number
// octal: YAML 1.1 reads 010000 as 4096, YAML 1.2 and most people as 10000.
func TestIntegersAreDecimal(t *testing.T) {
	tests := []struct {
		name, value string
		env         map[string]string
		want        int
	}{
		{"plain", "10000", nil, 10000},
		{"leading zero", "010000", nil, 10000},
		{"quoted leading zero", `"010000"`, nil, 10000},
		{"leading zero from the environment", "${N}", map[string]string{"N": "010000"}, 10000},
		{"plus sign", "+2000", nil, 2000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, ps := load(t, "store:\n  memdb:\n    snapshot_every: "+tt.value+"\n", tt.env)
			if len(ps) != 0 {
				t.Fatalf("problems: %s", ps)
			}
			if got := cfg.Store.Memdb.SnapshotEvery; got != tt.want {
				t.Errorf("snapshot_every: %s = %d, want %d", tt.value, got, tt.want)
			}
		})
	}

	_, ps := load(t, "store:\n  memdb:\n    snapshot_every: ${N}\n", map[string]string{"N": "0x4000"})
	wantProblems(t, ps, `stepup.yaml:3:21: store.memdb.snapshot_every: "0x4000" is hexadecimal; want a decimal number (16384)`)
}

func TestAnchorsAliasesAndMerges(t *testing.T) {
	cfg, ps := load(t, `oidc:
  clients:
    - &base
      id: one
      redirect_uris: &uris [https://a.example/cb]
      minimum_acr: mfa
    - <<: *base
      id: two
    - id: three
      redirect_uris: *uris
`, nil)
	if ps.HasErrors() {
		t.Fatalf("problems: %s", ps)
	}
	cs := cfg.OIDC.Clients
	if len(cs) != 3 || cs[1].ID != "two" || cs[1].MinimumACR.String() != "urn:stepup:acr:mfa" ||
		len(cs[1].RedirectURIs) != 1 || len(cs[2].RedirectURIs) != 1 || cs[2].MinimumACR.String() != "urn:stepup:acr:1fa" {
		t.Errorf("clients = %+v", cs)
	}

	_, ps = load(t, "log:\n  level: *nope\n", nil)
	wantProblems(t, ps, "stepup.yaml:2:10: log.level: alias *nope refers to no anchor &nope before it")
}

func TestAliasBombIsCut(t *testing.T) {
	var b strings.Builder
	b.WriteString("x: &u [https://a.example/cb" + strings.Repeat(", https://a.example/cb", 999) + "]\noidc:\n  clients:\n")
	for i := range 200 {
		fmt.Fprintf(&b, "    - {id: c%d, redirect_uris: *u}\n", i)
	}
	start := time.Now()
	_, ps := load(t, b.String(), nil)
	wantProblems(t, ps,
		"stepup.yaml:1:1: x: unknown key",
		"stepup.yaml:1:15342: oidc.clients[99].redirect_uris[697]: the file holds more than 100000 values; do its aliases repeat a long list?",
	)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
}
