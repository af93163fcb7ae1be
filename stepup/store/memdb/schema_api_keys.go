package memdb

import (
	"time"

	"github.com/stepup-auth/stepup/stepup/store"
)

const tableAPIKeys = "api_keys"

func apiKeysTable() table {
	type K = store.APIKey
	return expiring(newTable[K](tableAPIKeys,
		stringIndex[K]{"ID", func(x *K) []string { return []string{x.ID} }},
	), func(x *K) time.Time { return x.ExpiresAt })
}
