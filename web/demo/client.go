package demo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup/store"
)

// ClientID is the demo's client.
const ClientID = "stepup-demo"

// clientSource marks the demo's client in the store, beside "config" and
// "admin", so that the configuration's sync leaves it alone.
const clientSource = "demo"

const (
	homePath     = "/demo/"
	callbackPath = "/demo/callback"
)

// registerClient creates or updates the demo's client for issuer. A client
// of the same ID managed by someone else is an error, never overwritten.
func registerClient(ctx context.Context, clients store.Clients, issuer string, now time.Time) error {
	rec := &store.Client{
		ID: ClientID, Name: "stepup demo",
		RedirectURIs:           []string{issuer + callbackPath},
		PostLogoutRedirectURIs: []string{issuer + homePath},
		GrantTypes:             []string{"authorization_code"},
		ResponseTypes:          []string{"code"},
		MinimumACR:             acr.OneFactor.String(),
		AccessTokenFormat:      "jwt",
		SigningAlgorithm:       "ES256",
		ShowsReasons:           true,
		Source:                 clientSource,
		CreatedAt:              now,
		UpdatedAt:              now,
	}
	old, err := clients.Get(ctx, ClientID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		err = clients.Create(ctx, rec)
	case err != nil:
	case old.Source != clientSource:
		return fmt.Errorf("demo: the client ID %s is taken by a client from %q; rename that client or set demo.enabled to false", ClientID, old.Source)
	default:
		rec.CreatedAt, rec.Version = old.CreatedAt, old.Version
		err = clients.Update(ctx, rec)
	}
	if err != nil {
		return fmt.Errorf("demo: register client %s: %w", ClientID, err)
	}
	return nil
}

// removeClient deletes the demo's client, if the demo registered it.
func removeClient(ctx context.Context, clients store.Clients) error {
	old, err := clients.Get(ctx, ClientID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err == nil && old.Source == clientSource {
		err = clients.Delete(ctx, ClientID)
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("demo: remove client %s: %w", ClientID, err)
	}
	return nil
}
