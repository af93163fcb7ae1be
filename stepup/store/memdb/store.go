package memdb

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-memdb"
	"github.com/stepup-auth/stepup/stepup/store"
)

// Options configure a Store. Only Dir is required.
type Options struct {
	// Dir is the data folder; it is created if missing.
	Dir string
	// SnapshotEvery is how many journal records trigger a snapshot that
	// compacts the journal (default 100000). It bounds start-up time.
	SnapshotEvery int
	// SweepInterval is how often expired records are deleted (default one
	// minute); negative turns the background sweep off.
	SweepInterval time.Duration
	// Now is the clock for expiry (default time.Now).
	Now func() time.Time
	// Logger receives warnings about recovery and background work
	// (default slog.Default()).
	Logger *slog.Logger
}

// Store is the embedded, durable store.
type Store struct {
	dir           string
	snapshotEvery uint64
	now           func() time.Time
	log           *slog.Logger

	db      *memdb.MemDB
	tables  map[string]table
	names   []string // table names, sorted
	journal *journal
	lock    *os.File

	snapshotKick chan struct{}
	snapshotMu   sync.Mutex // one snapshot at a time
	stop         chan struct{}
	background   sync.WaitGroup
	closeOnce    sync.Once
	closeErr     error
}

var _ store.Store = (*Store)(nil)

// Open opens the store in opts.Dir: it takes the folder's lock, loads the
// newest snapshot, replays the journal and starts the background snapshot
// and sweep.
func Open(opts Options) (*Store, error) {
	if opts.Dir == "" {
		return nil, errors.New("memdb: no data folder given")
	}
	if opts.SnapshotEvery <= 0 {
		opts.SnapshotEvery = 100_000
	}
	if opts.SweepInterval == 0 {
		opts.SweepInterval = time.Minute
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if err := ensureDir(opts.Dir, opts.Logger); err != nil {
		return nil, err
	}
	lock, err := lockDir(opts.Dir)
	if err != nil {
		return nil, err
	}
	s := &Store{
		dir:           opts.Dir,
		snapshotEvery: uint64(opts.SnapshotEvery),
		now:           opts.Now,
		log:           opts.Logger,
		lock:          lock,
		snapshotKick:  make(chan struct{}, 1),
		stop:          make(chan struct{}),
	}
	fail := func(err error) (*Store, error) {
		lock.Close()
		return nil, err
	}
	dbSchema, tables, err := schema()
	if err != nil {
		return fail(err)
	}
	if s.db, err = memdb.NewMemDB(dbSchema); err != nil {
		return fail(fmt.Errorf("memdb: %w", err))
	}
	s.tables = tables
	for name := range tables {
		s.names = append(s.names, name)
	}
	slices.Sort(s.names)

	at, err := s.recover()
	if err != nil {
		return fail(err)
	}
	if s.journal, err = openJournal(s.dir, at.segment, at.size, at.salt, at.records); err != nil {
		return fail(err)
	}
	s.background.Add(1)
	go s.snapshotLoop()
	if opts.SweepInterval > 0 {
		s.background.Add(1)
		go s.sweepLoop(opts.SweepInterval)
	}
	if at.records >= s.snapshotEvery {
		s.kickSnapshot()
	}
	return s, nil
}

// ensureDir creates the data folder if it is missing and checks that it is
// a folder.
func ensureDir(dir string, log *slog.Logger) error {
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if err := makeDirs(dir, syncDir); err != nil {
			return err
		}
		log.Info("memdb: created data folder", "dir", dir)
		return nil
	case err != nil:
		return fmt.Errorf("memdb: data folder: %w", err)
	case !fi.IsDir():
		return fmt.Errorf("memdb: data folder %s is not a folder", dir)
	}
	return nil
}

// makeDirs creates dir and its missing parents, as os.MkdirAll does, then
// syncs the parent of each folder it created: the files in dir are synced
// with dir, but a crash can still lose dir's own entry, and everything with
// it, until its parent is synced too.
func makeDirs(dir string, sync func(dir string) error) error {
	missing, err := missingDirs(dir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("memdb: create data folder: %w", err)
	}
	for _, d := range missing {
		if err := sync(filepath.Dir(d)); err != nil {
			return err
		}
	}
	return nil
}

