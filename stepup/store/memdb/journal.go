package memdb

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// journal appends transactions to the current segment file. Callers
// append under go-memdb's writer lock, which orders them as they committed;
// one flusher goroutine writes and syncs what has accumulated as one frame,
// so all the commits that arrive during one sync share the next one (group
// commit).
type journal struct {
	dir string

	mu       sync.Mutex
	pending  *batch // transactions not yet handed to the flusher
	inflight *batch // the batch being written, if any
	closed   bool
	err      error  // sticky: after a failed write nothing more is written
	records  uint64 // transactions in the current segment

	// failed mirrors err for readers, who must not take a lock.
	failed atomic.Pointer[error]

	// spare is the storage of the last batch written, for the next: a
	// batch grows to the size of one sync's commits, and allocating that
	// afresh for every sync is garbage the collector has to chase. Owned
	// by the flusher goroutine.
	spare []byte

	kick chan struct{} // wakes the flusher; capacity 1
	done chan struct{} // closed when the flusher has exited

	// Owned by the flusher goroutine (seg also read under mu). The
	// segment's frames end at off; from there to reserved the file holds
	// zeros written ahead (reserve).
	file     *os.File
	seg      uint64
	salt     uint64
	off      int64
	reserved int64
}

// batch is the transactions of the commits that share one sync. buf is
// one frame: a reserved header, then each transaction as a uvarint length
// and its bytes.
type batch struct {
	buf       []byte
	n         int
	rotate    bool          // start a new segment after this batch
	done      chan struct{} // closed once buf is on disk (or failed)
	err       error         // the write's outcome, set before done is closed
	rotateErr error         // why the new segment could not be started
}

// newBatch starts a batch in buf's storage (nil for new storage).
func newBatch(buf []byte) *batch {
	return &batch{buf: reserveFrame(buf[:0]), done: make(chan struct{})}
}

// wait blocks until the batch is synced and returns the outcome.
func (b *batch) wait() error {
	<-b.done
	return b.err
}

func segmentPath(dir string, n uint64) string {
	return filepath.Join(dir, fmt.Sprintf("journal-%020d.wal", n))
}

// openJournal continues segment seg after its first size bytes (anything
// beyond is a torn tail the loader decided to drop). A segment without a
// whole header is started afresh.
func openJournal(dir string, seg uint64, size int64, salt uint64, records uint64) (*journal, error) {
	var (
		f   *os.File
		err error
	)
	if size < int64(segmentHeader) {
		f, salt, err = createSegment(dir, seg, os.O_TRUNC)
	} else {
		f, err = continueSegment(dir, seg, size)
	}
	if err != nil {
		return nil, err
	}
	j := &journal{
		dir:     dir,
		pending: newBatch(nil),
		records: records,
		kick:    make(chan struct{}, 1),
		done:    make(chan struct{}),
		file:    f,
		seg:     seg,
		salt:    salt,
	}
	j.off = max(size, int64(segmentHeader))
	j.reserved = j.off
	go j.flushLoop()
	return j, nil
}

// createSegment creates segment n with a new header, synced with its
// folder entry before any frame can follow it. If that fails, the file is
// removed again: left behind, it would stand in the way of the next
// rotation (segments are created O_EXCL) while the journal goes on in
// segment n-1.
func createSegment(dir string, n uint64, flag int) (*os.File, uint64, error) {
	path := segmentPath(dir, n)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|flag, 0o600)
	if err != nil {
		return nil, 0, fmt.Errorf("memdb: create journal segment: %w", err)
	}
	salt, err := startSegment(f, dir)
	if err != nil {
		f.Close()
		discardSegment(dir, path)
		return nil, 0, err
	}
	return f, salt, nil
}

// startSegment writes and syncs a new segment's header and its folder entry.
func startSegment(f *os.File, dir string) (uint64, error) {
	header, salt := newSegmentHeader()
	if _, err := f.Write(header); err != nil {
		return 0, fmt.Errorf("memdb: write journal segment header: %w", err)
	}
	if err := f.Sync(); err != nil {
		return 0, fmt.Errorf("memdb: sync journal segment: %w", err)
	}
	if err := syncDir(dir); err != nil {
		return 0, err
	}
	return salt, nil
}

