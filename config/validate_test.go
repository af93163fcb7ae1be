package config

import (
	"fmt"
	"math"
	"net"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup/password"
	"github.com/stepup-auth/stepup/web/demo"
)

// client is a valid client entry to build test files from.
const client = "oidc:\n  clients:\n    - id: a\n      redirect_uris: [https://a.example/cb]\n"

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string
	}{
		{"listen without port", "server:\n  listen: localhost\n",
			[]string{"stepup.yaml:2:11: server.listen: must be host:port, e.g. 127.0.0.1:8080 or :8080"}},
		{"listen with named port", "server:\n  listen: localhost:http\n",
			[]string{`stepup.yaml:2:11: server.listen: port "http" must be a number from 0 to 65535`}},
		{"listen port too big", "server:\n  listen: :65536\n",
			[]string{`stepup.yaml:2:11: server.listen: port "65536" must be a number from 0 to 65535`}},
		{"listen any interface", "server:\n  listen: \":0\"\n", nil},
		{"listen signed port", "server:\n  listen: localhost:+80\n",
			[]string{`stepup.yaml:2:11: server.listen: port "+80" must be a number from 0 to 65535`}},
		{"metrics listen", "server:\n  metrics_listen: 127.0.0.1:9464\n", nil},
		{"metrics listen without port", "server:\n  metrics_listen: localhost\n",
			[]string{"stepup.yaml:2:19: server.metrics_listen: must be host:port, e.g. 127.0.0.1:9464"}},
		{"metrics listen named port", "server:\n  metrics_listen: localhost:prom\n",
			[]string{`stepup.yaml:2:19: server.metrics_listen: port "prom" must be a number from 0 to 65535`}},
		{"metrics on the public listener", "server:\n  listen: 127.0.0.1:8080\n  metrics_listen: 127.0.0.1:8080\n",
			[]string{"stepup.yaml:3:19: server.metrics_listen: must not be server.listen's address: metrics are kept off the public listener"}},
		{"metrics on the public port, every interface", "server:\n  listen: :8080\n  metrics_listen: 127.0.0.1:8080\n",
			[]string{"stepup.yaml:3:19: server.metrics_listen: must not be server.listen's address: metrics are kept off the public listener"}},
		{"metrics on the public port, localhost", "server:\n  listen: 127.0.0.1:8080\n  metrics_listen: localhost:8080\n",
			[]string{"stepup.yaml:3:19: server.metrics_listen: must not be server.listen's address: metrics are kept off the public listener"}},
		{"metrics on the same port, another interface", "server:\n  listen: 10.0.0.1:8080\n  metrics_listen: 127.0.0.1:8080\n", nil},
		{"metrics and public listener both on port 0", "server:\n  listen: 127.0.0.1:0\n  metrics_listen: 127.0.0.1:0\n", nil},
		{"public url http not local", "server:\n  public_url: http://login.example.com\n",
			[]string{"stepup.yaml:2:15: server.public_url: must be an absolute https URL, or http on localhost, 127.0.0.1 or [::1]"}},
		{"public url relative", "server:\n  public_url: /login\n",
			[]string{"stepup.yaml:2:15: server.public_url: must be an absolute https URL, or http on localhost, 127.0.0.1 or [::1]"}},
		{"public url empty", "server:\n  public_url: \"\"\n",
			[]string{"stepup.yaml:2:15: server.public_url: must be an absolute https URL, or http on localhost, 127.0.0.1 or [::1]"}},
		{"public url query", "server:\n  public_url: https://a.example/?x=1\n",
			[]string{"stepup.yaml:2:15: server.public_url: must not have a query or fragment"}},
		{"public url loopback", "server:\n  public_url: http://localhost:8080/auth\n", nil},
		{"public url loopback address", "server:\n  public_url: http://[::1]:8080/auth\n",
			[]string{"stepup.yaml:2:15: warning: server.public_url: its host is an IP address, which WebAuthn does not take as a site: passkeys and security keys are off; use http://localhost:PORT to try them"}},
		{"timeouts", "server:\n  shutdown_timeout: 0s\n  read_header_timeout: -1s\n",
			[]string{
				"stepup.yaml:2:21: server.shutdown_timeout: must be more than 0s, got 0s",
				"stepup.yaml:3:24: server.read_header_timeout: must be more than 0s, got -1s",
			}},
		{"factors", "factors:\n  hardware_aaguids: [CB69481E-8FF7-4039-93EC-0A2729A154A8, cb69481e8ff7403993ec0a2729a154a8, nope]\n  change_window: 30s\n  change_level: \"\"\n",
			[]string{
				`stepup.yaml:2:60: factors.hardware_aaguids[1]: must be an AAGUID written as 8-4-4-4-12 hexadecimal digits, got "cb69481e8ff7403993ec0a2729a154a8"`,
				`stepup.yaml:2:94: factors.hardware_aaguids[2]: must be an AAGUID written as 8-4-4-4-12 hexadecimal digits, got "nope"`,
				"stepup.yaml:3:18: factors.change_window: must be from 1m0s to 12h0m0s, got 30s",
				"stepup.yaml:4:17: factors.change_level: must be a built-in level: 1fa, mfa, phr or phrh",
			}},
		{"totp issuer", "factors:\n  totp_issuer: \"Example: Corp\"\n",
			[]string{`stepup.yaml:2:16: factors.totp_issuer: must be at most 64 characters with no colon, got "Example: Corp"`}},
		{"log format", "log:\n  format: xml\n",
			[]string{`stepup.yaml:2:11: log.format: unknown format "xml" (want text or json)`}},
		{"backend", "store:\n  backend: postgres\n",
			[]string{`stepup.yaml:2:12: store.backend: unknown backend "postgres" (supported: memdb)`}},
		{"memdb", "store:\n  memdb:\n    dir: \"\"\n    snapshot_every: 999\n    sweep_interval: 500ms\n",
			[]string{
				"stepup.yaml:3:10: store.memdb.dir: must not be empty",
				"stepup.yaml:4:21: store.memdb.snapshot_every: must be at least 1000, got 999",
				"stepup.yaml:5:21: store.memdb.sweep_interval: must be at least 1s, got 500ms",
			}},
		{"aliases", "acr:\n  aliases:\n    \"\": mfa\n    \"two words\": mfa\n    MFA: mfa\n    urn:stepup:acr:phr: phr\n    blank: \"\"\n    urn:stepup:acr:gold: phr\n    URN:STEPUP:ACR:gold: phr\n    \"http://schemas.openid.net/pape/policies/2007/06/phishing-resistant\": 1fa\n",
			[]string{
				`stepup.yaml:3:9: acr.aliases[""]: an alias must not be empty`,
				`stepup.yaml:4:18: acr.aliases["two words"]: an alias must not contain whitespace`,
				`stepup.yaml:5:10: acr.aliases["MFA"]: "MFA" is already the built-in level urn:stepup:acr:mfa; remove the alias`,
				`stepup.yaml:6:25: acr.aliases["urn:stepup:acr:phr"]: "urn:stepup:acr:phr" is already the built-in level urn:stepup:acr:phr; remove the alias`,
				`stepup.yaml:7:12: acr.aliases["blank"]: must be a built-in level: 1fa, mfa, phr or phrh`,
				`stepup.yaml:8:26: acr.aliases["urn:stepup:acr:gold"]: urn:stepup:acr: values are stepup's own levels (1fa, mfa, phr, phrh); choose an alias outside that namespace`,
				`stepup.yaml:9:26: acr.aliases["URN:STEPUP:ACR:gold"]: urn:stepup:acr: values are stepup's own levels (1fa, mfa, phr, phrh); choose an alias outside that namespace`,
				`stepup.yaml:10:75: acr.aliases["http://schemas.openid.net/pape/policies/2007/06/phishing-resistant"]: "http://schemas.openid.net/pape/policies/2007/06/phishing-resistant" is the well-known value for urn:stepup:acr:phr; it may stand for a higher level, not for urn:stepup:acr:1fa`,
			}},
		{"valid client", client, nil},
		{"client id missing", "oidc:\n  clients:\n    - name: A\n      redirect_uris: [https://a.example/cb]\n",
			[]string{"stepup.yaml:3:7: oidc.clients[0].id: is required"}},
		{"client id characters", "oidc:\n  clients:\n    - id: a b\n      redirect_uris: [https://a.example/cb]\n",
			[]string{`stepup.yaml:3:11: oidc.clients[0].id: "a b" may only contain letters, digits and . _ ~ -`}},
		{"duplicate client ids", client + "    - id: b\n      redirect_uris: [https://b.example/cb]\n    - id: a\n      redirect_uris: [https://a.example/cb]\n",
			[]string{`stepup.yaml:7:11: oidc.clients[2].id: duplicate client id "a", also used by oidc.clients[0]`}},
		{"pkce optional for a public client", client + "      pkce_optional: true\n",
			[]string{"stepup.yaml:5:22: oidc.clients[0].pkce_optional: is for a confidential client only: a public client (no secret) must use PKCE"}},
		{"pkce optional for a confidential client", client + "      secret: a-long-enough-secret-for-a-confidential-client\n      pkce_optional: true\n", nil},
		{"short secret", client + "      secret: hunter2\n",
			[]string{"stepup.yaml:5:15: warning: oidc.clients[0].secret: is shorter than 32 characters; use a long random secret"}},
		{"no redirect uris", "oidc:\n  clients:\n    - id: a\n      redirect_uris: []\n",
			[]string{"stepup.yaml:4:22: oidc.clients[0].redirect_uris: at least one redirect URI is required"}},
		{"redirect uris", "oidc:\n  clients:\n    - id: a\n      redirect_uris:\n        - http://localhost:3000/cb\n        - http://127.0.0.1/cb?x=1\n        - http://app.example/cb\n        - https://app.example/cb#frag\n        - app.example/cb\n        - com.example.app:/cb\n",
			[]string{
				"stepup.yaml:7:11: oidc.clients[0].redirect_uris[2]: must be an absolute https URL or http://localhost",
				"stepup.yaml:8:11: oidc.clients[0].redirect_uris[3]: must not have a fragment",
				"stepup.yaml:9:11: oidc.clients[0].redirect_uris[4]: must be an absolute https URL or http://localhost",
				"stepup.yaml:10:11: oidc.clients[0].redirect_uris[5]: must be an absolute https URL or http://localhost",
			}},
		{"post logout redirect uris", client + "      post_logout_redirect_uris: [ftp://a.example/]\n",
			[]string{"stepup.yaml:5:35: oidc.clients[0].post_logout_redirect_uris[0]: must be an absolute https URL or http://localhost"}},
		{"minimum acr none", client + "      minimum_acr: \"\"\n",
			[]string{"stepup.yaml:5:20: oidc.clients[0].minimum_acr: must be a built-in level: 1fa, mfa, phr or phrh"}},
		{"duplicate methods", client + "      methods: [TOTP, PASSWORD, totp]\n",
			[]string{"stepup.yaml:5:33: warning: oidc.clients[0].methods[2]: TOTP is already listed at methods[0]"}},
		{"methods without a password", client + "      methods: [PASSKEY, TOTP]\n",
			[]string{"stepup.yaml:5:16: warning: oidc.clients[0].methods: has no PASSWORD: users without a passkey can neither sign in nor register here"}},
		{"methods without a password on an IP address", "server:\n  public_url: http://127.0.0.1:8080\n" + client + "      methods: [PASSKEY, TOTP]\n",
			[]string{
				"stepup.yaml:2:15: warning: server.public_url: its host is an IP address, which WebAuthn does not take as a site: passkeys and security keys are off; use http://localhost:PORT to try them",
				"stepup.yaml:7:16: oidc.clients[0].methods: has no PASSWORD, and passkeys are off (server.public_url is an IP address): no one could sign in",
			}},
		{"upstream is no sign-in yet", client + "      methods: [UPSTREAM]\n",
			[]string{"stepup.yaml:5:16: oidc.clients[0].methods: must include a way to sign in: PASSWORD, PASSKEY or SECURITY_KEY"}},
		{"methods without a first factor", client + "      methods: [TOTP, RECOVERY_CODE]\n",
			[]string{"stepup.yaml:5:16: oidc.clients[0].methods: must include a way to sign in: PASSWORD, PASSKEY or SECURITY_KEY"}},
		{"methods that reach the minimum", client + "      minimum_acr: mfa\n      methods: [PASSWORD, RECOVERY_CODE, EMAIL_OTP]\n", nil},
		{"methods below the minimum", client + "      minimum_acr: phr\n      methods: [PASSWORD, TOTP]\n",
			[]string{"stepup.yaml:6:16: oidc.clients[0].methods: can reach no more than urn:stepup:acr:mfa, below minimum_acr urn:stepup:acr:phr"}},
		{"a passkey alone reaches phr", client + "      minimum_acr: phr\n      methods: [PASSKEY]\n",
			[]string{"stepup.yaml:6:16: warning: oidc.clients[0].methods: has no PASSWORD: users without a passkey can neither sign in nor register here"}},
		{"signing alg empty", client + "      signing_alg: \"\"\n",
			[]string{"stepup.yaml:5:20: oidc.clients[0].signing_alg: must be ES256, RS256 or EdDSA"}},
		{"access token format empty", client + "      access_token_format: \"\"\n",
			[]string{"stepup.yaml:5:28: oidc.clients[0].access_token_format: must be jwt or opaque"}},
		{"action with a hyphen", client + "      action: sign-in\n",
			[]string{`stepup.yaml:5:15: oidc.clients[0].action: must be a letter followed by at most 63 letters, digits or _, got "sign-in"`}},
		{"action starting with a digit", client + "      action: 2fa\n",
			[]string{`stepup.yaml:5:15: oidc.clients[0].action: must be a letter followed by at most 63 letters, digits or _, got "2fa"`}},
		{"action empty", client + "      action: \"\"\n",
			[]string{`stepup.yaml:5:15: oidc.clients[0].action: must be a letter followed by at most 63 letters, digits or _, got ""`}},
		{"action of 65 characters", client + "      action: a" + strings.Repeat("b", 64) + "\n",
			[]string{`stepup.yaml:5:15: oidc.clients[0].action: must be a letter followed by at most 63 letters, digits or _, got "a` + strings.Repeat("b", 64) + `"`}},
		{"action of 64 characters", client + "      action: a_" + strings.Repeat("B9", 31) + "\n", nil},
		{"sessions", "sessions:\n  idle: 0s\n  absolute: -1h\n",
			[]string{
				"stepup.yaml:2:9: sessions.idle: must be more than 0s, got 0s",
				"stepup.yaml:3:13: sessions.absolute: must be more than 0s, got -1h0m0s",
			}},
		{"idle longer than absolute", "sessions:\n  idle: 13h\n",
			[]string{"stepup.yaml:2:9: sessions.idle: must not be longer than sessions.absolute (12h0m0s), got 13h0m0s"}},
		{"idle as long as absolute", "sessions:\n  idle: 1h\n  absolute: 1h\n", nil},
		{"password cost", "passwords:\n  memory_kib: 15\n  iterations: 0\n  parallelism: 2\n",
			[]string{
				"stepup.yaml:2:3: passwords: memory must be at least 16 KiB (8 KiB per lane) but it's 15 KiB",
				"stepup.yaml:2:3: passwords: iterations must be between 1 and 100 but it's 0",
			}},
		{"password cost out of range", "passwords:\n  memory_kib: -1\n  iterations: 4294967296\n  parallelism: 257\n",
			[]string{
				"stepup.yaml:2:15: passwords.memory_kib: must be from 0 to 4294967295, got -1",
				"stepup.yaml:3:15: passwords.iterations: must be from 0 to 4294967295, got 4294967296",
				"stepup.yaml:4:16: passwords.parallelism: must be from 0 to 255, got 257",
			}},
		{"password parallelism", "passwords:\n  parallelism: 17\n",
			[]string{"stepup.yaml:2:3: passwords: parallelism must be between 1 and 16 but it's 17"}},
		{"password memory over 4 GiB", "passwords:\n  memory_kib: 4194305\n",
			[]string{"stepup.yaml:2:3: passwords: memory must be at most 4194304 KiB (4 GiB) but it's 4194305 KiB"}},
		{"weak password cost", "passwords:\n  memory_kib: 19455\n  iterations: 2\n",
			[]string{"stepup.yaml:2:3: warning: passwords: memory_kib 19455 with iterations 2 is below the OWASP minimum; fine for tests, not for production"}},
		{"another OWASP minimum", "passwords:\n  memory_kib: 7168\n  iterations: 5\n", nil},
		{"password min length", "passwords:\n  min_length: 7\n",
			[]string{"stepup.yaml:2:15: passwords.min_length: must be from 8 to 64, got 7"}},
		{"password min length too long", "passwords:\n  min_length: 65\n",
			[]string{"stepup.yaml:2:15: passwords.min_length: must be from 8 to 64, got 65"}},
		{"password min length 64", "passwords:\n  min_length: 64\n", nil},
		{"token lifetimes too short", "oidc:\n  access_token_lifetime: 59s\n  id_token_lifetime: 0s\n  refresh_token_lifetime: 59m\n  code_lifetime: 9s\n  auth_request_lifetime: 30s\n",
			[]string{
				"stepup.yaml:2:26: oidc.access_token_lifetime: must be from 1m0s to 24h0m0s, got 59s",
				"stepup.yaml:3:22: oidc.id_token_lifetime: must be from 1m0s to 24h0m0s, got 0s",
				"stepup.yaml:4:27: oidc.refresh_token_lifetime: must be from 1h0m0s to 8760h0m0s, got 59m0s",
				"stepup.yaml:5:18: oidc.code_lifetime: must be from 10s to 10m0s, got 9s",
				"stepup.yaml:6:26: oidc.auth_request_lifetime: must be from 1m0s to 1h0m0s, got 30s",
			}},
		{"token lifetimes too long", "oidc:\n  access_token_lifetime: 25h\n  id_token_lifetime: 24h1s\n  refresh_token_lifetime: 8761h\n  code_lifetime: 11m\n  auth_request_lifetime: 61m\n",
			[]string{
				"stepup.yaml:2:26: oidc.access_token_lifetime: must be from 1m0s to 24h0m0s, got 25h0m0s",
				"stepup.yaml:3:22: oidc.id_token_lifetime: must be from 1m0s to 24h0m0s, got 24h0m1s",
				"stepup.yaml:4:27: oidc.refresh_token_lifetime: must be from 1h0m0s to 8760h0m0s, got 8761h0m0s",
				"stepup.yaml:5:18: oidc.code_lifetime: must be from 10s to 10m0s, got 11m0s",
				"stepup.yaml:6:26: oidc.auth_request_lifetime: must be from 1m0s to 1h0m0s, got 1h1m0s",
			}},
		{"token lifetimes at their bounds", "oidc:\n  access_token_lifetime: 24h\n  id_token_lifetime: 1m\n  refresh_token_lifetime: 8760h\n  code_lifetime: 10s\n  auth_request_lifetime: 1h\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ps := load(t, tt.yaml, nil)
			wantProblems(t, ps, tt.want...)
		})
	}
}

