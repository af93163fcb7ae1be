package memdb

import (
	"time"

	"github.com/hashicorp/go-memdb"
	"github.com/stepup-auth/stepup/stepup/store"
)

const tableSigningKeys = "signing_keys"

func signingKeysTable() table {
	type K = store.SigningKey
	return newTable[K](tableSigningKeys,
		stringIndex[K]{"ID", func(x *K) []string { return []string{x.ID} }},
		&memdb.IndexSchema{Name: indexExpires, AllowMissing: true,
			Indexer: timeIndex[K]{"ExpiresAt", func(x *K) time.Time { return x.ExpiresAt }}},
	)
}
