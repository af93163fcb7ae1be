package memdb

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/go-memdb"
	"github.com/stepup-auth/stepup/stepup/store"
)

type signingKeys struct{ records[store.SigningKey] }

// SigningKeys returns the token signing keys.
func (s *Store) SigningKeys() store.SigningKeys {
	return signingKeys{records[store.SigningKey]{s, tableSigningKeys, (*store.SigningKey).Clone,
		func(x *store.SigningKey) *uint64 { return &x.Version }}}
}

func (r signingKeys) Create(_ context.Context, k *store.SigningKey) error { return r.create(k, nil) }
func (r signingKeys) Get(_ context.Context, id string) (*store.SigningKey, error) {
	return r.get(indexID, id)
}
func (r signingKeys) Update(_ context.Context, k *store.SigningKey) error {
	return r.update(k, nil, nil)
}
func (r signingKeys) Delete(_ context.Context, id string) error { return r.delete(id) }
func (r signingKeys) List(_ context.Context) ([]*store.SigningKey, error) {
	return r.list(indexID)
}

func (r signingKeys) Rotate(_ context.Context, algorithm, promote string, next *store.SigningKey, retiredUntil time.Time) error {
	switch {
	case next.Algorithm != algorithm:
		return fmt.Errorf("memdb: signing keys: rotating %s to a key of algorithm %q", algorithm, next.Algorithm)
	case next.State != store.SigningKeyNext:
		return fmt.Errorf("memdb: signing keys: the new next key has state %q, want %q", next.State, store.SigningKeyNext)
	case retiredUntil.IsZero():
		return errors.New("memdb: signing keys: rotating with a zero retiredUntil would keep the retired key for ever")
	}
	fresh := next.Clone()
	fresh.Version = 1
	err := r.s.update(func(txn *memdb.Txn, now time.Time) error {
		promoted, err := find[store.SigningKey](r.s, txn, now, tableSigningKeys, indexKeyState, algorithm, store.SigningKeyNext)
		if err != nil {
			return fmt.Errorf("memdb: signing keys: no next %s key to activate: %w", algorithm, err)
		}
		if promoted.ID != promote {
			return fmt.Errorf("memdb: signing keys: the next %s key is %s, not %s: rotated meanwhile: %w",
				algorithm, promoted.ID, promote, store.ErrConflict)
		}
		// The slots of the unique index are freed in order: the active
		// key leaves "active" before the next key takes it, and the next
		// key leaves "next" before the new one takes it.
		active, err := find[store.SigningKey](r.s, txn, now, tableSigningKeys, indexKeyState, algorithm, store.SigningKeyActive)
		switch {
		case err == nil:
			retired := active.Clone()
			retired.State, retired.RetiredAt, retired.ExpiresAt = store.SigningKeyRetired, now, retiredUntil
			retired.Version++
			if err := r.s.replace(txn, now, tableSigningKeys, retired); err != nil {
				return err
			}
		case !errors.Is(err, store.ErrNotFound):
			return err
		}
		activated := promoted.Clone()
		activated.State, activated.ActivatedAt = store.SigningKeyActive, now
		activated.Version++
		if err := r.s.replace(txn, now, tableSigningKeys, activated); err != nil {
			return err
		}
		return r.s.insert(txn, now, tableSigningKeys, fresh)
	})
	if err == nil {
		next.Version = 1
	}
	return err
}