func TestValidateInCode(t *testing.T) {
	if ps := Default().Validate(); len(ps) != 0 {
		t.Errorf("Default().Validate() = %s", ps)
	}
	c := Default()
	c.Store.Memdb.SweepInterval = time.Millisecond
	c.OIDC.Clients = []Client{{ID: "a"}}
	c.Server.PublicURL = URL{&url.URL{Scheme: "https", Host: "id.example.com", Path: "/"}}
	c.Store.Memdb.Dir = "data" // only a file draws the relative-directory warning
	wantProblems(t, c.Validate(),
		`warning: server.public_url: the issuer will be "https://id.example.com", without the trailing slash; relying parties compare the issuer exactly, so configure them with that value`,
		"store.memdb.sweep_interval: must be at least 1s, got 1ms",
		"oidc.clients[0].redirect_uris: at least one redirect URI is required",
		"oidc.clients[0].minimum_acr: must be a built-in level: 1fa, mfa, phr or phrh",
		"oidc.clients[0].signing_alg: must be ES256, RS256 or EdDSA",
		"oidc.clients[0].access_token_format: must be jwt or opaque",
		`oidc.clients[0].action: must be a letter followed by at most 63 letters, digits or _, got ""`,
	)
	if got := c.Server.PublicURL.String(); got != "https://id.example.com" {
		t.Errorf("after Validate, public_url = %q, want https://id.example.com", got)
	}
}