// missingDirs returns dir and those of its parents that do not exist,
// outermost first.
func missingDirs(dir string) ([]string, error) {
	var missing []string
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		_, err := os.Stat(d)
		if err == nil {
			break
		}
		if !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("memdb: create data folder: %w", err)
		}
		missing = append(missing, d)
		if filepath.Dir(d) == d {
			break
		}
	}
	slices.Reverse(missing)
	return missing, nil
}

// Close stops background work, syncs the journal and releases the lock.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		close(s.stop)
		s.background.Wait()
		s.closeErr = s.journal.close()
		if err := s.lock.Close(); err != nil && s.closeErr == nil {
			s.closeErr = fmt.Errorf("memdb: release lock: %w", err)
		}
	})
	return s.closeErr
}

// Ping reports a failed journal or a closed store.
func (s *Store) Ping(context.Context) error {
	return s.journal.health()
}

// update runs fn in a write transaction, commits it, and returns once its
// journal record is on disk. fn returning an error aborts the transaction.
// After a journal failure nothing runs (fail-stop, as in view).
func (s *Store) update(fn func(txn *memdb.Txn, now time.Time) error) error {
	if err := s.journal.failure(); err != nil {
		return err
	}
	txn := s.db.Txn(true)
	defer txn.Abort()
	txn.TrackChanges()
	if err := fn(txn, s.now()); err != nil {
		return s.refuse(txn, err)
	}
	changes := txn.Changes()
	if len(changes) == 0 {
		return s.journal.barrier()
	}
	payload, err := encodeChanges(changes)
	if err != nil {
		return err
	}
	if len(payload) > maxTxnSize {
		return fmt.Errorf("memdb: a transaction of %d bytes exceeds the limit of %d", len(payload), maxTxnSize)
	}
	b, err := s.journal.append(payload)
	if err != nil {
		return err
	}
	txn.Commit()
	if s.journal.sinceRotation() >= s.snapshotEvery {
		s.kickSnapshot()
	}
	return b.wait()
}

// refuse aborts txn and returns fn's error err once the disk holds what
// fn read: like a write that changes nothing, a refusal ("id taken", "not
// found") may rest on a change not yet synced, and if that change never
// reaches the disk the caller must hear of the failure, not a verdict a
// restart contradicts. The abort comes first, so that other writers need
// not wait for the sync too.
func (s *Store) refuse(txn *memdb.Txn, err error) error {
	txn.Abort()
	if jerr := s.journal.barrier(); jerr != nil {
		return jerr
	}
	return err
}

// view runs fn in a read transaction. After a journal failure memory holds
// changes the disk does not, so reads are refused too (fail-stop): nobody
// acts on a change that a restart will undo.
func (s *Store) view(fn func(txn *memdb.Txn, now time.Time) error) error {
	if err := s.journal.failure(); err != nil {
		return err
	}
	return fn(s.db.Txn(false), s.now())
}

// encodeChanges encodes a transaction as the journal keeps it: an array of
// changes, each decoded back as a change (codec.go).
func encodeChanges(cs memdb.Changes) ([]byte, error) {
	out := make([]changeOut, 0, len(cs))
	for _, c := range cs {
		obj, del := c.After, c.After == nil
		if del {
			obj = c.Before
		}
		if obj == nil {
			continue // inserted and deleted in the same transaction
		}
		out = append(out, changeOut{Table: c.Table, Delete: del, Record: obj})
	}
	b, err := encMode.Marshal(out)
	if err != nil {
		tables := make([]string, len(out))
		for i, c := range out {
			tables[i] = c.Table
		}
		return nil, fmt.Errorf("memdb: encode a transaction of %s: %w", strings.Join(tables, ", "), err)
	}
	return b, nil
}

func (s *Store) kickSnapshot() {
	select {
	case s.snapshotKick <- struct{}{}:
	default:
	}
}

// snapshotRetry is the pause after a failed snapshot.
const snapshotRetry = 30 * time.Second

