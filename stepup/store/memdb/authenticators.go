package memdb

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/go-memdb"
	"github.com/stepup-auth/stepup/stepup/store"
)

type authenticators struct{ records[store.Authenticator] }

// Authenticators returns the users' enrolled factors.
func (s *Store) Authenticators() store.Authenticators {
	return authenticators{records[store.Authenticator]{s, tableAuthenticators, (*store.Authenticator).Clone,
		func(a *store.Authenticator) *uint64 { return &a.Version }}}
}

func (r authenticators) Create(_ context.Context, a *store.Authenticator) error {
	return r.create(a, r.s.userExists(a.UserID))
}
func (r authenticators) Get(_ context.Context, id string) (*store.Authenticator, error) {
	return r.get(indexID, id)
}
func (r authenticators) ListByUser(_ context.Context, userID string) ([]*store.Authenticator, error) {
	return r.list(indexUser, userID)
}
func (r authenticators) Delete(_ context.Context, id string) error { return r.delete(id) }

func (r authenticators) GetByCredentialID(_ context.Context, credentialID []byte) (*store.Authenticator, error) {
	if len(credentialID) == 0 {
		return nil, store.ErrNotFound
	}
	return r.get(indexCredentialID, credentialID)
}

func (r authenticators) Update(_ context.Context, a *store.Authenticator) error {
	return r.update(a, r.s.userExists(a.UserID), func(stored, next *store.Authenticator) {
		next.Counter = stored.Counter // only AdvanceCounter moves it
	})
}

func (r authenticators) AdvanceCounter(_ context.Context, id string, to uint64) error {
	return r.s.update(func(txn *memdb.Txn, now time.Time) error {
		cur, err := find[store.Authenticator](r.s, txn, now, tableAuthenticators, indexID, id)
		if err != nil {
			return err
		}
		if to <= cur.Counter {
			return fmt.Errorf("memdb: authenticator counter is at %d, not below %d: %w", cur.Counter, to, store.ErrConflict)
		}
		next := cur.Clone()
		next.Counter = to
		return txn.Insert(tableAuthenticators, next)
	})
}

type devices struct{ records[store.Device] }

// Devices returns the users' devices.
func (s *Store) Devices() store.Devices {
	return devices{records[store.Device]{s, tableDevices, (*store.Device).Clone,
		func(d *store.Device) *uint64 { return &d.Version }}}
}

func (r devices) Create(_ context.Context, d *store.Device) error {
	return r.create(d, r.s.userExists(d.UserID))
}
func (r devices) Get(_ context.Context, userID, id string) (*store.Device, error) {
	return r.get(indexID, userID, id)
}
func (r devices) ListByUser(_ context.Context, userID string) ([]*store.Device, error) {
	return r.list(indexID+"_prefix", userID)
}
func (r devices) Update(_ context.Context, d *store.Device) error { return r.update(d, nil, nil) }
func (r devices) Delete(_ context.Context, userID, id string) error {
	return r.delete(userID, id)
}
