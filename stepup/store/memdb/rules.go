package memdb

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/go-memdb"
	"github.com/stepup-auth/stepup/stepup/store"
)

type ruleSets struct{ records[store.RuleSet] }

// RuleSets returns the versioned rule sets.
func (s *Store) RuleSets() store.RuleSets {
	return ruleSets{records[store.RuleSet]{s, tableRuleSets, (*store.RuleSet).Clone, nil}}
}

func (r ruleSets) Publish(_ context.Context, rs *store.RuleSet) error {
	rec := rs.Clone()
	return r.s.update(func(txn *memdb.Txn, now time.Time) error {
		var want uint64 = 1
		if last, err := r.latest(txn, rs.Action); err == nil {
			want = last.Version + 1
		}
		if rec.Version != want {
			return fmt.Errorf("memdb: rule set %q: version %d is not the next (%d): %w", rs.Action, rec.Version, want, store.ErrConflict)
		}
		return r.s.insert(txn, now, tableRuleSets, rec)
	})
}

// latest returns the stored latest version of action.
func (r ruleSets) latest(txn *memdb.Txn, action string) (*store.RuleSet, error) {
	it, err := txn.GetReverse(tableRuleSets, indexID+"_prefix", action)
	if err != nil {
		return nil, err
	}
	if obj := it.Next(); obj != nil {
		return obj.(*store.RuleSet), nil
	}
	return nil, store.ErrNotFound
}

func (r ruleSets) Latest(_ context.Context, action string) (*store.RuleSet, error) {
	var out *store.RuleSet
	err := r.s.view(func(txn *memdb.Txn, _ time.Time) error {
		rs, err := r.latest(txn, action)
		if err == nil {
			out = rs.Clone()
		}
		return err
	})
	return out, err
}

func (r ruleSets) Get(_ context.Context, action string, version uint64) (*store.RuleSet, error) {
	return r.get(indexID, action, versionKey(version))
}

func (r ruleSets) Versions(_ context.Context, action string) ([]*store.RuleSet, error) {
	return r.list(indexID+"_prefix", action)
}

func (r ruleSets) LatestAll(context.Context) ([]*store.RuleSet, error) {
	recs, err := r.list(indexID)
	if err != nil {
		return nil, err
	}
	// In id order an action's versions are adjacent, oldest first.
	var out []*store.RuleSet
	for i, rs := range recs {
		if i+1 == len(recs) || recs[i+1].Action != rs.Action {
			out = append(out, rs)
		}
	}
	return out, nil
}

type audit struct{ records[store.AuditEvent] }

// Audit returns the audit trail.
func (s *Store) Audit() store.Audit {
	return audit{records[store.AuditEvent]{s, tableAudit, (*store.AuditEvent).Clone, nil}}
}

func (r audit) Append(_ context.Context, e *store.AuditEvent) error {
	rec := e.Clone()
	err := r.s.update(func(txn *memdb.Txn, now time.Time) error {
		last, err := txn.Last(tableAudit, indexID)
		if err != nil {
			return err
		}
		rec.Seq = 1
		if last != nil {
			rec.Seq = last.(*store.AuditEvent).Seq + 1
		}
		return txn.Insert(tableAudit, rec)
	})
	if err == nil {
		e.Seq = rec.Seq
	}
	return err
}

func (r audit) List(_ context.Context, after uint64, limit int) ([]*store.AuditEvent, error) {
	var out []*store.AuditEvent
	err := r.s.view(func(txn *memdb.Txn, _ time.Time) error {
		it, err := txn.LowerBound(tableAudit, indexID, after+1)
		if err != nil {
			return err
		}
		for obj := it.Next(); obj != nil && len(out) < (store.Page{Limit: limit}).PageLimit(); obj = it.Next() {
			out = append(out, obj.(*store.AuditEvent).Clone())
		}
		return nil
	})
	return out, err
}
