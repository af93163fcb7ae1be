package memdb

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/go-memdb"
	"github.com/stepup-auth/stepup/stepup/store"
)

type users struct{ records[store.User] }

// Users returns the user accounts.
func (s *Store) Users() store.Users {
	return users{records[store.User]{s, tableUsers, (*store.User).Clone,
		func(u *store.User) *uint64 { return &u.Version }}}
}

func (r users) Create(_ context.Context, u *store.User) error { return r.create(u, nil) }
func (r users) Get(_ context.Context, id string) (*store.User, error) {
	return r.get(indexID, id)
}
func (r users) Update(_ context.Context, u *store.User) error { return r.update(u, nil, nil) }
func (r users) List(_ context.Context, p store.Page) ([]*store.User, error) {
	return r.page(p)
}

func (r users) GetByUsername(_ context.Context, username string) (*store.User, error) {
	if username == "" {
		return nil, store.ErrNotFound
	}
	return r.get(indexUsername, username)
}

func (r users) GetByEmail(_ context.Context, email string) (*store.User, error) {
	if email == "" {
		return nil, store.ErrNotFound
	}
	return r.get(indexEmail, email)
}

// Delete removes the user with everything that is theirs alone.
func (r users) Delete(_ context.Context, id string) error {
	return r.s.update(func(txn *memdb.Txn, now time.Time) error {
		u, err := find[store.User](r.s, txn, now, tableUsers, indexID, id)
		if err != nil {
			return err
		}
		if err := txn.Delete(tableUsers, u); err != nil {
			return err
		}
		families, err := all[store.RefreshFamily](r.s, txn, now, tableRefreshFamilies, indexUser, id)
		if err != nil {
			return err
		}
		for _, f := range families {
			if _, err := deleteAll(txn, tableAccessTokens, indexFamily, f.ID); err != nil {
				return err
			}
		}
		for _, owned := range []struct{ table, index string }{
			{tableAuthenticators, indexUser},
			{tableDevices, indexID + "_prefix"},
			{tableUpstreamLinks, indexUser},
			{tableSessions, indexUser},
			{tableChallenges, indexUser},
			{tableActions, indexIdempotency + "_prefix"}, // holds every record (schema_actions.go)
			{tableAuthRequests, indexUser},
			{tableRefreshFamilies, indexUser},
			{tableAccessTokens, indexSubject},
		} {
			if _, err := deleteAll(txn, owned.table, owned.index, id); err != nil {
				return err
			}
		}
		return nil
	})
}

// userExists is the check behind "ErrNotFound when the user does not
// exist", in Create and in Update: a record that named a missing user
// would outlive every Users.Delete, and a user created later with that id
// would inherit it.
func (s *Store) userExists(userID string) func(*memdb.Txn, time.Time) error {
	return func(txn *memdb.Txn, now time.Time) error {
		if _, err := find[store.User](s, txn, now, tableUsers, indexID, userID); err != nil {
			return fmt.Errorf("memdb: user %q: %w", userID, err)
		}
		return nil
	}
}

// userExistsIfSet checks the user only when a record names one.
func (s *Store) userExistsIfSet(userID string) func(*memdb.Txn, time.Time) error {
	if userID == "" {
		return nil
	}
	return s.userExists(userID)
}
