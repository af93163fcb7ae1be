package memdb

import (
	"errors"
	"fmt"
	"os"
	"runtime/debug"

	"github.com/hashicorp/go-memdb"
)

// replayBatch is how many records a replay commits at once: large enough to
// amortise commits, small enough to bound the transaction's working set.
const replayBatch = 8192

// recovered says where the journal continues after start-up.
type recovered struct {
	segment uint64 // the segment to append to
	size    int64  // its valid length
	salt    uint64 // its frames' salt
	records uint64 // transactions in it
}

// recover loads the newest snapshot and replays the journal after it.
func (s *Store) recover() (recovered, error) {
	snaps, segs, err := dataFiles(s.dir)
	if err != nil {
		return recovered{}, err
	}
	// Replay allocates millions of small objects that all stay live;
	// collecting often at start-up only rescans them.
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	loader := &loader{db: s.db, tables: s.tables}
	defer loader.abort()

	var base uint64 = 1
	if len(snaps) > 0 {
		base = snaps[len(snaps)-1]
		seg, err := readSnapshot(snapshotPath(s.dir, base), loader.put)
		if err != nil {
			return recovered{}, err
		}
		if seg != base {
			return recovered{}, fmt.Errorf("memdb: snapshot %s says it was taken at segment %d: was it renamed or copied?",
				snapshotPath(s.dir, base), seg)
		}
	}
	var replay []uint64
	for _, n := range segs {
		if n >= base {
			replay = append(replay, n)
		}
	}
	for i, n := range replay {
		if n != base+uint64(i) {
			return recovered{}, fmt.Errorf("memdb: journal segment %d is missing from %s (found %d next); the data folder is damaged",
				base+uint64(i), s.dir, n)
		}
	}

	framed, err := lastWithFrames(s.dir, replay)
	if err != nil {
		return recovered{}, err
	}
	out := recovered{segment: base}
	for i, n := range replay {
		at, err := replaySegment(s, loader, n, i == len(replay)-1, i >= framed)
		if err != nil {
			return recovered{}, err
		}
		out = at
	}
	if err := loader.commit(); err != nil {
		return recovered{}, err
	}
	// Files older than the snapshot are left over from a crash between
	// installing it and cleaning up.
	if err := removeBefore(s.dir, base, snaps, segs); err != nil {
		return recovered{}, err
	}
	s.log.Debug("memdb: recovered", "snapshot", base, "segments", len(replay), "records_in_last_segment", out.records)
	return out, nil
}

// lastWithFrames returns the index of the last of segs that holds a frame,
// or -1. Segments after it hold nothing: a rotation whose folder sync
// failed leaves one behind, while the journal goes on in the segment
// before it.
func lastWithFrames(dir string, segs []uint64) (int, error) {
	for i := len(segs) - 1; i >= 0; i-- {
		framed, err := holdsFrame(segmentPath(dir, segs[i]))
		if err != nil {
			return 0, err
		}
		if framed {
			return i, nil
		}
	}
	return -1, nil
}

// holdsFrame reports whether the segment at path holds anything after its
// header: bytes that are not all zero, which a crash can leave where the
// journal reserved space (a frame cut short counts: it is a write).
// It reads backwards from the end, where the reserved zeros are, and
// stops at the first byte that is not zero: the segment is read whole
// later, and only once.
func holdsFrame(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, fmt.Errorf("memdb: read journal: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return false, fmt.Errorf("memdb: read journal: %w", err)
	}
	buf := make([]byte, 64<<10)
	for end := fi.Size(); end > int64(segmentHeader); {
		start := max(int64(segmentHeader), end-int64(len(buf)))
		chunk := buf[:end-start]
		if _, err := f.ReadAt(chunk, start); err != nil {
			return false, fmt.Errorf("memdb: read journal: %w", err)
		}
		if lastNonZero(chunk) >= 0 {
			return true, nil
		}
		end = start
	}
	return false, nil
}

