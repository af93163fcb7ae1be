package config

import (
	"log/slog"
	"math"
	"net/url"
	"time"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup/password"
)

// Config is the whole configuration. Its yaml tags are the keys of the file.
type Config struct {
	Server    Server     `yaml:"server"`
	Log       Log        `yaml:"log"`
	Store     Store      `yaml:"store"`
	Secrets   Secrets    `yaml:"secrets"`
	Sessions  Sessions   `yaml:"sessions"`
	Passwords Passwords  `yaml:"passwords"`
	Factors   Factors    `yaml:"factors"`
	Delivery  Delivery   `yaml:"delivery"`
	ACR       ACR        `yaml:"acr"`
	OIDC      OIDC       `yaml:"oidc"`
	Upstreams []Upstream `yaml:"upstreams"`
	Rules     Rules      `yaml:"rules"`
	Signals   Signals    `yaml:"signals"`
	Demo      Demo       `yaml:"demo"`
}

// Server configures the HTTP listener.
type Server struct {
	Listen            string        `yaml:"listen"`              // host:port
	MetricsListen     string        `yaml:"metrics_listen"`      // host:port of /metrics; empty: none
	PublicURL         URL           `yaml:"public_url"`          // the issuer URL browsers and clients see
	TrustedProxies    []IPPrefix    `yaml:"trusted_proxies"`     // whose X-Forwarded-For names the client
	ShutdownTimeout   time.Duration `yaml:"shutdown_timeout"`    // grace period for in-flight requests
	ReadHeaderTimeout time.Duration `yaml:"read_header_timeout"` // guards against slowloris
}

// Log configures the process log.
type Log struct {
	Level  slog.Level `yaml:"level"`
	Format string     `yaml:"format"` // "text" or "json"
}

// Store chooses and configures the storage backend.
type Store struct {
	Backend string `yaml:"backend"` // only "memdb" for now
	Memdb   Memdb  `yaml:"memdb"`
}

// Memdb configures the in-memory store, made durable by a journal and
// periodic snapshots in Dir.
type Memdb struct {
	Dir           string        `yaml:"dir"`
	SnapshotEvery int           `yaml:"snapshot_every"` // journal records between snapshots
	SweepInterval time.Duration `yaml:"sweep_interval"` // how often expired records are removed
}

// Secrets holds stepup's master key.
type Secrets struct {
	// Key seals signing keys and TOTP seeds at rest; the flow and CSRF
	// keys are derived from it. When it is not set, the server generates
	// one at first start and keeps it in the data folder.
	Key SecretKey `yaml:"key"`
}

// Sessions bounds how long a sign-in lasts.
type Sessions struct {
	Idle     time.Duration `yaml:"idle"`     // ends a session unused for this long
	Absolute time.Duration `yaml:"absolute"` // ends a session this long after sign-in, used or not
}

// Passwords configures how local-account passwords are hashed (argon2id) and
// what a new password must be. The fields stay plain numbers, as in the
// file; Params turns them into the password package's type.
type Passwords struct {
	MemoryKiB   int `yaml:"memory_kib"`
	Iterations  int `yaml:"iterations"`
	Parallelism int `yaml:"parallelism"`
	MinLength   int `yaml:"min_length"` // in characters, for a new password
}

// Params returns the argon2id parameters, with password.DefaultParams' salt
// and key lengths (16 and 32 bytes). A value outside its field's range
// saturates, so that Validate still refuses it rather than seeing it wrap
// around: a parallelism of 257 must not become 1.
func (p Passwords) Params() password.Params {
	pp := password.DefaultParams()
	pp.Memory = saturate[uint32](p.MemoryKiB, math.MaxUint32)
	pp.Iterations = saturate[uint32](p.Iterations, math.MaxUint32)
	pp.Parallelism = saturate[uint8](p.Parallelism, math.MaxUint8)
	return pp
}

// saturate converts n to T, clamped to 0..most. most is an int64 so that
// math.MaxUint32 fits on 32-bit platforms too.
func saturate[T uint8 | uint32](n int, most int64) T {
	return T(max(0, min(int64(n), most)))
}

// Factors configures the second factors users enroll: passkeys and
// security keys (WebAuthn), authenticator apps (TOTP), recovery codes.
type Factors struct {
	// HardwareAAGUIDs are the AAGUIDs of authenticator models whose keys
	// never leave the device. A passkey of one of them counts as
	// hardware-bound (phrh) even if it says it could be synced.
	HardwareAAGUIDs []string `yaml:"hardware_aaguids"`
	// ChangeWindow is how recent the step-up that allows a change of
	// factors (adding, removing, new recovery codes) must be.
	ChangeWindow time.Duration `yaml:"change_window"`
	// ChangeLevel is the least level such a step-up reaches; a change
	// needs at least the level the factor concerned grants, too.
	ChangeLevel acr.Level `yaml:"change_level"`
	// TOTPIssuer names this service in users' authenticator apps; empty:
	// the public URL's host.
	TOTPIssuer string `yaml:"totp_issuer"`
}

// Demo configures the built-in demo client and page.
type Demo struct {
	// Enabled serves the demo client and the demo page under /demo, for
	// trying stepup out.
	Enabled bool `yaml:"enabled"`
}

// ACR configures how foreign ACR values map onto stepup's levels.
type ACR struct {
	// Aliases maps an ACR value a relying party may send (for example
	// "urn:okta:loa:2fa:any") to the built-in level it stands for.
	Aliases map[string]acr.Level `yaml:"aliases"`
}

