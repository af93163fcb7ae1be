package memdb

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/hashicorp/go-memdb"
)

func snapshotPath(dir string, seg uint64) string {
	return filepath.Join(dir, fmt.Sprintf("snapshot-%020d.snap", seg))
}

// writeSnapshot writes every record visible in txn as snapshot seg: the
// state before journal segment seg. It writes a temporary file, syncs it
// and renames it into place, so a snapshot file is always whole.
func writeSnapshot(dir string, seg uint64, txn *memdb.Txn, tableNames []string) (err error) {
	path := snapshotPath(dir, seg)
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("memdb: create snapshot: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	w := bufio.NewWriterSize(f, 1<<20)
	var frame []byte
	put := func(e snapshotEntry) error {
		payload, err := encMode.Marshal(e)
		if err != nil {
			return err
		}
		frame = appendFrame(frame[:0], 0, payload)
		_, err = w.Write(frame)
		return err
	}
	if err := put(snapshotEntry{Magic: snapshotMagic, Segment: seg}); err != nil {
		return fmt.Errorf("memdb: write snapshot: %w", err)
	}
	var count uint64
	for _, name := range tableNames {
		it, err := txn.Get(name, indexID)
		if err != nil {
			return fmt.Errorf("memdb: snapshot %s: %w", name, err)
		}
		for obj := it.Next(); obj != nil; obj = it.Next() {
			rec, err := encMode.Marshal(obj)
			if err != nil {
				return fmt.Errorf("memdb: encode %s record: %w", name, err)
			}
			if err := put(snapshotEntry{Table: name, Record: rec}); err != nil {
				return fmt.Errorf("memdb: write snapshot: %w", err)
			}
			count++
		}
	}
	if err := put(snapshotEntry{Count: count}); err != nil {
		return fmt.Errorf("memdb: write snapshot: %w", err)
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("memdb: write snapshot: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("memdb: sync snapshot: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("memdb: close snapshot: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("memdb: install snapshot: %w", err)
	}
	return syncDir(dir)
}

// readSnapshot calls apply for every record of the snapshot file at path and
// returns the segment it was taken at. A snapshot is written whole or not at
// all, so any damage is corruption: it is an error, never skipped.
func readSnapshot(path string, apply func(table string, rec []byte) error) (uint64, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("memdb: read snapshot: %w", err)
	}
	var (
		seg, count uint64
		header     bool
		trailer    bool
	)
	bad, err := scanFrames(data, 0, func(payload []byte) error {
		var e snapshotEntry
		if err := decMode.Unmarshal(payload, &e); err != nil {
			return fmt.Errorf("decode entry: %w", err)
		}
		switch {
		case trailer:
			return errors.New("data after the end marker")
		case !header:
			if e.Magic != snapshotMagic {
				return fmt.Errorf("not a stepup snapshot (magic %q)", e.Magic)
			}
			header, seg = true, e.Segment
		case e.Table == "":
			if e.Count != count {
				return fmt.Errorf("end marker counts %d records, found %d", e.Count, count)
			}
			trailer = true
		default:
			count++
			return apply(e.Table, e.Record)
		}
		return nil
	})
	switch {
	case err != nil:
		return 0, fmt.Errorf("memdb: snapshot %s is corrupt: %w", path, err)
	case bad != nil:
		return 0, fmt.Errorf("memdb: snapshot %s is corrupt at byte %d: %s", path, bad.Offset, bad.Reason)
	case !trailer:
		return 0, fmt.Errorf("memdb: snapshot %s is incomplete: no end marker", path)
	}
	return seg, nil
}

// dataFiles lists the snapshot and journal segment numbers in dir, sorted,
// and removes leftover temporary files of an interrupted snapshot.
func dataFiles(dir string) (snaps, segs []uint64, err error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("memdb: read data folder: %w", err)
	}
	for _, e := range entries {
		var n uint64
		name := e.Name()
		switch {
		case scan(name, "snapshot-%020d.snap.tmp", &n):
			if err := os.Remove(filepath.Join(dir, name)); err != nil {
				return nil, nil, fmt.Errorf("memdb: remove unfinished snapshot: %w", err)
			}
		case scan(name, "snapshot-%020d.snap", &n):
			snaps = append(snaps, n)
		case scan(name, "journal-%020d.wal", &n):
			segs = append(segs, n)
		}
	}
	slices.Sort(snaps)
	slices.Sort(segs)
	return snaps, segs, nil
}

func scan(name, format string, n *uint64) bool {
	_, err := fmt.Sscanf(name, format, n)
	return err == nil && name == fmt.Sprintf(format, *n)
}

// removeBefore deletes snapshots and segments older than seg: a newer
// snapshot holds everything they did.
func removeBefore(dir string, seg uint64, snaps, segs []uint64) error {
	for _, n := range segs {
		if n < seg {
			if err := os.Remove(segmentPath(dir, n)); err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("memdb: remove old journal segment: %w", err)
			}
		}
	}
	for _, n := range snaps {
		if n < seg {
			if err := os.Remove(snapshotPath(dir, n)); err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("memdb: remove old snapshot: %w", err)
			}
		}
	}
	return syncDir(dir)
}