// replaySegment replays segment n. newest says whether it is the newest
// file, in which the journal continues; endsJournal whether no later
// segment holds a frame, so that a torn end can only be a crash's.
func replaySegment(s *Store, loader *loader, n uint64, newest, endsJournal bool) (recovered, error) {
	path := segmentPath(s.dir, n)
	data, err := os.ReadFile(path)
	if err != nil {
		return recovered{}, fmt.Errorf("memdb: read journal: %w", err)
	}
	salt, ok := parseSegmentHeader(data)
	if !ok {
		if newest && len(data) <= segmentHeader {
			// Created, then cut short by a crash before any frame: its
			// header is rewritten when the journal opens.
			s.log.Warn("memdb: starting afresh a journal segment whose creation a crash interrupted", "file", path)
			return recovered{segment: n}, nil
		}
		return recovered{}, fmt.Errorf("memdb: journal %s has no valid header; the data folder is damaged", path)
	}
	body := data[segmentHeader:]
	var records uint64
	bad, err := scanFrames(body, salt, func(frame []byte) error {
		return batchRecords(frame, func(txn []byte) error {
			records++
			return loader.replay(txn)
		})
	})
	if err != nil {
		return recovered{}, fmt.Errorf("memdb: journal %s, transaction %d: %w", path, records+1, err)
	}
	size := int64(len(data))
	if bad != nil && bad.Zeros && endsJournal {
		// The frames end where the space reserved ahead of them begins.
		// Zeros can also be frames a disk lost, and nothing tells the
		// two apart here; but a rotation trims a segment's reserved
		// space, so zeros before a later segment's frames are refused.
		size, bad = int64(segmentHeader+bad.Offset), nil
		if !newest {
			// Frameless segments follow, and the journal goes on in the
			// newest: once it holds frames, these zeros would no longer
			// end the journal.
			if err := cutTail(path, size); err != nil {
				return recovered{}, err
			}
		}
	}
	if bad != nil {
		offset := segmentHeader + bad.Offset
		if !endsJournal || !bad.Tail {
			return recovered{}, fmt.Errorf("memdb: journal %s is corrupt at byte %d (%s) and valid records follow; "+
				"stepup will not start rather than drop them. Keep a copy of the data folder, then restore it from a backup",
				path, offset, bad.Reason)
		}
		s.log.Warn("memdb: dropping a torn write at the end of the journal (a write the crash cut short; nobody was told it succeeded)",
			"file", path, "offset", offset, "dropped_bytes", len(data)-offset, "reason", bad.Reason)
		size = int64(offset)
		if !newest {
			// The journal continues in a later segment: once frames
			// follow there, this tail would read as corruption.
			if err := cutTail(path, size); err != nil {
				return recovered{}, err
			}
		}
	}
	return recovered{segment: n, size: size, salt: salt, records: records}, nil
}

// cutTail durably truncates a segment the journal will not continue.
func cutTail(path string, size int64) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("memdb: drop torn journal tail: %w", err)
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		return fmt.Errorf("memdb: drop torn journal tail: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("memdb: drop torn journal tail: %w", err)
	}
	return nil
}

// loader applies recovered records to go-memdb in large transactions.
type loader struct {
	db      *memdb.MemDB
	tables  map[string]table
	txn     *memdb.Txn
	pending int
}

func (l *loader) put(tableName string, rec []byte) error {
	return l.apply(change{Table: tableName, Record: rec})
}

func (l *loader) replay(payload []byte) error {
	var changes []change
	if err := decMode.Unmarshal(payload, &changes); err != nil {
		return fmt.Errorf("decode transaction: %w", err)
	}
	for _, c := range changes {
		if err := l.apply(c); err != nil {
			return err
		}
	}
	return nil
}

func (l *loader) apply(c change) error {
	t, ok := l.tables[c.Table]
	if !ok && retiredTables[c.Table] {
		return nil
	}
	if !ok {
		return fmt.Errorf("unknown table %q (written by a newer stepup?)", c.Table)
	}
	obj, err := t.decode(c.Record)
	if err != nil {
		return err
	}
	if l.txn == nil {
		l.txn = l.db.Txn(true)
	}
	if c.Delete {
		// Replaying is idempotent: a record already gone stays gone.
		if err := l.txn.Delete(c.Table, obj); err != nil && !errors.Is(err, memdb.ErrNotFound) {
			return fmt.Errorf("delete from %s: %w", c.Table, err)
		}
	} else if err := l.txn.Insert(c.Table, obj); err != nil {
		return fmt.Errorf("insert into %s: %w", c.Table, err)
	}
	if l.pending++; l.pending >= replayBatch {
		return l.commit()
	}
	return nil
}

func (l *loader) commit() error {
	if l.txn != nil {
		l.txn.Commit()
		l.txn, l.pending = nil, 0
	}
	return nil
}

func (l *loader) abort() {
	if l.txn != nil {
		l.txn.Abort()
	}
}
