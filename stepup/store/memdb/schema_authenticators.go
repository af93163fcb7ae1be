package memdb

import (
	"github.com/hashicorp/go-memdb"
	"github.com/stepup-auth/stepup/stepup/store"
)

const (
	tableAuthenticators = "authenticators"
	indexCredentialID   = "credential_id"
)

func authenticatorsTable() table {
	type A = store.Authenticator
	return newTable[A](tableAuthenticators,
		stringIndex[A]{"ID", func(a *A) []string { return []string{a.ID} }},
		&memdb.IndexSchema{Name: indexUser,
			Indexer: stringIndex[A]{"UserID", func(a *A) []string { return []string{a.UserID} }}},
		&memdb.IndexSchema{Name: indexCredentialID, Unique: true, AllowMissing: true,
			Indexer: stringIndex[A]{"CredentialID", func(a *A) []string { return nonEmpty(string(a.CredentialID)) }}},
	)
}
