package memdb

import (
	"github.com/hashicorp/go-memdb"
	"github.com/stepup-auth/stepup/stepup/store"
)

const (
	tableUsers    = "users"
	indexUsername = "username"
	indexEmail    = "email"
)

func usersTable() table {
	return newTable[store.User](tableUsers,
		stringIndex[store.User]{"ID", func(u *store.User) []string { return []string{u.ID} }},
		// Unique is enforced by the store (go-memdb does not): see unique().
		&memdb.IndexSchema{Name: indexUsername, Unique: true, AllowMissing: true,
			Indexer: stringIndex[store.User]{"Username", func(u *store.User) []string { return nonEmpty(u.Username) }}},
		&memdb.IndexSchema{Name: indexEmail, Unique: true, AllowMissing: true,
			Indexer: stringIndex[store.User]{"Email", func(u *store.User) []string { return nonEmpty(u.Email) }}},
	)
}
