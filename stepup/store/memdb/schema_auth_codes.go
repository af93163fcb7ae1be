package memdb

import (
	"time"

	"github.com/hashicorp/go-memdb"
	"github.com/stepup-auth/stepup/stepup/store"
)

const tableAuthCodes = "auth_codes"

func authCodesTable() table {
	type C = store.AuthCode
	return newTable[C](tableAuthCodes,
		stringIndex[C]{"Hash", func(x *C) []string { return []string{x.Hash} }},
		&memdb.IndexSchema{Name: indexExpires, AllowMissing: true,
			Indexer: timeIndex[C]{"ExpiresAt", func(x *C) time.Time { return x.ExpiresAt }}},
	)
}
