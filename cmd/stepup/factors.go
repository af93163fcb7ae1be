package main

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/stepup-auth/stepup/config"
	"github.com/stepup-auth/stepup/stepup/factor"
	"github.com/stepup-auth/stepup/stepup/factor/passkey"
	"github.com/stepup-auth/stepup/stepup/factor/recovery"
	"github.com/stepup-auth/stepup/stepup/factor/totp"
	"github.com/stepup-auth/stepup/stepup/seal"
	"github.com/stepup-auth/stepup/stepup/store"
	"github.com/stepup-auth/stepup/web"
)

// newFactors builds the second factors the hosted pages offer: passkeys
// and security keys for this site's origin, authenticator apps with their
// secrets sealed under a key derived from the master key, and recovery
// codes keyed likewise.
func newFactors(cfg *config.Config, st store.Store, m master, log *slog.Logger, now func() time.Time) (web.Factors, error) {
	pub := cfg.Server.PublicURL
	issuer := cfg.Factors.TOTPIssuer
	if issuer == "" {
		issuer = pub.Hostname()
	}
	sealKey := seal.Key{Secret: [32]byte(m.derive("seal-totp"))}
	sealKey.ID = seal.DeriveKeyID(sealKey.Secret)
	sealer, err := seal.New(sealKey)
	if err != nil {
		return web.Factors{}, err
	}
	apps, err := totp.New(totp.Options{
		Authenticators: st.Authenticators(), Challenges: st.Challenges(), Sealer: sealer, Issuer: issuer, Now: now,
	})
	if err != nil {
		return web.Factors{}, err
	}
	codes, err := recovery.New(recovery.Options{Authenticators: st.Authenticators(), Key: m.derive("recovery-codes"), Now: now})
	if err != nil {
		return web.Factors{}, err
	}
	var hardware []uuid.UUID
	for _, s := range cfg.Factors.HardwareAAGUIDs {
		id, err := uuid.Parse(s)
		if err != nil {
			return web.Factors{}, fmt.Errorf("factors.hardware_aaguids: %w", err)
		}
		hardware = append(hardware, id)
	}
	f := web.Factors{
		TOTP: apps, Recovery: codes,
		Limiter:        factor.NewLimiter(st.Users(), factor.DefaultLimitPolicy(), now),
		Authenticators: st.Authenticators(),
		ChangeWindow:   cfg.Factors.ChangeWindow, ChangeLevel: cfg.Factors.ChangeLevel,
	}
	sent, links, err := newCodeFactors(cfg, st, m, now)
	if err != nil {
		return web.Factors{}, err
	}
	f.Codes = sent
	if links != nil { // a nil *magiclink.Factor in the interface would not be nil
		f.MagicLink = links
	}
	if config.PasskeysOff(pub) {
		return f, nil // config validation warned
	}
	keys, err := passkey.New(passkey.Options{
		Authenticators: st.Authenticators(), Challenges: st.Challenges(), Users: st.Users(),
		RPID: pub.Hostname(), RPOrigins: []string{pub.Scheme + "://" + pub.Host}, RPDisplayName: issuer,
		HardwareAAGUIDs: hardware, Now: now, Log: log,
	})
	if err != nil {
		return web.Factors{}, err
	}
	f.Passkey = keys
	return f, nil
}
