package memdb

import (
	"bytes"
	"fmt"
	"time"

	"github.com/hashicorp/go-memdb"
	"github.com/stepup-auth/stepup/stepup/store"
)

// These helpers hold the rules every aggregate shares: expired records are
// invisible, and every index marked Unique is enforced here because
// go-memdb does not enforce uniqueness on secondary indexes.

// argser is implemented by the indexers of index.go.
type argser interface{ argsOf(obj any) []any }

// live reports whether obj of table has not expired at now.
func (s *Store) live(table string, obj any, now time.Time) bool {
	exp := s.tables[table].expiresAt
	return exp == nil || store.Live(exp(obj), now)
}

// find returns the live record of table found by index and args.
func find[T any](s *Store, txn *memdb.Txn, now time.Time, table, index string, args ...any) (*T, error) {
	obj, err := txn.First(table, index, args...)
	if err != nil {
		return nil, fmt.Errorf("memdb: %s: %w", table, err)
	}
	if obj == nil || !s.live(table, obj, now) {
		return nil, store.ErrNotFound
	}
	return obj.(*T), nil
}

// all returns the live records of table found by index and args, in index order.
func all[T any](s *Store, txn *memdb.Txn, now time.Time, table, index string, args ...any) ([]*T, error) {
	it, err := txn.Get(table, index, args...)
	if err != nil {
		return nil, fmt.Errorf("memdb: %s: %w", table, err)
	}
	var out []*T
	for obj := it.Next(); obj != nil; obj = it.Next() {
		if s.live(table, obj, now) {
			out = append(out, obj.(*T))
		}
	}
	return out, nil
}

// page returns live records of table in id order after p.After.
func page[T any](s *Store, txn *memdb.Txn, now time.Time, table string, p store.Page) ([]*T, error) {
	it, err := txn.LowerBound(table, indexID, p.After)
	if err != nil {
		return nil, fmt.Errorf("memdb: %s: %w", table, err)
	}
	idx := s.tables[table].schema.Indexes[indexID].Indexer.(argser)
	var out []*T
	for obj := it.Next(); obj != nil && len(out) < p.PageLimit(); obj = it.Next() {
		if idx.argsOf(obj)[0] == p.After || !s.live(table, obj, now) {
			continue
		}
		out = append(out, obj.(*T))
	}
	return out, nil
}

// insert stores a new record: ErrConflict if a live record holds its id or
// any of its unique keys.
func (s *Store) insert(txn *memdb.Txn, now time.Time, table string, obj any) error {
	for _, part := range s.tables[table].schema.Indexes[indexID].Indexer.(argser).argsOf(obj) {
		if part == "" {
			return fmt.Errorf("memdb: %s: the record has no id", table)
		}
	}
	if err := s.claimAll(txn, now, table, obj, true); err != nil {
		return err
	}
	return txn.Insert(table, obj)
}

// replace stores obj in place of the live record with its id, which the
// caller has found: ErrConflict if another record holds one of its unique keys.
func (s *Store) replace(txn *memdb.Txn, now time.Time, table string, obj any) error {
	if err := s.claimAll(txn, now, table, obj, false); err != nil {
		return err
	}
	return txn.Insert(table, obj)
}

// claimAll checks the unique indexes of table for obj (the id index too
// when checkID). An expired holder of a key is deleted on the spot: left in
// place, its later sweep would remove the index entry obj now owns.
func (s *Store) claimAll(txn *memdb.Txn, now time.Time, table string, obj any, checkID bool) error {
	indexes := s.tables[table].schema.Indexes
	id := indexes[indexID].Indexer.(memdb.SingleIndexer)
	_, objID, _ := id.FromObject(obj)
	for _, name := range s.tables[table].unique {
		if name == indexID && !checkID {
			continue
		}
		args := indexes[name].Indexer.(argser).argsOf(obj)
		if args == nil {
			continue
		}
		holder, err := txn.First(table, name, args...)
		if err != nil {
			return fmt.Errorf("memdb: %s: %w", table, err)
		}
		if holder == nil {
			continue
		}
		if !s.live(table, holder, now) {
			if err := txn.Delete(table, holder); err != nil {
				return fmt.Errorf("memdb: %s: %w", table, err)
			}
			continue
		}
		if _, holderID, _ := id.FromObject(holder); name != indexID && bytes.Equal(holderID, objID) {
			continue // obj's own earlier version
		}
		return fmt.Errorf("memdb: %s: %s is taken: %w", table, name, store.ErrConflict)
	}
	return nil
}

// deleteAll deletes every record of table found by index and args, live or
// expired, and says how many.
func deleteAll(txn *memdb.Txn, table, index string, args ...any) (int, error) {
	n, err := txn.DeleteAll(table, index, args...)
	if err != nil {
		return 0, fmt.Errorf("memdb: %s: %w", table, err)
	}
	return n, nil
}

// cloneAll applies clone to each record.
func cloneAll[T any](recs []*T, clone func(*T) *T) []*T {
	out := make([]*T, len(recs))
	for i, r := range recs {
		out[i] = clone(r)
	}
	return out
}

// checkVersion compares a caller's Version with the stored one.
func checkVersion(table string, stored, given uint64) error {
	if stored != given {
		return fmt.Errorf("memdb: %s: version %d is stale (stored %d): %w", table, given, stored, store.ErrConflict)
	}
	return nil
}