func TestPublicURLTrailingSlash(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"https://id.example.com/", "https://id.example.com"},
		{"https://x.example/auth/", "https://x.example/auth"},
		{"https://x.example/auth//", "https://x.example/auth"},
		{"http://localhost:8080/a%2Fb/", "http://localhost:8080/a%2Fb"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			cfg, ps := load(t, "server:\n  public_url: "+tt.in+"\n", nil)
			wantProblems(t, ps, fmt.Sprintf("stepup.yaml:2:15: warning: server.public_url: the issuer will be %q, "+
				"without the trailing slash; relying parties compare the issuer exactly, so configure them with that value", tt.want))
			if cfg == nil {
				return
			}
			if got := cfg.Server.PublicURL.String(); got != tt.want {
				t.Errorf("public_url = %q, want %q", got, tt.want)
			}
			if cfg.Validate() != nil {
				t.Errorf("a normalised public_url still draws %s", cfg.Validate())
			}
		})
	}

	cfg, ps := load(t, "server:\n  public_url: https://x.example/auth\n", nil)
	if len(ps) != 0 || cfg.Server.PublicURL.String() != "https://x.example/auth" {
		t.Errorf("public_url without a slash: %v, %s", cfg.Server.PublicURL, ps)
	}
}

// metrics_listen may not take server.listen's socket under another
// spelling: the kernel reads 018090 as 18090, and ::ffff:127.0.0.1 as
// 127.0.0.1. Each pair below fails to bind, as the test's first half checks.
func TestMetricsListenIsComparedAsTheKernelReadsIt(t *testing.T) {
	const want = "stepup.yaml:3:19: server.metrics_listen: must not be server.listen's address: metrics are kept off the public listener"
	for _, tt := range []struct{ listen, metrics string }{
		{"127.0.0.1:18090", "127.0.0.1:018090"},
		{"127.0.0.1:18091", "[::ffff:127.0.0.1]:18091"},
		{"127.0.0.1:18092", "[0:0:0:0:0:0:0:0]:18092"},
		{"[::]:18093", "0.0.0.0:0018093"},
	} {
		t.Run(tt.listen+" "+tt.metrics, func(t *testing.T) {
			if ln, err := net.Listen("tcp", tt.listen); err == nil {
				ln2, err := net.Listen("tcp", tt.metrics)
				if err == nil {
					ln2.Close()
					t.Errorf("the kernel took %s beside %s: the pair is no example", tt.metrics, tt.listen)
				}
				ln.Close()
			}
			_, ps := load(t, "server:\n  listen: \""+tt.listen+"\"\n  metrics_listen: \""+tt.metrics+"\"\n", nil)
			wantProblems(t, ps, want)
		})
	}
	for _, ok := range []string{"127.0.0.1:018091", "127.0.0.2:018090", "127.0.0.1:00"} {
		if _, ps := load(t, "server:\n  listen: 127.0.0.1:18090\n  metrics_listen: \""+ok+"\"\n", nil); len(ps) != 0 {
			t.Errorf("metrics_listen %s: %s", ok, ps)
		}
	}
}

