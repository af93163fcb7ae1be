package memdb

import (
	"fmt"
	"time"

	"github.com/hashicorp/go-memdb"
)

// table is one go-memdb table and how its records decode from disk.
type table struct {
	schema *memdb.TableSchema
	decode func([]byte) (any, error)
	// expiresAt returns a record's expiry (zero: never), for tables whose
	// records expire; nil for the others.
	expiresAt func(obj any) time.Time
	// unique lists the indexes whose keys the store keeps unique, id first.
	unique []string
}

// tables lists every table; each is defined in its own schema_*.go file.
func tables() []table {
	return []table{
		usersTable(), authenticatorsTable(), devicesTable(), upstreamLinksTable(), sessionsTable(),
		challengesTable(), actionsTable(), authRequestsTable(),
		accessTokensTable(), refreshFamiliesTable(), clientsTable(), apiKeysTable(),
		ruleSetsTable(), signingKeysTable(), auditTable(),
	}
}

// retiredTables are tables an older stepup wrote and this one no longer
// has; a data folder written before is loaded without them rather than
// refused. auth_codes held codes and their tombstones, now kept with their
// authorization request: at the upgrade, codes not yet exchanged stop
// working, and a replay of one exchanged in the last few minutes is
// refused without revoking what it issued. Both live minutes at most.
var retiredTables = map[string]bool{"auth_codes": true}

// newTable builds a table whose records are of type T, with a unique id
// index and the given secondary indexes.
func newTable[T any](name string, id memdb.Indexer, secondary ...*memdb.IndexSchema) table {
	t := table{
		schema: &memdb.TableSchema{Name: name, Indexes: map[string]*memdb.IndexSchema{
			indexID: {Name: indexID, Unique: true, Indexer: id},
		}},
		decode: decodeRecord[T],
	}
	t.unique = []string{indexID}
	for _, ix := range secondary {
		if ix.Unique {
			t.unique = append(t.unique, ix.Name)
		}
		t.schema.Indexes[ix.Name] = ix
	}
	return t
}

// expiring makes the records of t expire at the time at returns (zero:
// never). An expired record is invisible at once and deleted by the next
// sweep, which scans the table. An index of expiry times would spare the
// sweep its scan, once a minute, at the price of one more tree to copy a
// path of on every write of every such record: the hottest writes of all.
func expiring[T any](t table, at func(*T) time.Time) table {
	t.expiresAt = func(obj any) time.Time { return at(obj.(*T)) }
	return t
}

// schema is the go-memdb schema of all tables, and the tables by name.
func schema() (*memdb.DBSchema, map[string]table, error) {
	s := &memdb.DBSchema{Tables: map[string]*memdb.TableSchema{}}
	byName := map[string]table{}
	for _, t := range tables() {
		s.Tables[t.schema.Name] = t.schema
		byName[t.schema.Name] = t
	}
	if err := s.Validate(); err != nil {
		return nil, nil, fmt.Errorf("memdb: invalid schema: %w", err)
	}
	return s, byName, nil
}