// OIDC configures the OpenID Provider.
type OIDC struct {
	AccessTokenLifetime  time.Duration `yaml:"access_token_lifetime"`
	IDTokenLifetime      time.Duration `yaml:"id_token_lifetime"`
	RefreshTokenLifetime time.Duration `yaml:"refresh_token_lifetime"`
	CodeLifetime         time.Duration `yaml:"code_lifetime"`         // how long a code may wait to be exchanged
	AuthRequestLifetime  time.Duration `yaml:"auth_request_lifetime"` // how long a user may take to sign in
	Clients              []Client      `yaml:"clients"`
}

// Client is a registered relying party.
//
// MinimumACR is the lowest level any sign-in to this client reaches;
// acr_values and the claims parameter can ask for more, never less. Action
// names the rule set a sign-in to this client is decided by, as
// stepup.Request.Action.
type Client struct {
	ID                     string       `yaml:"id"`
	Name                   string       `yaml:"name"`   // display name; defaults to ID
	Secret                 string       `yaml:"secret"` // empty for a public client, which must use PKCE
	RedirectURIs           []URL        `yaml:"redirect_uris"`
	PostLogoutRedirectURIs []URL        `yaml:"post_logout_redirect_uris"`
	MinimumACR             acr.Level    `yaml:"minimum_acr"`
	Methods                []acr.Method `yaml:"methods"`             // allowed methods; empty allows all
	SigningAlg             SigningAlg   `yaml:"signing_alg"`         // for ID tokens and JWT access tokens
	AccessTokenFormat      TokenFormat  `yaml:"access_token_format"` // JWT or Opaque
	Action                 string       `yaml:"action"`
	// StepUpReasons shows on the step-up page the reason this client
	// sends in stepup_reason. Off, the parameter is ignored: anyone can
	// make an authorization link for a client, and a reason in it would
	// put their words on this site's page.
	StepUpReasons bool `yaml:"step_up_reasons"`
	// PKCEOptional lets this confidential client leave PKCE out of an
	// authorization request that carries a nonce, for a broker that
	// sends none (a Cognito user pool's OIDC identity provider). RFC 9700
	// §2.1.1 allows it of OpenID Connect clients: the nonce, bound to the
	// ID token, is what stops an injected code.
	PKCEOptional bool `yaml:"pkce_optional"`
}

// Default returns the configuration used when the file omits a key, or when
// there is no file at all. Each call returns a fresh value.
func Default() *Config {
	return &Config{
		Server: Server{
			Listen:            "127.0.0.1:8080",
			PublicURL:         URL{&url.URL{Scheme: "http", Host: "localhost:8080"}},
			ShutdownTimeout:   15 * time.Second,
			ReadHeaderTimeout: 10 * time.Second,
		},
		Log: Log{Level: slog.LevelInfo, Format: "text"},
		Store: Store{
			Backend: "memdb",
			Memdb: Memdb{
				Dir:           "./stepup-data",
				SnapshotEvery: 100000,
				SweepInterval: time.Minute,
			},
		},
		// NIST SP 800-63B's limits for AAL2 reauthentication.
		Sessions:  Sessions{Idle: 30 * time.Minute, Absolute: 12 * time.Hour},
		Passwords: defaultPasswords(),
		Factors:   Factors{ChangeWindow: 5 * time.Minute, ChangeLevel: acr.MFA},
		Delivery:  Delivery{CodeLifetime: 10 * time.Minute, ResendCooldown: 30 * time.Second},
		OIDC: OIDC{
			AccessTokenLifetime:  5 * time.Minute,
			IDTokenLifetime:      time.Hour,
			RefreshTokenLifetime: 30 * 24 * time.Hour,
			CodeLifetime:         time.Minute,
			AuthRequestLifetime:  10 * time.Minute,
		},
		Rules: Rules{RefreshInterval: 10 * time.Second, Review: "block"},
		Signals: Signals{
			Travel:  Travel{MaxKmh: 1000, MinKm: 100},
			Devices: Devices{MaxPerUser: 50, ForgetAfter: 400 * 24 * time.Hour},
		},
		Demo: Demo{Enabled: true},
	}
}

// defaultPasswords takes the password package's default cost, OWASP's
// minimum, and NIST SP 800-63B's minimum length.
func defaultPasswords() Passwords {
	p := password.DefaultParams()
	return Passwords{
		MemoryKiB:   int(p.Memory),
		Iterations:  int(p.Iterations),
		Parallelism: int(p.Parallelism),
		MinLength:   minPasswordLength,
	}
}

// setDefaults gives a client listed in the file its defaults before its keys
// are decoded; the decoder calls it for each new element of oidc.clients.
func (c *Client) setDefaults() {
	c.MinimumACR = acr.OneFactor
	c.SigningAlg = ES256
	c.AccessTokenFormat = JWT
	c.Action = "signIn"
}

// fillDerived sets defaults that depend on other keys, after decoding.
func (c *Config) fillDerived() {
	for i := range c.OIDC.Clients {
		if cl := &c.OIDC.Clients[i]; cl.Name == "" {
			cl.Name = cl.ID
		}
	}
	for i := range c.Upstreams {
		if u := &c.Upstreams[i]; u.Name == "" {
			u.Name = u.ID
		}
	}
}