// discardSegment removes a segment whose creation failed. It is best
// effort: the failure being reported is the creation's, and a segment that
// survives without frames (the removal failed, or a crash lost it) is read
// at start-up as holding nothing.
func discardSegment(dir, path string) {
	if os.Remove(path) == nil {
		_ = syncDir(dir)
	}
}

// continueSegment opens segment n for appending after its first size bytes.
func continueSegment(dir string, n uint64, size int64) (*os.File, error) {
	f, err := os.OpenFile(segmentPath(dir, n), os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("memdb: open journal: %w", err)
	}
	fail := func(what string, err error) (*os.File, error) {
		f.Close()
		return nil, fmt.Errorf("memdb: %s journal: %w", what, err)
	}
	// Cutting off what follows the frames, torn write or reserved zeros,
	// leaves nothing behind them that a later frame could be misread with.
	if fi, err := f.Stat(); err != nil {
		return fail("stat", err)
	} else if fi.Size() != size {
		if err := f.Truncate(size); err != nil {
			return fail("truncate", err)
		}
		if err := f.Sync(); err != nil {
			return fail("sync", err)
		}
	}
	if _, err := f.Seek(size, 0); err != nil {
		return fail("seek", err)
	}
	return f, nil
}

// reserveChunk is how much zeroed space the journal writes ahead of its
// frames at a time. Overwriting blocks that already hold data changes no
// file metadata, so the fdatasync after each batch only flushes the data:
// on this project's reference machine (ext4 on a virtual disk) that sync
// took 90 µs and 60 µs of CPU instead of an append's 290 µs and 130 µs.
// The sync that follows a reservation pays for the chunk and the new
// size, about what one append cost (BenchmarkFsync).
const reserveChunk = 256 << 10

var zeroChunk = make([]byte, reserveChunk)

// reserve makes sure n bytes after off are zeroed space of the file, by
// writing zeros at its end with pwrite, which leaves the file's position
// at off for the frames. The batch's own sync makes them durable.
func (j *journal) reserve(n int64) error {
	for j.off+n > j.reserved {
		if _, err := j.file.WriteAt(zeroChunk, j.reserved); err != nil {
			return err
		}
		j.reserved += reserveChunk
	}
	return nil
}

var errClosed = errors.New("memdb: store is closed")

// maxSpare bounds the batch storage kept for reuse, so that one burst does
// not pin a large buffer for good.
const maxSpare = 1 << 20

// append queues one transaction and returns the batch to wait on. It must
// be called in commit order (under go-memdb's writer lock).
func (j *journal) append(txn []byte) (*batch, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	switch {
	case j.err != nil:
		return nil, j.err
	case j.closed:
		return nil, errClosed
	case len(j.pending.buf)+binary.MaxVarintLen64+len(txn) > maxFrameSize:
		return nil, errors.New("memdb: too much is waiting for the disk; try again")
	}
	b := j.pending
	b.buf = binary.AppendUvarint(b.buf, uint64(len(txn)))
	b.buf = append(b.buf, txn...)
	b.n++
	j.records++
	j.wake()
	return b, nil
}

// barrier waits until every transaction appended so far is on disk. A
// transaction that changed nothing calls it: what it read (say, "already
// revoked") may be a change not yet synced, and its caller must not hear
// of it before it is durable.
func (j *journal) barrier() error {
	j.mu.Lock()
	if j.err != nil {
		defer j.mu.Unlock()
		return j.err
	}
	b := j.pending
	if b.n == 0 {
		b = j.inflight // the pending batch waits for no one; the one on its way might
	}
	j.mu.Unlock()
	if b == nil {
		return nil
	}
	return b.wait()
}

func (j *journal) wake() {
	select {
	case j.kick <- struct{}{}:
	default:
	}
}

// sinceRotation returns how many transactions the current segment holds.
func (j *journal) sinceRotation() uint64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.records
}

