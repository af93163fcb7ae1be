package memdb

import (
	"time"

	"github.com/hashicorp/go-memdb"
	"github.com/stepup-auth/stepup/stepup/store"
)

// records is the generic part of an aggregate: create, read, compare-and-set
// update and delete of one table's records of type T, copying on the way in
// and out. Each aggregate adds only what is special about it.
type records[T any] struct {
	s       *Store
	table   string
	clone   func(*T) *T
	version func(*T) *uint64 // nil for records without a Version
}

// create stores a copy of rec as a new record, with Version 1. check, if
// set, runs first in the same transaction (e.g. "the user exists").
func (r records[T]) create(rec *T, check func(txn *memdb.Txn, now time.Time) error) error {
	c := r.clone(rec)
	if r.version != nil {
		*r.version(c) = 1
	}
	err := r.s.update(func(txn *memdb.Txn, now time.Time) error {
		if check != nil {
			if err := check(txn, now); err != nil {
				return err
			}
		}
		return r.s.insert(txn, now, r.table, c)
	})
	if err == nil && r.version != nil {
		*r.version(rec) = 1
	}
	return err
}

// get returns a copy of the live record found by index and args.
func (r records[T]) get(index string, args ...any) (*T, error) {
	var out *T
	err := r.s.view(func(txn *memdb.Txn, now time.Time) error {
		rec, err := find[T](r.s, txn, now, r.table, index, args...)
		if err == nil {
			out = r.clone(rec)
		}
		return err
	})
	return out, err
}

// list returns copies of the live records found by index and args.
func (r records[T]) list(index string, args ...any) ([]*T, error) {
	var out []*T
	err := r.s.view(func(txn *memdb.Txn, now time.Time) error {
		recs, err := all[T](r.s, txn, now, r.table, index, args...)
		out = cloneAll(recs, r.clone)
		return err
	})
	return out, err
}

// page returns copies of live records in id order.
func (r records[T]) page(p store.Page) ([]*T, error) {
	var out []*T
	err := r.s.view(func(txn *memdb.Txn, now time.Time) error {
		recs, err := page[T](r.s, txn, now, r.table, p)
		out = cloneAll(recs, r.clone)
		return err
	})
	return out, err
}

// update replaces the live record with rec's id if rec's Version is the
// stored one, and increments rec's Version. check, if set, runs first in
// the same transaction; keep, if set, copies fields that Update must not
// change from the stored record into the new one.
func (r records[T]) update(rec *T, check func(txn *memdb.Txn, now time.Time) error, keep func(stored, next *T)) error {
	c := r.clone(rec)
	id := r.s.tables[r.table].schema.Indexes[indexID].Indexer.(argser).argsOf(c)
	err := r.s.update(func(txn *memdb.Txn, now time.Time) error {
		cur, err := find[T](r.s, txn, now, r.table, indexID, id...)
		if err != nil {
			return err
		}
		if check != nil {
			if err := check(txn, now); err != nil {
				return err
			}
		}
		if err := checkVersion(r.table, *r.version(cur), *r.version(c)); err != nil {
			return err
		}
		*r.version(c)++
		if keep != nil {
			keep(cur, c)
		}
		return r.s.replace(txn, now, r.table, c)
	})
	if err == nil {
		*rec = *r.clone(c)
	}
	return err
}

// delete removes the live record with the given id.
func (r records[T]) delete(id ...any) error {
	return r.s.update(func(txn *memdb.Txn, now time.Time) error {
		cur, err := find[T](r.s, txn, now, r.table, indexID, id...)
		if err != nil {
			return err
		}
		return txn.Delete(r.table, cur)
	})
}

// consume returns a copy of the live record with the given id and deletes
// it in the same transaction.
func (r records[T]) consume(id ...any) (*T, error) {
	var out *T
	err := r.s.update(func(txn *memdb.Txn, now time.Time) error {
		cur, err := find[T](r.s, txn, now, r.table, indexID, id...)
		if err != nil {
			return err
		}
		out = r.clone(cur)
		return txn.Delete(r.table, cur)
	})
	return out, err
}
