package memdb

import (
	"time"

	"github.com/hashicorp/go-memdb"
	"github.com/stepup-auth/stepup/stepup/store"
)

const tableAuthRequests = "auth_requests"

func authRequestsTable() table {
	type R = store.AuthRequest
	return expiring(newTable[R](tableAuthRequests,
		stringIndex[R]{"ID", func(x *R) []string { return []string{x.ID} }},
		&memdb.IndexSchema{Name: indexUser, AllowMissing: true,
			Indexer: stringIndex[R]{"UserID", func(x *R) []string { return nonEmpty(x.UserID) }}},
	), func(x *R) time.Time { return x.ExpiresAt })
}
