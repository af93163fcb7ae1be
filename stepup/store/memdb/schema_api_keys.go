package memdb

import (
	"time"

	"github.com/hashicorp/go-memdb"
	"github.com/stepup-auth/stepup/stepup/store"
)

const tableAPIKeys = "api_keys"

func apiKeysTable() table {
	type K = store.APIKey
	return newTable[K](tableAPIKeys,
		stringIndex[K]{"ID", func(x *K) []string { return []string{x.ID} }},
		&memdb.IndexSchema{Name: indexExpires, AllowMissing: true,
			Indexer: timeIndex[K]{"ExpiresAt", func(x *K) time.Time { return x.ExpiresAt }}},
	)
}
