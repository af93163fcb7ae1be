package memdb

import (
	"context"

	"github.com/stepup-auth/stepup/stepup/store"
)

type upstreamLinks struct{ records[store.UpstreamLink] }

// UpstreamLinks returns the links of upstream identities to users.
func (s *Store) UpstreamLinks() store.UpstreamLinks {
	return upstreamLinks{records[store.UpstreamLink]{s, tableUpstreamLinks, (*store.UpstreamLink).Clone,
		func(l *store.UpstreamLink) *uint64 { return &l.Version }}}
}

func (r upstreamLinks) Create(_ context.Context, l *store.UpstreamLink) error {
	return r.create(l, r.s.userExists(l.UserID))
}
func (r upstreamLinks) Get(_ context.Context, issuer, subject string) (*store.UpstreamLink, error) {
	return r.get(indexID, issuer, subject)
}
func (r upstreamLinks) ListByUser(_ context.Context, userID string) ([]*store.UpstreamLink, error) {
	return r.list(indexUser, userID)
}
func (r upstreamLinks) Delete(_ context.Context, issuer, subject string) error {
	return r.delete(issuer, subject)
}
