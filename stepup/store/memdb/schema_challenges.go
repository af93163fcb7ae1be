package memdb

import (
	"time"

	"github.com/hashicorp/go-memdb"
	"github.com/stepup-auth/stepup/stepup/store"
)

const tableChallenges = "challenges"

func challengesTable() table {
	type C = store.Challenge
	return expiring(newTable[C](tableChallenges,
		stringIndex[C]{"ID", func(c *C) []string { return []string{c.ID} }},
		&memdb.IndexSchema{Name: indexUser, AllowMissing: true,
			Indexer: stringIndex[C]{"UserID", func(c *C) []string { return nonEmpty(c.UserID) }}},
	), func(c *C) time.Time { return c.ExpiresAt })
}
