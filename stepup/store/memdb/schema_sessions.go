package memdb

import (
	"time"

	"github.com/hashicorp/go-memdb"
	"github.com/stepup-auth/stepup/stepup/store"
)

const tableSessions = "sessions"

func sessionsTable() table {
	type S = store.Session
	return expiring(newTable[S](tableSessions,
		stringIndex[S]{"ID", func(s *S) []string { return []string{s.ID} }},
		&memdb.IndexSchema{Name: indexUser,
			Indexer: stringIndex[S]{"UserID", func(s *S) []string { return []string{s.UserID} }}},
	), func(s *S) time.Time { return s.ExpiresAt })
}
