package memdb

import (
	"time"

	"github.com/hashicorp/go-memdb"
	"github.com/stepup-auth/stepup/stepup/store"
)

const (
	tableSigningKeys = "signing_keys"
	// indexKeyState holds the active and the next key of each algorithm;
	// being unique, it keeps each to one.
	indexKeyState = "alg_state"
)

func signingKeysTable() table {
	type K = store.SigningKey
	return expiring(newTable[K](tableSigningKeys,
		stringIndex[K]{"ID", func(x *K) []string { return []string{x.ID} }},
		&memdb.IndexSchema{Name: indexKeyState, Unique: true, AllowMissing: true,
			Indexer: stringIndex[K]{"Algorithm,State(next|active)", func(x *K) []string {
				if x.State != store.SigningKeyNext && x.State != store.SigningKeyActive {
					return nil
				}
				return []string{x.Algorithm, x.State}
			}}},
	), func(x *K) time.Time { return x.ExpiresAt })
}
