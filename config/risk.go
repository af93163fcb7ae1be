package config

import (
	"time"

	"github.com/stepup-auth/stepup/stepup/signals"
)

// Rules configures the rules each action is decided by (see the
// stepup/rules package for their format).
type Rules struct {
	// Files are rule set documents, YAML or JSON, one action each. At
	// start, each action that has no rules in the store yet gets its
	// file's, as version 1; from then on rules change through the admin
	// API, and editing a file changes nothing already stored. Relative
	// paths are read from the working directory.
	Files []string `yaml:"files"`
	// RefreshInterval is how often the server looks for rules another
	// replica published (rules published through this server's own admin
	// API apply at once); 0 never looks.
	RefreshInterval time.Duration `yaml:"refresh_interval"`
	// Review is what an OpenID Connect sign-in the rules hold for review
	// does: "block" refuses it (access_denied), as a BLOCK does; "wait"
	// keeps the browser on a waiting page until a person decides, through
	// the admin API (GET /admin/v1/actions/signIn/reviews, then POST
	// .../reviews/{user}/{key}), or the request expires.
	Review string `yaml:"review"`
}

// Signals configures the sources of the rules' risk signals. Each is
// optional: without its data, a signal is unknown to the rules.
type Signals struct {
	// Geo names MaxMind DB files: a City (or Country) database for
	// geo.country, geo.city and travel; an ASN database for geo.asn; an
	// Anonymous IP database for ip.anonymizer.
	Geo GeoFiles `yaml:"geo"`
	// Networks are named CIDR lists, which ip.lists names when they hold
	// the client's address: "office" in ip.lists.
	Networks map[string]ListSource `yaml:"networks"`
	// Lists are named value lists: user.email in lists.vip.
	Lists   map[string]ListSource `yaml:"lists"`
	Travel  Travel                `yaml:"travel"`
	Devices Devices               `yaml:"devices"`
}

// GeoFiles are the paths of the MaxMind DB files; empty: none.
type GeoFiles struct {
	City      string `yaml:"city"`
	ASN       string `yaml:"asn"`
	Anonymous string `yaml:"anonymous"`
}

// ListSource is a list written inline, in a file (one entry a line, '#'
// comments), or both.
type ListSource struct {
	Entries []string `yaml:"entries"`
	File    string   `yaml:"file"`
}

// Travel sets when a journey since the previous sign-in is impossible.
type Travel struct {
	MaxKmh int `yaml:"max_kmh"` // faster than this (default 1000)
	MinKm  int `yaml:"min_km"`  // and longer than this (default 100)
}

// Devices bounds what is remembered of users' devices.
type Devices struct {
	MaxPerUser  int           `yaml:"max_per_user"` // default 50
	ForgetAfter time.Duration `yaml:"forget_after"` // unseen this long, a device is new again; default 400 days
}

// ListsConfig is the networks and value lists as the signals read them.
func (s Signals) ListsConfig() signals.ListsConfig {
	c := signals.ListsConfig{Networks: map[string]signals.ListSource{}, Values: map[string]signals.ListSource{}}
	for name, l := range s.Networks {
		c.Networks[name] = signals.ListSource(l)
	}
	for name, l := range s.Lists {
		c.Values[name] = signals.ListSource(l)
	}
	return c
}