// The public URL is the issuer, published in discovery and in every token:
// credentials in it would be published with it.
func TestPublicURLHasNoUserInfo(t *testing.T) {
	const want = "stepup.yaml:2:15: server.public_url: must not have a user name or password: the issuer URL is public"
	for _, u := range []string{"https://admin:hunter2@issuer.example", "https://admin@issuer.example", "https://@issuer.example"} {
		t.Run(u, func(t *testing.T) {
			_, ps := load(t, "server:\n  public_url: "+u+"\n", nil)
			wantProblems(t, ps, want)
		})
	}
}

// url.Parse checks only that a port is digits; a browser connects to 1 to
// 65535.
func TestPublicURLPortIsFrom1To65535(t *testing.T) {
	tests := []struct{ url, port string }{
		{"https://issuer.example:99999", "99999"},
		{"https://issuer.example:65536/auth", "65536"},
		{"https://issuer.example:0", "0"},
		{"http://[::1]:70000", "70000"},
		{"https://issuer.example:", ""},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			_, ps := load(t, "server:\n  public_url: \""+tt.url+"\"\n", nil)
			wantProblems(t, ps, fmt.Sprintf("stepup.yaml:2:15: server.public_url: port %q must be a number from 1 to 65535", tt.port))
		})
	}
	for _, u := range []string{"https://issuer.example:1", "https://issuer.example:65535/auth", "http://localhost:8080", "https://issuer.example"} {
		if _, ps := load(t, "server:\n  public_url: "+u+"\n", nil); len(ps) != 0 {
			t.Errorf("%s: %s", u, ps)
		}
	}
}