// rotate syncs what is pending and starts the next segment, whose number it
// returns. The caller holds go-memdb's writer lock, so no transaction can
// be appended between the old segment's contents and the snapshot the
// caller takes. If the new segment cannot be created, the journal goes on
// in the old one and rotate reports why.
func (j *journal) rotate() (uint64, error) {
	j.mu.Lock()
	if err := j.healthLocked(); err != nil {
		j.mu.Unlock()
		return 0, err
	}
	b := j.pending
	b.rotate = true
	j.wake()
	j.mu.Unlock()
	if err := b.wait(); err != nil {
		return 0, err
	}
	if b.rotateErr != nil {
		return 0, b.rotateErr
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	j.records = 0
	return j.seg, nil
}

// close syncs what is pending and closes the segment file.
func (j *journal) close() error {
	j.mu.Lock()
	already := j.closed
	j.closed = true
	j.wake()
	j.mu.Unlock()
	<-j.done
	if already {
		return nil
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.err
}

// health returns why the journal cannot take writes: a failure or Close.
func (j *journal) health() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.healthLocked()
}

func (j *journal) healthLocked() error {
	if j.err == nil && j.closed {
		return errClosed
	}
	return j.err
}

// failure returns the sticky write error without taking the lock.
func (j *journal) failure() error {
	if p := j.failed.Load(); p != nil {
		return *p
	}
	return nil
}

func (j *journal) flushLoop() {
	defer close(j.done)
	defer func() { j.file.Close() }() // the file of the last segment

	busy := false // the last batch was shared
	for range j.kick {
		if busy {
			// Let the writers that are ready to run append first, so that
			// the sync carries them too, as PostgreSQL's commit_delay does
			// while other transactions are active: a sync costs 60 µs of
			// CPU here, and a lone writer never waits. Durable writes by
			// 16 writers went from 31,000/s to 41,000/s.
			runtime.Gosched()
		}
		j.mu.Lock()
		b := j.pending
		j.pending = newBatch(j.spare)
		j.spare = nil
		j.inflight = b
		closed := j.closed
		failed := j.err
		j.mu.Unlock()

		busy = b.n > 1
		b.err = failed
		if failed == nil {
			if err := j.flush(b); err != nil {
				err = fmt.Errorf("memdb: journal write failed; the store refuses reads and writes until it is reopened: %w", err)
				j.mu.Lock()
				j.err = err
				j.failed.Store(&err)
				j.mu.Unlock()
				b.err = err
			}
		}
		j.mu.Lock()
		j.inflight = nil
		j.mu.Unlock()
		if cap(b.buf) <= maxSpare {
			j.spare = b.buf // written: nobody reads it again
		}
		b.buf = nil
		close(b.done)
		if closed {
			return
		}
	}
}

// flush writes one batch as one frame and syncs it, then starts a new
// segment if asked. It runs only in the flusher.
func (j *journal) flush(b *batch) error {
	if b.n > 0 {
		sealFrame(b.buf, 0, j.salt)
		if err := j.reserve(int64(len(b.buf))); err != nil {
			return err
		}
		if _, err := j.file.Write(b.buf); err != nil { // at off: frames are the file's only plain writes
			return err
		}
		j.off += int64(len(b.buf))
		// fdatasync is enough: the file size it also flushes is the only
		// metadata a reader needs.
		if err := unix.Fdatasync(int(j.file.Fd())); err != nil {
			return err
		}
	}
	if b.rotate {
		// The segment left behind keeps no reserved space: zeros before
		// a later segment's frames could be frames a disk lost, and
		// recovery refuses them there (replaySegment).
		if j.reserved > j.off {
			if err := j.file.Truncate(j.off); err != nil {
				b.rotateErr = fmt.Errorf("memdb: trim journal segment before rotating: %w", err)
				return nil // the old segment takes the writes that follow
			}
			j.reserved = j.off
			if err := j.file.Sync(); err != nil {
				b.rotateErr = fmt.Errorf("memdb: trim journal segment before rotating: %w", err)
				return nil
			}
		}
		next, salt, err := createSegment(j.dir, j.seg+1, os.O_EXCL)
		if err != nil {
			b.rotateErr = err // the old segment takes the writes that follow
			return nil
		}
		j.file.Close()
		j.off, j.reserved = int64(segmentHeader), int64(segmentHeader)
		j.mu.Lock()
		j.file, j.seg, j.salt = next, j.seg+1, salt
		j.mu.Unlock()
	}
	return nil
}

// syncDir makes a created, renamed or removed file in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("memdb: sync data folder: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("memdb: sync data folder: %w", err)
	}
	return nil
}
