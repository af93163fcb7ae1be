package memdb

import (
	"time"

	"github.com/hashicorp/go-memdb"
	"github.com/stepup-auth/stepup/stepup/store"
)

const tableRefreshFamilies = "refresh_families"

func refreshFamiliesTable() table {
	type F = store.RefreshFamily
	return expiring(newTable[F](tableRefreshFamilies,
		stringIndex[F]{"ID", func(x *F) []string { return []string{x.ID} }},
		&memdb.IndexSchema{Name: indexUser,
			Indexer: stringIndex[F]{"UserID", func(x *F) []string { return []string{x.UserID} }}},
	), func(x *F) time.Time { return x.ExpiresAt })
}
