package config

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/stepup-auth/stepup/stepup/rules"
	"github.com/stepup-auth/stepup/stepup/signals"
)

// rules checks that each rule file can be read and compiles, so that
// `stepup config validate` finds a broken rule before a server seeds it.
func (v *validator) rules(r *Rules) {
	actions := map[string]string{}
	for i, path := range r.Files {
		key := fmt.Sprintf("rules.files[%d]", i)
		spec, err := os.ReadFile(path)
		if err != nil {
			v.errorf(key, "cannot be read: %v", err)
			continue
		}
		rs, err := rules.Compile(spec)
		if err != nil {
			v.errorf(key, "%s: %s", path, strings.TrimPrefix(err.Error(), "rules: "))
			continue
		}
		if other, ok := actions[rs.Action()]; ok {
			v.errorf(key, "%s has rules for action %s, as %s does: one file an action", path, rs.Action(), other)
		}
		actions[rs.Action()] = path
	}
	if r.Review != "block" && r.Review != "wait" {
		v.errorf("rules.review", "must be block or wait, got %q", r.Review)
	}
	if r.RefreshInterval != 0 {
		v.within("rules.refresh_interval", r.RefreshInterval, time.Second, time.Hour)
	}
}

// signals checks the lists as the server will read them. Geo files are
// opened (and verified, which reads them whole) when the server starts.
func (v *validator) signals(s *Signals) {
	if _, err := signals.NewLists(s.ListsConfig()); err != nil {
		v.errorf("signals", "%s", strings.TrimPrefix(err.Error(), "signals: "))
	}
	if s.Travel.MaxKmh <= 0 {
		v.errorf("signals.travel.max_kmh", "must be a speed above 0 km/h, got %d", s.Travel.MaxKmh)
	}
	// At least 1: geo-IP places one address in neighbouring cities from
	// day to day, and 0 would read as the signals' default of 100.
	if s.Travel.MinKm < 1 {
		v.errorf("signals.travel.min_km", "must be a distance of at least 1 km, got %d", s.Travel.MinKm)
	}
	if s.Devices.MaxPerUser < 1 || s.Devices.MaxPerUser > 1000 {
		v.errorf("signals.devices.max_per_user", "must be between 1 and 1000, got %d", s.Devices.MaxPerUser)
	}
	v.within("signals.devices.forget_after", s.Devices.ForgetAfter, 24*time.Hour, 10*365*24*time.Hour)
}