func TestRelativeDataDir(t *testing.T) {
	const warning = `"%s" is relative to the working directory; use an absolute path in production`
	tests := []struct {
		name, yaml, want string // want "" for no problem
	}{
		{"default in a file", "log:\n  level: info\n",
			"stepup.yaml: warning: store.memdb.dir: " + fmt.Sprintf(warning, "./stepup-data")},
		{"default in an empty file", "",
			"stepup.yaml: warning: store.memdb.dir: " + fmt.Sprintf(warning, "./stepup-data")},
		{"memdb section without dir", "store:\n  memdb:\n    snapshot_every: 5000\n",
			"stepup.yaml:3:5: warning: store.memdb.dir: " + fmt.Sprintf(warning, "./stepup-data")},
		{"relative", "store:\n  memdb:\n    dir: data\n",
			"stepup.yaml:3:10: warning: store.memdb.dir: " + fmt.Sprintf(warning, "data")},
		{"dot", "store:\n  memdb:\n    dir: .\n",
			"stepup.yaml:3:10: warning: store.memdb.dir: " + fmt.Sprintf(warning, ".")},
		{"absolute", "store:\n  memdb:\n    dir: /var/lib/stepup\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Not load, which leaves this warning out.
			cfg, ps := LoadBytes("stepup.yaml", []byte(tt.yaml), fakeEnv(nil))
			if cfg == nil {
				t.Fatalf("a warning made the Config nil: %s", ps)
			}
			ps = slices.DeleteFunc(ps, isSecretKeyWarning)
			if tt.want == "" {
				wantProblems(t, ps)
			} else {
				wantProblems(t, ps, tt.want)
			}
		})
	}

	// With no file, the defaults run quietly.
	if _, ps := Load(""); len(ps) != 0 {
		t.Errorf("Load(\"\") = %s", ps)
	}
}

