package memdb

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"golang.org/x/sys/unix"
)

// journal appends framed records to the current segment file. Callers
// append under go-memdb's writer lock, which orders the records as the
// transactions committed; one flusher goroutine writes and syncs what has
// accumulated, so all the commits that arrive during one sync share the
// next one (group commit).
type journal struct {
	dir string

	mu      sync.Mutex
	pending *batch // records not yet handed to the flusher
	closed  bool
	err     error  // sticky: after a failed write nothing more is written
	records uint64 // appended since the segment began

	kick chan struct{} // wakes the flusher; capacity 1
	done chan struct{} // closed when the flusher has exited

	// Owned by the flusher goroutine.
	file *os.File
	seg  uint64
}

// batch is the records of the commits that share one sync.
type batch struct {
	buf    []byte
	rotate bool          // start a new segment after this batch
	done   chan struct{} // closed once buf is on disk (or failed)
	err    error         // set before done is closed
}

func newBatch() *batch { return &batch{done: make(chan struct{})} }

// wait blocks until the batch is synced and returns the outcome.
func (b *batch) wait() error {
	<-b.done
	return b.err
}

func segmentPath(dir string, n uint64) string {
	return filepath.Join(dir, fmt.Sprintf("journal-%020d.wal", n))
}

// openJournal continues segment seg (creating it if needed) after its first
// size bytes: anything beyond is a torn tail the loader decided to drop.
func openJournal(dir string, seg uint64, size int64, records uint64) (*journal, error) {
	f, err := os.OpenFile(segmentPath(dir, seg), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("memdb: open journal: %w", err)
	}
	if err := f.Truncate(size); err != nil {
		f.Close()
		return nil, fmt.Errorf("memdb: truncate journal: %w", err)
	}
	if _, err := f.Seek(size, 0); err != nil {
		f.Close()
		return nil, fmt.Errorf("memdb: seek journal: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, fmt.Errorf("memdb: sync journal: %w", err)
	}
	if err := syncDir(dir); err != nil {
		f.Close()
		return nil, err
	}
	j := &journal{
		dir:     dir,
		pending: newBatch(),
		records: records,
		kick:    make(chan struct{}, 1),
		done:    make(chan struct{}),
		file:    f,
		seg:     seg,
	}
	go j.flushLoop()
	return j, nil
}

var errClosed = errors.New("memdb: store is closed")

// append queues one record and returns the batch to wait on. It must be
// called in commit order (under go-memdb's writer lock).
func (j *journal) append(payload []byte) (*batch, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	switch {
	case j.err != nil:
		return nil, j.err
	case j.closed:
		return nil, errClosed
	}
	b := j.pending
	b.buf = appendFrame(b.buf, payload)
	j.records++
	j.wake()
	return b, nil
}

func (j *journal) wake() {
	select {
	case j.kick <- struct{}{}:
	default:
	}
}

// sinceRotation returns how many records the current segment holds.
func (j *journal) sinceRotation() uint64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.records
}

// rotate syncs what is pending and starts the next segment, whose number it
// returns. The caller holds go-memdb's writer lock, so no record can be
// appended between the two segments' contents and the snapshot it takes.
func (j *journal) rotate() (uint64, error) {
	j.mu.Lock()
	if j.err != nil || j.closed {
		err := j.err
		if err == nil {
			err = errClosed
		}
		j.mu.Unlock()
		return 0, err
	}
	b := j.pending
	b.rotate = true
	j.records = 0
	j.wake()
	j.mu.Unlock()
	if err := b.wait(); err != nil {
		return 0, err
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.seg, nil
}

// close syncs what is pending and closes the segment file.
func (j *journal) close() error {
	j.mu.Lock()
	if j.closed {
		j.mu.Unlock()
		<-j.done
		return nil
	}
	j.closed = true
	j.wake()
	j.mu.Unlock()
	<-j.done
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.err
}

// failure returns the sticky write error, if any.
func (j *journal) failure() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.err
}

// health returns why the journal cannot take writes: a failure or Close.
func (j *journal) health() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.err == nil && j.closed {
		return errClosed
	}
	return j.err
}

func (j *journal) flushLoop() {
	defer close(j.done)
	defer func() { j.file.Close() }() // the file of the last segment
	for range j.kick {
		j.mu.Lock()
		b := j.pending
		j.pending = newBatch()
		closed := j.closed
		j.mu.Unlock()

		err := j.flush(b)
		if err != nil {
			j.mu.Lock()
			if j.err == nil {
				j.err = fmt.Errorf("memdb: journal write failed; the store accepts no more writes until it is reopened: %w", err)
			}
			b.err = j.err
			j.mu.Unlock()
		}
		close(b.done)
		if closed {
			return
		}
	}
}

// flush writes one batch and syncs it; it runs only in the flusher.
func (j *journal) flush(b *batch) error {
	if err := j.failure(); err != nil {
		return err
	}
	if len(b.buf) > 0 {
		if _, err := j.file.Write(b.buf); err != nil {
			return err
		}
		// fdatasync is enough: the file size it also flushes is the only
		// metadata a reader needs.
		if err := unix.Fdatasync(int(j.file.Fd())); err != nil {
			return err
		}
	}
	if !b.rotate {
		return nil
	}
	next, err := os.OpenFile(segmentPath(j.dir, j.seg+1), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if err := syncDir(j.dir); err != nil {
		next.Close()
		return err
	}
	j.file.Close()
	j.mu.Lock()
	j.file, j.seg = next, j.seg+1
	j.mu.Unlock()
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
