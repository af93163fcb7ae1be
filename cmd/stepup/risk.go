package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/stepup-auth/stepup/config"
	"github.com/stepup-auth/stepup/stepup"
	"github.com/stepup-auth/stepup/stepup/signals"
	"github.com/stepup-auth/stepup/stepup/store"
)

// newRules loads the actions' rules from the store, publishes the
// configuration's rule files, then the built-in ones given (the demo's),
// for actions that have none yet, and keeps looking for rules other
// replicas publish until ctx ends.
func newRules(ctx context.Context, cfg config.Rules, builtIn [][]byte, st store.Store, log *slog.Logger,
	now func() time.Time) (*stepup.RuleBook, error) {
	book, err := stepup.NewRuleBook(ctx, st.RuleSets(), st.Audit(), now)
	if err != nil {
		return nil, err
	}
	var specs [][]byte
	for _, path := range cfg.Files {
		spec, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("rules.files: %w", err)
		}
		specs = append(specs, spec)
	}
	if err := book.Seed(ctx, specs, "config"); err != nil {
		return nil, fmt.Errorf("rules.files: %w", err)
	}
	if err := book.Seed(ctx, builtIn, "built-in"); err != nil {
		return nil, err
	}
	if cfg.RefreshInterval > 0 {
		go func() {
			tick := time.NewTicker(cfg.RefreshInterval)
			defer tick.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
					if err := book.Refresh(ctx); err != nil && ctx.Err() == nil {
						log.Error("rules: refresh", "err", err)
					}
				}
			}
		}()
	}
	return book, nil
}

// newSignals opens the signals' data. The geo files stay open for the
// life of the process: they are memory-mapped, and closing them under a
// request still being served would crash it.
func newSignals(cfg config.Signals, st store.Store) (*stepup.Signals, error) {
	l, err := signals.NewLists(cfg.ListsConfig())
	if err != nil {
		return nil, err
	}
	s := &stepup.Signals{
		Users:          st.Users(),
		Authenticators: st.Authenticators(),
		Devices:        signals.NewDevices(st.Devices(), signals.DeviceOptions{MaxPerUser: cfg.Devices.MaxPerUser, ForgetAfter: cfg.Devices.ForgetAfter}),
		Lists:          l,
		Velocity: signals.NewVelocityCounters(signals.NewVelocity(signals.VelocityOptions{}),
			signals.NewVelocity(signals.VelocityOptions{}), signals.NewVelocity(signals.VelocityOptions{})),
		Travel: signals.TravelPolicy{MaxKmh: float64(cfg.Travel.MaxKmh), MinKm: float64(cfg.Travel.MinKm)},
	}
	if g := cfg.Geo; g.City != "" || g.ASN != "" || g.Anonymous != "" {
		if s.Geo, err = signals.OpenGeo(signals.GeoFiles{City: g.City, ASN: g.ASN, Anonymous: g.Anonymous}); err != nil {
			return nil, err
		}
	}
	return s, nil
}
