// Package memdb is stepup's embedded storage backend: hashicorp/go-memdb in
// memory, made durable by a journal in a data folder.
//
// Every committed write transaction is appended to the journal and synced
// to disk before the caller gets its answer; the transactions that commit
// during one sync share the next one (group commit), written as one
// checksummed, length-prefixed frame. Snapshots compact the journal;
// start-up loads the last snapshot and replays the journal after it. A torn
// or corrupt frame at the very end of the journal (a write cut short by a
// crash, whose callers were never answered) is dropped with a warning; a
// corrupt frame with valid frames after it stops start-up with an error,
// because dropping it would lose acknowledged writes. Segments that hold no
// frame (left by a rotation that failed) do not count: a torn frame before
// them is still at the end. Each journal segment has a random salt in its
// checksums, so bytes stored inside a record can never pass for a frame.
//
// The data folder holds:
//
//	LOCK                            held by the process that has the store open
//	snapshot-<n>.snap               every record as of the start of journal segment n
//	journal-<n>.wal                 segment n: a header with its salt, then frames in commit order
//
// Reads are lock-free and never wait for the disk. A write becomes visible
// to readers when it commits in memory, a moment before its journal record
// is synced; its caller is answered only after the sync, and a later write
// that depends on it is journaled after it, so a crash can lose only writes
// nobody was told had succeeded.
//
// A write that changes nothing, or is refused (a conflict, a missing
// record), still waits for the syncs in flight: what it read may be a
// change not yet on disk.
//
// If the journal cannot be written, the store refuses every later read and
// write and Ping reports the failure: memory then holds a change the disk
// does not, and only a restart (replaying the journal) makes them agree.
package memdb
