package memdb

import "github.com/stepup-auth/stepup/stepup/store"

const tableClients = "clients"

func clientsTable() table {
	type C = store.Client
	return newTable[C](tableClients,
		stringIndex[C]{"ID", func(x *C) []string { return []string{x.ID} }},
	)
}
