package memdb

import (
	"time"

	"github.com/hashicorp/go-memdb"
	"github.com/stepup-auth/stepup/stepup/store"
)

const (
	tableActions     = "actions"
	indexIdempotency = "idempotency"
	indexAwaiting    = "awaiting"
)

// Action records are the hottest writes of all, one per tracked action,
// and go-memdb copies a path of every index's tree on each: they have two
// indexes besides their id, and no more. The idempotency index holds
// every record, under its key or, keyless, under its id, so that it also
// finds a user's records; the awaiting index holds only the records
// waiting for review.
func actionsTable() table {
	type A = store.ActionRecord
	return expiring(newTable[A](tableActions,
		stringIndex[A]{"ID", func(a *A) []string { return []string{a.ID} }},
		&memdb.IndexSchema{Name: indexIdempotency, Unique: true,
			Indexer: stringIndex[A]{"UserID,Action,IdempotencyKey|ID", idempotencyKey}},
		&memdb.IndexSchema{Name: indexAwaiting, AllowMissing: true,
			Indexer: newestIndex[A]{"Action,CreatedAt if State is REVIEW_REQUIRED", func(a *A) (string, time.Time, bool) {
				return a.Action, a.CreatedAt, a.State == store.ActionReviewRequired
			}}},
	), func(a *A) time.Time { return a.ExpiresAt })
}

// idempotencyKey is a record's key in the idempotency index: user, action
// and idempotency key, or, for a record without one, user, action, an
// empty key and its id, which no keyed record can share.
func idempotencyKey(a *store.ActionRecord) []string {
	if a.IdempotencyKey == "" {
		return []string{a.UserID, a.Action, "", a.ID}
	}
	return []string{a.UserID, a.Action, a.IdempotencyKey}
}
