// Package memdb is stepup's embedded storage backend: hashicorp/go-memdb in
// memory, made durable by a journal in a data folder.
//
// Every committed write transaction is appended to the journal as one
// checksummed, length-prefixed record and synced to disk before the caller
// gets its answer; concurrent commits share one sync (group commit).
// Snapshots compact the journal; start-up loads the last snapshot and
// replays the journal after it. A torn or corrupt record at the very end of
// the journal (a write cut short by a crash) is dropped with a warning; a
// corrupt record with valid records after it stops start-up with an error,
// because dropping it would lose acknowledged writes.
//
// The data folder holds:
//
//	LOCK                            held by the process that has the store open
//	snapshot-<n>.snap               every record as of the start of journal segment n
//	journal-<n>.wal                 the write transactions of segment n, in order
//
// Reads are lock-free and never wait for the disk. A write becomes visible
// to readers when it commits in memory, a moment before its journal record
// is synced; its caller is answered only after the sync, and a later write
// that depends on it is journaled after it, so a crash can lose only writes
// nobody was told had succeeded.
//
// If the journal cannot be written, the store refuses every later write and
// Ping reports the failure: memory then holds a change the disk does not,
// and only a restart (replaying the journal) makes them agree again.
package memdb
