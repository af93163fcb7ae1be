package main

import (
	"net/url"
	"strings"
	"time"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/config"
	"github.com/stepup-auth/stepup/oidc/upstream"
	"github.com/stepup-auth/stepup/web"
)

// newUpstreams builds the configured upstream OpenID Providers. None is
// contacted here: each runs discovery on first use, so that stepup starts
// while an upstream is down.
func newUpstreams(cfg *config.Config, now func() time.Time) ([]web.Upstream, error) {
	base := strings.TrimSuffix(cfg.Server.PublicURL.String(), "/")
	var out []web.Upstream
	for _, u := range cfg.Upstreams {
		trust := upstream.Trust{ACR: u.Trust.ACR}
		for _, r := range u.Trust.AMR {
			trust.AMR = append(trust.AMR, upstream.AMRRule{All: r.All, Level: r.Level})
		}
		acrMap := map[acr.Level]string{}
		for level, value := range u.ACRMap {
			if l, err := acr.ParseLevel(level); err == nil { // validated: every key is a level
				acrMap[l] = value
			}
		}
		p, err := upstream.New(upstream.Config{
			ID: u.ID, Name: u.Name, Issuer: u.Issuer.String(),
			ClientID: u.ClientID, ClientSecret: u.ClientSecret, Scopes: u.Scopes,
			RedirectURI: base + "/upstream/" + url.PathEscape(u.ID) + "/callback",
			Claims:      upstream.ClaimNames{Username: u.Claims.Username, Email: u.Claims.Email, Name: u.Claims.Name},
			LinkByEmail: u.LinkByEmail, Trust: trust,
			Forward: upstream.Forwarding(u.ForwardACR), ACRMap: acrMap, Now: now,
		})
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}