func TestDemoWarning(t *testing.T) {
	const warning = "warning: demo.enabled: the demo client and demo page under /demo are on, and public_url is https as in production; set demo.enabled to false there"
	tests := []warningCase{
		{"https", "server:\n  public_url: https://id.example.com\n", "stepup.yaml: " + warning},
		{"https, enabled", "server:\n  public_url: https://id.example.com\ndemo:\n  enabled: true\n", "stepup.yaml:4:12: " + warning},
		{"https, disabled", "server:\n  public_url: https://id.example.com\ndemo:\n  enabled: false\n", ""},
		{"localhost", "server:\n  public_url: http://localhost:8080\ndemo:\n  enabled: true\n", ""},
		{"default public_url", "", ""},
	}
	wantDeploymentWarning(t, tests, isNoTrustedProxyWarning)
}

// url.URL cannot keep a '#' with nothing after it: https://rp.example/cb#
// passed "must not have a fragment" and was stored as https://rp.example/cb.
func TestURLWithAnEmptyFragmentIsRefused(t *testing.T) {
	const why = `it ends in "#", an empty fragment, which would be dropped; remove the "#"`
	_, ps := load(t, "server:\n  public_url: https://id.example/#\n"+client+
		"      post_logout_redirect_uris: [https://a.example/#]\n"+
		"    - id: b\n      redirect_uris:\n        - https://rp.example/cb\n        - https://rp.example/cb#\n", nil)
	wantProblems(t, ps,
		`stepup.yaml:2:15: server.public_url: invalid URL "https://id.example/#": `+why,
		`stepup.yaml:7:35: oidc.clients[0].post_logout_redirect_uris[0]: invalid URL "https://a.example/#": `+why,
		`stepup.yaml:11:11: oidc.clients[1].redirect_uris[1]: invalid URL "https://rp.example/cb#": `+why,
	)
	if _, err := ParseURL("https://rp.example/cb#x"); err != nil {
		t.Errorf("a fragment is validation's to refuse, with its own message: %v", err)
	}
}

