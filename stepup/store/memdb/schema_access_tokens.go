package memdb

import (
	"time"

	"github.com/hashicorp/go-memdb"
	"github.com/stepup-auth/stepup/stepup/store"
)

const (
	tableAccessTokens = "access_tokens"
	indexFamily       = "family"
	indexSubject      = "subject"
)

func accessTokensTable() table {
	type T = store.AccessToken
	return expiring(newTable[T](tableAccessTokens,
		stringIndex[T]{"ID", func(x *T) []string { return []string{x.ID} }},
		&memdb.IndexSchema{Name: indexSubject, AllowMissing: true,
			Indexer: stringIndex[T]{"Subject", func(x *T) []string { return nonEmpty(x.Subject) }}},
		&memdb.IndexSchema{Name: indexFamily, AllowMissing: true,
			Indexer: stringIndex[T]{"RefreshFamilyID", func(x *T) []string { return nonEmpty(x.RefreshFamilyID) }}},
	), func(x *T) time.Time { return x.ExpiresAt })
}
