package config

import (
	"log/slog"
	"net/url"
	"time"

	"github.com/stepup-auth/stepup/acr"
)

// Config is the whole configuration. Its yaml tags are the keys of the file.
type Config struct {
	Server Server `yaml:"server"`
	Log    Log    `yaml:"log"`
	Store  Store  `yaml:"store"`
	ACR    ACR    `yaml:"acr"`
	OIDC   OIDC   `yaml:"oidc"`
}

// Server configures the HTTP listener.
type Server struct {
	Listen            string        `yaml:"listen"`              // host:port
	PublicURL         URL           `yaml:"public_url"`          // the issuer URL browsers and clients see
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

// ACR configures how foreign ACR values map onto stepup's levels.
type ACR struct {
	// Aliases maps an ACR value a relying party may send (for example
	// "urn:okta:loa:2fa:any") to the built-in level it stands for.
	Aliases map[string]acr.Level `yaml:"aliases"`
}

// OIDC configures the OpenID Provider.
type OIDC struct {
	Clients []Client `yaml:"clients"`
}

// Client is a registered relying party.
type Client struct {
	ID                     string       `yaml:"id"`
	Name                   string       `yaml:"name"`   // display name; defaults to ID
	Secret                 string       `yaml:"secret"` // empty for a public client, which must use PKCE
	RedirectURIs           []URL        `yaml:"redirect_uris"`
	PostLogoutRedirectURIs []URL        `yaml:"post_logout_redirect_uris"`
	DefaultACR             acr.Level    `yaml:"default_acr"` // used when the request asks for none
	Methods                []acr.Method `yaml:"methods"`     // allowed methods; empty allows all
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
	}
}

// setDefaults gives a client listed in the file its defaults before its keys
// are decoded; the decoder calls it for each new element of oidc.clients.
func (c *Client) setDefaults() { c.DefaultACR = acr.OneFactor }

// fillDerived sets defaults that depend on other keys, after decoding.
func (c *Config) fillDerived() {
	for i := range c.OIDC.Clients {
		if cl := &c.OIDC.Clients[i]; cl.Name == "" {
			cl.Name = cl.ID
		}
	}
}