// The demo registers its client at start-up and refuses to take over one
// of the same ID, so a configured client named like it must be refused
// before serve, not by serve.
func TestClientIDIsNotTheDemosWhileTheDemoIsOn(t *testing.T) {
	if demoClientID != demo.ClientID {
		t.Fatalf("demoClientID is %q, but the demo registers %q", demoClientID, demo.ClientID)
	}
	clients := "oidc:\n  clients:\n    - id: " + demo.ClientID + "\n      redirect_uris: [https://a.example/cb]\n"
	const want = `stepup.yaml:3:11: oidc.clients[0].id: "stepup-demo" is the demo's client ID while demo.enabled is true; rename this client or set demo.enabled to false`
	for _, doc := range []string{clients, clients + "demo:\n  enabled: true\n"} {
		_, ps := load(t, doc, nil)
		wantProblems(t, ps, want)
	}
	if _, ps := load(t, clients+"demo:\n  enabled: false\n", nil); len(ps) != 0 {
		t.Errorf("with the demo off: %s", ps)
	}
}

func TestTrustedProxies(t *testing.T) {
	cfg, ps := load(t, "server:\n  trusted_proxies:\n    - 10.0.0.0/8\n    - 192.0.2.10\n    - \"2001:db8::/32\"\n    - \"::1\"\n", nil)
	wantProblems(t, ps)
	want := []string{"10.0.0.0/8", "192.0.2.10/32", "2001:db8::/32", "::1/128"}
	if got := Prefixes(cfg.Server.TrustedProxies); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("trusted_proxies = %v, want %v", got, want)
	}
	if got := cfg.Server.TrustedProxies[1].String(); got != "192.0.2.10" {
		t.Errorf("a single address prints as %q", got)
	}
	if len(Default().Server.TrustedProxies) != 0 {
		t.Error("a proxy is trusted by default")
	}

	const notAddress = "is not an IP address or a CIDR prefix such as 10.0.0.0/8"
	_, ps = load(t, "server:\n  trusted_proxies:\n    - proxy.internal\n    - 10.1.2.3/8\n    - \"::ffff:10.0.0.1\"\n"+
		"    - \"fe80::1%eth0\"\n    - \"\"\n    -\n    - 10.0.0.0/33\n    - 0.0.0.0/0\n    - \"::/0\"\n", nil)
	wantProblems(t, ps,
		`stepup.yaml:3:7: server.trusted_proxies[0]: "proxy.internal" `+notAddress,
		`stepup.yaml:4:7: server.trusted_proxies[1]: "10.1.2.3/8" has bits set past its /8; the prefix is 10.0.0.0/8`,
		`stepup.yaml:5:7: server.trusted_proxies[2]: "::ffff:10.0.0.1" is an IPv4 address in IPv6 form; write it as IPv4`,
		`stepup.yaml:6:7: server.trusted_proxies[3]: "fe80::1%eth0" `+notAddress,
		`stepup.yaml:7:7: server.trusted_proxies[4]: "" `+notAddress,
		"stepup.yaml:8:6: server.trusted_proxies[5]: must not be empty",
		`stepup.yaml:9:7: server.trusted_proxies[6]: "10.0.0.0/33" `+notAddress,
		"stepup.yaml:10:7: warning: server.trusted_proxies[7]: 0.0.0.0/0 trusts every address, so a client can name any address it likes in X-Forwarded-For; list only the proxies' addresses",
		"stepup.yaml:11:7: warning: server.trusted_proxies[8]: ::/0 trusts every address, so a client can name any address it likes in X-Forwarded-For; list only the proxies' addresses",
	)
}