func (s *Store) snapshotLoop() {
	defer s.background.Done()
	for {
		select {
		case <-s.stop:
			return
		case <-s.snapshotKick:
			err := s.Snapshot()
			if err == nil || errors.Is(err, errClosed) {
				continue
			}
			s.log.Error("memdb: snapshot failed; the journal keeps every write and a snapshot is retried later",
				"err", err, "retry_in", snapshotRetry)
			// Every write asks for a snapshot while the journal is
			// long: without a pause a failing disk would be hammered.
			select {
			case <-s.stop:
				return
			case <-time.After(snapshotRetry):
			}
		}
	}
}

// Snapshot writes a snapshot of the whole store and deletes the journal
// segments and snapshots it replaces. It runs in the background on its own;
// it is exported for tools and tests.
func (s *Store) Snapshot() error {
	s.snapshotMu.Lock()
	defer s.snapshotMu.Unlock()

	// Holding the writer lock while the journal rotates makes the read
	// transaction below see exactly the records of the old segments.
	w := s.db.Txn(true)
	seg, err := s.journal.rotate()
	read := s.db.Txn(false)
	w.Abort()
	if err != nil {
		return err
	}
	start := time.Now()
	if err := writeSnapshot(s.dir, seg, read, s.names); err != nil {
		return err
	}
	snaps, segs, err := dataFiles(s.dir)
	if err != nil {
		return err
	}
	if err := removeBefore(s.dir, seg, snaps, segs); err != nil {
		return err
	}
	s.log.Debug("memdb: snapshot written", "segment", seg, "took", time.Since(start))
	return nil
}

func (s *Store) sweepLoop(every time.Duration) {
	defer s.background.Done()
	t := time.NewTicker(every)
	defer t.Stop()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { // Close need not wait for a long sweep
		select {
		case <-s.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			if n, err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
				s.log.Error("memdb: sweeping expired records failed", "err", err)
			} else if n > 0 {
				s.log.Debug("memdb: swept expired records", "count", n)
			}
		}
	}
}

// sweepBatch bounds how many records one sweep transaction deletes, so
// that a sweep never holds the writer lock for long.
const sweepBatch = 1000

// Sweep deletes every expired record and says how many it deleted. It
// scans each expiring table in a read snapshot, which takes no lock, and
// deletes what it found expired in batches, each record only if it is
// still there and still expired: a write may have renewed it meanwhile.
// It stops between batches when ctx ends.
func (s *Store) Sweep(ctx context.Context) (int, error) {
	if err := s.journal.failure(); err != nil {
		return 0, err // "nothing expired" would be read from memory
	}
	total := 0
	for _, name := range s.names {
		expiresAt := s.tables[name].expiresAt
		if expiresAt == nil {
			continue
		}
		snapshot := s.db.Txn(false)
		it, err := snapshot.Get(name, indexID)
		if err != nil {
			return total, fmt.Errorf("memdb: sweep %s: %w", name, err)
		}
		now := s.now()
		id := s.tables[name].schema.Indexes[indexID].Indexer.(argser)
		var expired []any
		for obj := it.Next(); ; obj = it.Next() {
			if obj != nil && !store.Live(expiresAt(obj), now) {
				expired = append(expired, obj)
			}
			if len(expired) < sweepBatch && obj != nil {
				continue
			}
			n, err := s.sweepBatch(name, id, expiresAt, expired)
			total += n
			if err != nil {
				return total, fmt.Errorf("memdb: sweep %s: %w", name, err)
			}
			if obj == nil {
				break
			}
			if err := ctx.Err(); err != nil {
				return total, err
			}
			expired = expired[:0]
		}
	}
	return total, nil
}

// sweepBatch deletes those of the given records of table name whose id is
// still stored and expired now, whatever changed since the scan.
func (s *Store) sweepBatch(name string, id argser, expiresAt func(any) time.Time, expired []any) (int, error) {
	if len(expired) == 0 {
		return 0, nil
	}
	n := 0
	err := s.update(func(txn *memdb.Txn, now time.Time) error {
		n = 0
		for _, obj := range expired {
			cur, err := txn.First(name, indexID, id.argsOf(obj)...)
			if err != nil {
				return err
			}
			if cur == nil || store.Live(expiresAt(cur), now) {
				continue
			}
			if err := txn.Delete(name, cur); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}
