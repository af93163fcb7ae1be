package memdb

import "github.com/stepup-auth/stepup/stepup/store"

const tableAudit = "audit"

func auditTable() table {
	type E = store.AuditEvent
	return newTable[E](tableAudit, uintIndex[E]{"Seq", func(x *E) uint64 { return x.Seq }})
}
