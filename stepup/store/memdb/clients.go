package memdb

import (
	"context"

	"github.com/stepup-auth/stepup/stepup/store"
)

type clients struct{ records[store.Client] }

// Clients returns the relying parties.
func (s *Store) Clients() store.Clients {
	return clients{records[store.Client]{s, tableClients, (*store.Client).Clone,
		func(x *store.Client) *uint64 { return &x.Version }}}
}

func (r clients) Create(_ context.Context, c *store.Client) error { return r.create(c, nil) }
func (r clients) Get(_ context.Context, id string) (*store.Client, error) {
	return r.get(indexID, id)
}
func (r clients) Update(_ context.Context, c *store.Client) error { return r.update(c, nil, nil) }
func (r clients) Delete(_ context.Context, id string) error       { return r.delete(id) }
func (r clients) List(_ context.Context, p store.Page) ([]*store.Client, error) {
	return r.page(p)
}

type apiKeys struct{ records[store.APIKey] }

// APIKeys returns the API keys.
func (s *Store) APIKeys() store.APIKeys {
	return apiKeys{records[store.APIKey]{s, tableAPIKeys, (*store.APIKey).Clone,
		func(x *store.APIKey) *uint64 { return &x.Version }}}
}

func (r apiKeys) Create(_ context.Context, k *store.APIKey) error { return r.create(k, nil) }
func (r apiKeys) Get(_ context.Context, id string) (*store.APIKey, error) {
	return r.get(indexID, id)
}
func (r apiKeys) Update(_ context.Context, k *store.APIKey) error { return r.update(k, nil, nil) }
func (r apiKeys) Delete(_ context.Context, id string) error       { return r.delete(id) }
func (r apiKeys) List(_ context.Context, p store.Page) ([]*store.APIKey, error) {
	return r.page(p)
}