// stepup has no TLS listener, so an https public_url means a proxy in
// front; with none trusted, every client is the proxy to the throttle.
func TestNoTrustedProxyWarning(t *testing.T) {
	const warning = "warning: server.trusted_proxies: stepup serves plain HTTP; behind a proxy, set server.trusted_proxies or every client counts as the proxy for throttling"
	tests := []warningCase{
		{"https", "server:\n  public_url: https://id.example.com\n", "stepup.yaml:2:3: " + warning},
		{"https, empty list", "server:\n  public_url: https://id.example.com\n  trusted_proxies: []\n", "stepup.yaml:3:20: " + warning},
		{"https, a proxy", "server:\n  public_url: https://id.example.com\n  trusted_proxies: [10.0.0.1]\n", ""},
		{"localhost", "server:\n  public_url: http://localhost:8080\n", ""},
		{"default public_url", "", ""},
	}
	wantDeploymentWarning(t, tests, isDemoWarning)
}

func TestPasswordsParams(t *testing.T) {
	if got, want := Default().Passwords.Params(), password.DefaultParams(); got != want {
		t.Errorf("Default().Passwords.Params() = %+v, want password.DefaultParams() %+v", got, want)
	}
	p := Passwords{MemoryKiB: 65536, Iterations: 3, Parallelism: 4}.Params()
	if p.Memory != 65536 || p.Iterations != 3 || p.Parallelism != 4 || p.SaltLength != 16 || p.KeyLength != 32 {
		t.Errorf("Params() = %+v", p)
	}
	// Out of range, a value saturates rather than wrapping into range.
	p = Passwords{MemoryKiB: -1, Iterations: 1 << 40, Parallelism: 257}.Params()
	if p.Memory != 0 || p.Iterations != math.MaxUint32 || p.Parallelism != math.MaxUint8 {
		t.Errorf("Params() = %+v, want 0, MaxUint32, MaxUint8", p)
	}
	if p.Validate() == nil {
		t.Error("saturated parameters validate")
	}
}

// The server builds its acr.Scheme from the configured aliases: whatever
// config accepts, the scheme must accept too.
func TestAcceptedAliasesMakeAScheme(t *testing.T) {
	for _, doc := range []string{
		string(Example),
		"acr:\n  aliases:\n    gold: phr\n    urn:okta:loa:2fa:any: phrh\n    http://x.example/acr: 1fa\n",
	} {
		cfg, ps := LoadBytes("stepup.yaml", []byte(doc), fakeEnv(nil))
		if ps.HasErrors() {
			t.Fatalf("%s", ps)
		}
		if _, err := acr.NewScheme(cfg.ACR.Aliases); err != nil {
			t.Errorf("config accepted aliases %v that acr.NewScheme refuses: %v", cfg.ACR.Aliases, err)
		}
	}
}

// warningCase is a file and the deployment warning it draws ("" for none).
type warningCase struct{ name, yaml, want string }

// wantDeploymentWarning loads each case's file and wants its warning and
// nothing else, but for the relative-folder and secret-key warnings and
// those other is (another test's). A Config built in code is no
// deployment: it draws no warning.
func wantDeploymentWarning(t *testing.T, tests []warningCase, other func(Problem) bool) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Not load, which leaves these warnings out.
			_, ps := LoadBytes("stepup.yaml", []byte(tt.yaml), fakeEnv(nil))
			ps = slices.DeleteFunc(ps, func(p Problem) bool {
				return isRelativeDirWarning(p) || isSecretKeyWarning(p) || other(p)
			})
			if tt.want == "" {
				wantProblems(t, ps)
			} else {
				wantProblems(t, ps, tt.want)
			}
		})
	}
	c := Default()
	c.Server.PublicURL = URL{&url.URL{Scheme: "https", Host: "id.example.com"}}
	if ps := c.Validate(); len(ps) != 0 {
		t.Errorf("Validate() of a Config built in code = %s", ps)
	}
}

func TestHardwareAAGUIDsAreCanonical(t *testing.T) {
	cfg, ps := LoadBytes("stepup.yaml", []byte("factors:\n  hardware_aaguids: [CB69481E-8FF7-4039-93EC-0A2729A154A8]\n"), fakeEnv(nil))
	if ps.Err() != nil {
		t.Fatal(ps)
	}
	if got := cfg.Factors.HardwareAAGUIDs[0]; got != "cb69481e-8ff7-4039-93ec-0a2729a154a8" {
		t.Errorf("AAGUID = %q, want the lower-case form", got)
	}
}
