package memdb

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/hashicorp/go-memdb"
	"github.com/stepup-auth/stepup/stepup/store"
)

type sessions struct{ records[store.Session] }

// Sessions returns the SSO sessions.
func (s *Store) Sessions() store.Sessions {
	return sessions{records[store.Session]{s, tableSessions, (*store.Session).Clone,
		func(x *store.Session) *uint64 { return &x.Version }}}
}

func (r sessions) Create(_ context.Context, x *store.Session) error {
	return r.create(x, r.s.userExists(x.UserID))
}
func (r sessions) Get(_ context.Context, id string) (*store.Session, error) {
	return r.get(indexID, id)
}
func (r sessions) ListByUser(_ context.Context, userID string) ([]*store.Session, error) {
	return r.list(indexUser, userID)
}
func (r sessions) Update(_ context.Context, x *store.Session) error {
	return r.update(x, r.s.userExists(x.UserID), nil)
}
func (r sessions) Delete(_ context.Context, id string) error { return r.delete(id) }

func (r sessions) DeleteByUser(_ context.Context, userID string) (int, error) {
	n := 0
	err := r.s.update(func(txn *memdb.Txn, now time.Time) error {
		live, err := all[store.Session](r.s, txn, now, tableSessions, indexUser, userID)
		if err != nil {
			return err
		}
		n = len(live)
		_, err = deleteAll(txn, tableSessions, indexUser, userID)
		return err
	})
	return n, err
}

type challenges struct{ records[store.Challenge] }

// Challenges returns the pending challenges.
func (s *Store) Challenges() store.Challenges {
	return challenges{records[store.Challenge]{s, tableChallenges, (*store.Challenge).Clone,
		func(x *store.Challenge) *uint64 { return &x.Version }}}
}

func (r challenges) Create(_ context.Context, c *store.Challenge) error {
	return r.create(c, r.s.userExistsIfSet(c.UserID))
}
func (r challenges) Get(_ context.Context, id string) (*store.Challenge, error) {
	return r.get(indexID, id)
}
func (r challenges) ListByUser(_ context.Context, userID string) ([]*store.Challenge, error) {
	if userID == "" {
		// The user index leaves out challenges without a user; a query
		// for "" must not reach them by some other path.
		return nil, nil
	}
	return r.list(indexUser, userID)
}
func (r challenges) Update(_ context.Context, c *store.Challenge) error {
	return r.update(c, r.s.userExistsIfSet(c.UserID), nil)
}
func (r challenges) Consume(_ context.Context, id string) (*store.Challenge, error) {
	return r.consume(id)
}
func (r challenges) Delete(_ context.Context, id string) error { return r.delete(id) }

func (r challenges) Attempt(_ context.Context, id string) (*store.Challenge, error) {
	var out *store.Challenge
	err := r.s.update(func(txn *memdb.Txn, now time.Time) error {
		cur, err := find[store.Challenge](r.s, txn, now, tableChallenges, indexID, id)
		if err != nil {
			return err
		}
		if cur.Attempts >= cur.MaxAttempts {
			return fmt.Errorf("memdb: challenge has no attempts left: %w", store.ErrConflict)
		}
		next := cur.Clone()
		next.Attempts++
		next.Version++
		out = next.Clone()
		return txn.Insert(tableChallenges, next)
	})
	return out, err
}

type actions struct{ records[store.ActionRecord] }

// Actions returns the action records.
func (s *Store) Actions() store.Actions {
	return actions{records[store.ActionRecord]{s, tableActions, (*store.ActionRecord).Clone,
		func(x *store.ActionRecord) *uint64 { return &x.Version }}}
}

func (r actions) Create(_ context.Context, a *store.ActionRecord) error {
	return r.create(a, r.s.userExists(a.UserID))
}
func (r actions) Get(_ context.Context, id string) (*store.ActionRecord, error) {
	return r.get(indexID, id)
}
func (r actions) Update(_ context.Context, a *store.ActionRecord) error {
	return r.update(a, r.s.userExists(a.UserID), nil)
}

func (r actions) GetByIdempotencyKey(_ context.Context, userID, action, key string) (*store.ActionRecord, error) {
	if key == "" {
		return nil, store.ErrNotFound
	}
	return r.get(indexIdempotency, userID, action, key)
}

// ListByUser returns the newest records first: the user's records, read
// through the idempotency index, which holds them all, then sorted.
func (r actions) ListByUser(_ context.Context, userID string, limit int) ([]*store.ActionRecord, error) {
	return r.newest(limit, func(txn *memdb.Txn) (memdb.ResultIterator, error) {
		return txn.Get(tableActions, indexIdempotency+"_prefix", userID)
	}, nil)
}

// ListByAction returns the newest records first. It reads the whole
// table: it serves an admin's simulation, and an index of actions would
// cost every tracked action a path copied in one more tree.
func (r actions) ListByAction(_ context.Context, action string, limit int) ([]*store.ActionRecord, error) {
	return r.newest(limit, func(txn *memdb.Txn) (memdb.ResultIterator, error) {
		return txn.Get(tableActions, indexID)
	}, func(a *store.ActionRecord) bool { return a.Action == action })
}

// ListAwaitingReview reads the awaiting index, newest first.
func (r actions) ListAwaitingReview(_ context.Context, action string, limit int) ([]*store.ActionRecord, error) {
	var out []*store.ActionRecord
	err := r.s.view(func(txn *memdb.Txn, now time.Time) error {
		it, err := txn.GetReverse(tableActions, indexAwaiting+"_prefix", action)
		if err != nil {
			return fmt.Errorf("memdb: %s: %w", tableActions, err)
		}
		for obj := it.Next(); obj != nil && len(out) < (store.Page{Limit: limit}).PageLimit(); obj = it.Next() {
			if r.s.live(tableActions, obj, now) {
				out = append(out, obj.(*store.ActionRecord).Clone())
			}
		}
		return nil
	})
	return out, err
}

// newest returns copies of the limit newest live records that scan finds
// and match accepts (nil: all), newest first, ties by id, highest first.
func (r actions) newest(limit int, scan func(*memdb.Txn) (memdb.ResultIterator, error), match func(*store.ActionRecord) bool) ([]*store.ActionRecord, error) {
	var out []*store.ActionRecord
	err := r.s.view(func(txn *memdb.Txn, now time.Time) error {
		it, err := scan(txn)
		if err != nil {
			return fmt.Errorf("memdb: %s: %w", tableActions, err)
		}
		var found []*store.ActionRecord
		for obj := it.Next(); obj != nil; obj = it.Next() {
			if a := obj.(*store.ActionRecord); r.s.live(tableActions, obj, now) && (match == nil || match(a)) {
				found = append(found, a)
			}
		}
		slices.SortFunc(found, func(a, b *store.ActionRecord) int {
			if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
				return c
			}
			return cmp.Compare(b.ID, a.ID)
		})
		out = cloneAll(found[:min(len(found), store.Page{Limit: limit}.PageLimit())], (*store.ActionRecord).Clone)
		return nil
	})
	return out, err
}
