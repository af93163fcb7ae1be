package memdb

import (
	"time"

	"github.com/hashicorp/go-memdb"
	"github.com/stepup-auth/stepup/stepup/store"
)

const (
	tableActions     = "actions"
	indexIdempotency = "idempotency"
)

func actionsTable() table {
	type A = store.ActionRecord
	return expiring(newTable[A](tableActions,
		stringIndex[A]{"ID", func(a *A) []string { return []string{a.ID} }},
		&memdb.IndexSchema{Name: indexUser,
			Indexer: stringIndex[A]{"UserID", func(a *A) []string { return []string{a.UserID} }}},
		&memdb.IndexSchema{Name: indexAction,
			Indexer: stringIndex[A]{"Action", func(a *A) []string { return []string{a.Action} }}},
		&memdb.IndexSchema{Name: indexIdempotency, Unique: true, AllowMissing: true,
			Indexer: stringIndex[A]{"UserID,Action,IdempotencyKey", func(a *A) []string {
				if a.IdempotencyKey == "" {
					return nil
				}
				return []string{a.UserID, a.Action, a.IdempotencyKey}
			}}},
	), func(a *A) time.Time { return a.ExpiresAt })
}
