package memdb

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/stepup/store"
	"golang.org/x/sys/unix"
)

// Tests for failure modes found in review: each failed before its fix.

// A batch is one write before one sync; a crash may persist its pages in
// any order. Whatever survives of an unsynced batch, the store opens.
func TestTornBatchWithIntactLaterPagesIsDropped(t *testing.T) {
	dir := t.TempDir()
	fill(t, dir, 2)
	seg := segmentPath(dir, 1)
	data, err := os.ReadFile(seg)
	if err != nil {
		t.Fatal(err)
	}
	salt, _ := parseSegmentHeader(data)
	// A batch of three transactions, then the first one's bytes zeroed
	// as if its page never reached the disk while the others did.
	var txns [][]byte
	for _, id := range []string{"x1", "x2", "x3"} {
		rec, _ := encMode.Marshal(&store.User{ID: id})
		txn, _ := encMode.Marshal([]change{{Table: tableUsers, Record: rec}})
		txns = append(txns, txn)
	}
	batch := reserveFrame(nil)
	for _, txn := range txns {
		batch = binary.AppendUvarint(batch, uint64(len(txn)))
		batch = append(batch, txn...)
	}
	sealFrame(batch, 0, salt)
	clear(batch[frameHeader : frameHeader+1+len(txns[0])])
	os.WriteFile(seg, append(data, batch...), 0o600)

	s, logs, err := reopen(t, dir)
	if err != nil {
		t.Fatalf("Open after a torn batch: %v", err)
	}
	if ids := userIDs(t, s); len(ids) != 2 || ids["x2"] {
		t.Fatalf("users after a torn batch: %v; want u0, u1", ids)
	}
	if !strings.Contains(logs.String(), "torn write") {
		t.Errorf("no warning: %s", logs)
	}
}

// Bytes a user controls can hold a frame that would be valid without the
// segment's salt; inside a torn tail it must not pass for a valid frame.
func TestForgedFrameInTornTailIsNotValid(t *testing.T) {
	dir := t.TempDir()
	fill(t, dir, 2)
	seg := segmentPath(dir, 1)
	data, _ := os.ReadFile(seg)
	salt, _ := parseSegmentHeader(data)
	forged := appendFrame(nil, 0, []byte("a frame an attacker made"))
	rec, _ := encMode.Marshal(&store.User{ID: "mallory", DisplayName: string(forged)})
	txn, _ := encMode.Marshal([]change{{Table: tableUsers, Record: rec}})
	batch := append(binary.AppendUvarint(reserveFrame(nil), uint64(len(txn))), txn...)
	sealFrame(batch, 0, salt)
	os.WriteFile(seg, append(data, batch[:len(batch)-2]...), 0o600) // torn

	s, _, err := reopen(t, dir)
	if err != nil {
		t.Fatalf("a forged frame inside a torn tail stopped start-up: %v", err)
	}
	if ids := userIDs(t, s); len(ids) != 2 {
		t.Fatalf("users: %v", ids)
	}
}

// A write that changes nothing answers from memory, which may hold a change
// not yet on disk: it must not answer before that change is durable, nor
// after the disk failed.
func TestNoOpWriteWaitsForTheDisk(t *testing.T) {
	s, _, err := reopen(t, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	s.Users().Create(ctx, &store.User{ID: "u"})
	s.RefreshFamilies().Create(ctx, &store.RefreshFamily{ID: "f", UserID: "u", TokenHash: "h"})
	s.journal.file.Close() // the disk fails
	if err := s.RefreshFamilies().Revoke(ctx, "f"); err == nil {
		t.Fatal("a revocation that never reached the disk was acknowledged")
	}
	if err := s.RefreshFamilies().Revoke(ctx, "f"); err == nil {
		t.Fatal("a second revocation, which changes nothing in memory, was acknowledged although the first never reached the disk")
	}
	if _, err := s.AccessTokens().DeleteByFamily(ctx, "f"); err == nil {
		t.Fatal("an empty DeleteByFamily answered despite the failed disk")
	}
}

func TestFailedRotationKeepsTheStoreWritable(t *testing.T) {
	dir := t.TempDir()
	s, _, err := reopen(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	s.Users().Create(ctx, &store.User{ID: "before"})
	// Something in the way of the next segment, as EMFILE or a full inode
	// table would be.
	os.Mkdir(segmentPath(dir, 2), 0o700)
	if err := s.Snapshot(); err == nil {
		t.Fatal("Snapshot succeeded without a new segment")
	}
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("a failed snapshot made the store unhealthy: %v", err)
	}
	if err := s.Users().Create(ctx, &store.User{ID: "after"}); err != nil {
		t.Fatalf("a failed snapshot stopped writes: %v", err)
	}
	s.Close()
	os.Remove(segmentPath(dir, 2))
	s, _, err = reopen(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	if ids := userIDs(t, s); !ids["before"] || !ids["after"] {
		t.Fatalf("users after reopen: %v", ids)
	}
}

func TestOversizedTransactionIsRefused(t *testing.T) {
	s, _, err := reopen(t, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	big := &store.User{ID: "big", DisplayName: strings.Repeat("x", maxTxnSize+1)}
	if err := s.Users().Create(ctx, big); err == nil || !strings.Contains(err.Error(), "exceeds the limit") {
		t.Fatalf("Create of a %d-byte record = %v", maxTxnSize, err)
	}
	if _, err := s.Users().Get(ctx, "big"); err == nil {
		t.Fatal("the refused record is visible")
	}
	if err := s.Users().Create(ctx, &store.User{ID: "small"}); err != nil {
		t.Fatalf("the store is unusable after a refused transaction: %v", err)
	}
}

func TestRenamedSnapshotIsRefused(t *testing.T) {
	dir := t.TempDir()
	fill(t, dir, 3)
	s, _, _ := reopen(t, dir)
	if err := s.Snapshot(); err != nil {
		t.Fatal(err)
	}
	s.Close()
	os.Rename(snapshotPath(dir, 2), snapshotPath(dir, 7))
	if _, _, err := reopen(t, dir); err == nil || !strings.Contains(err.Error(), "renamed or copied") {
		t.Fatalf("Open with a renamed snapshot = %v", err)
	}
}

func TestOnlyOwnTemporaryFilesAreRemoved(t *testing.T) {
	dir := t.TempDir()
	mine := snapshotPath(dir, 5) + ".tmp"
	theirs := filepath.Join(dir, "operator-notes.tmp")
	os.WriteFile(mine, []byte("half a snapshot"), 0o600)
	os.WriteFile(theirs, []byte("keep me"), 0o600)
	if _, _, err := reopen(t, dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(mine); !os.IsNotExist(err) {
		t.Error("an unfinished snapshot was left behind")
	}
	if _, err := os.Stat(theirs); err != nil {
		t.Errorf("a file that is not stepup's was removed: %v", err)
	}
}

// A rotation that created its segment but could not sync the folder (out
// of file descriptors here) goes on in the old segment; the new file must
// not stay behind, or every later rotation fails on it.
func TestFailedRotationRemovesItsSegment(t *testing.T) {
	dir := t.TempDir()
	s, _, err := reopen(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.Users().Create(ctx, &store.User{ID: "before"}); err != nil {
		t.Fatal(err)
	}
	var serr error
	withOneFreeDescriptor(t, func() { serr = s.Snapshot() })
	if serr == nil || !strings.Contains(serr.Error(), "sync data folder") {
		t.Fatalf("Snapshot with one file descriptor to spare = %v, want the folder sync to fail", serr)
	}
	if _, err := os.Stat(segmentPath(dir, 2)); !os.IsNotExist(err) {
		t.Fatalf("the segment of the failed rotation is still there (stat: %v)", err)
	}
	if err := s.Users().Create(ctx, &store.User{ID: "after"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Snapshot(); err != nil {
		t.Fatalf("Snapshot after a failed rotation: %v", err)
	}
}

// withOneFreeDescriptor runs fn while the process may open just one more
// file. The lowest free descriptor is the one the next open takes, so a
// limit one above it lets exactly that open succeed.
func withOneFreeDescriptor(t *testing.T, fn func()) {
	t.Helper()
	lowest, err := unix.Dup(0)
	if err != nil {
		t.Fatal(err)
	}
	unix.Close(lowest)
	var old unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &old); err != nil {
		t.Fatal(err)
	}
	capped := old
	capped.Cur = uint64(lowest + 1)
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &capped); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &old); err != nil {
			t.Fatal(err)
		}
	}()
	fn()
}

// A segment without frames after the one the journal was writing (left by
// a failed rotation whose removal did not survive a crash) does not make
// a torn last record read as corruption followed by valid records.
func TestTornTailBeforeFramelessSegmentsIsDropped(t *testing.T) {
	header, _ := newSegmentHeader()
	reserved := append(header, make([]byte, reserveChunk)...)
	for name, later := range map[string][]byte{"header only": header, "empty": nil, "header and reserved space": reserved} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			fill(t, dir, 5)
			seg := segmentPath(dir, 1)
			offs := frameOffsets(t, seg)
			if err := os.Truncate(seg, int64(offs[len(offs)-1]+frameHeader+1)); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(segmentPath(dir, 2), later, 0o600); err != nil {
				t.Fatal(err)
			}
			s, logs, err := reopen(t, dir)
			if err != nil {
				t.Fatalf("Open after a torn tail before a frameless segment: %v", err)
			}
			if ids := userIDs(t, s); len(ids) != 4 || ids["u4"] {
				t.Fatalf("users: %v; want u0..u3", ids)
			}
			if !strings.Contains(logs.String(), "torn write") {
				t.Errorf("no warning: %s", logs)
			}
			// Writes now go to segment 2, after the dropped tail: it must
			// not read as corruption at the next start.
			if err := s.Users().Create(context.Background(), &store.User{ID: "after"}); err != nil {
				t.Fatal(err)
			}
			s.Close()
			s, logs, err = reopen(t, dir)
			if err != nil || !userIDs(t, s)["after"] || strings.Contains(logs.String(), "torn") {
				t.Fatalf("second reopen: err=%v, logs=%s", err, logs)
			}
		})
	}
}

// Only frameless segments make a torn end a tail: one with frames after it
// is still corruption.
func TestTornSegmentBeforeFramesRefusesToStart(t *testing.T) {
	dir := t.TempDir()
	fill(t, dir, 5)
	rotated(t, dir)
	seg := segmentPath(dir, 1)
	offs := frameOffsets(t, seg)
	os.Truncate(seg, int64(offs[len(offs)-1]+frameHeader+1))
	if _, _, err := reopen(t, dir); err == nil || !strings.Contains(err.Error(), "valid records follow") {
		t.Fatalf("Open = %v, want a corruption error", err)
	}
}

// After a journal failure the store refuses every write, including one
// whose answer memory alone would give: "id taken" by a change the disk
// never got is a verdict a restart contradicts.
func TestAfterJournalFailureEveryWriteIsRefused(t *testing.T) {
	s, _, err := reopen(t, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.Users().Create(ctx, &store.User{ID: "u"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Authenticators().Create(ctx, &store.Authenticator{ID: "a", UserID: "u"}); err != nil {
		t.Fatal(err)
	}
	s.journal.file.Close() // the disk fails
	if err := s.Users().Create(ctx, &store.User{ID: "lost", Username: "lost"}); err == nil {
		t.Fatal("a write whose journal record failed was acknowledged")
	}
	if err := s.Authenticators().AdvanceCounter(ctx, "a", 5); err == nil {
		t.Fatal("a counter advance whose journal record failed was acknowledged")
	}
	for name, write := range map[string]func() error{
		"Create of the lost id":           func() error { return s.Users().Create(ctx, &store.User{ID: "lost"}) },
		"Create of the lost username":     func() error { return s.Users().Create(ctx, &store.User{ID: "other", Username: "lost"}) },
		"AdvanceCounter to the lost step": func() error { return s.Authenticators().AdvanceCounter(ctx, "a", 5) },
		"Delete of a missing record":      func() error { return s.Users().Delete(ctx, "nobody") },
		"Sweep":                           func() error { _, err := s.Sweep(ctx); return err },
	} {
		if err := write(); err == nil || !strings.Contains(err.Error(), "refuses reads and writes") {
			t.Errorf("%s after a journal failure = %v, want the refusal", name, err)
		}
	}
}

// A write that fails answers only once what it read is on disk: its "id
// taken" may rest on a change still on its way, and if that change never
// gets there the answer is the failure.
func TestRefusedWriteWaitsForTheDisk(t *testing.T) {
	s, _, err := reopen(t, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	fail := stallJournal(t, s)
	first := make(chan error, 1)
	go func() { first <- s.Users().Create(ctx, &store.User{ID: "u"}) }()
	for deadline := time.Now().Add(10 * time.Second); ; runtime.Gosched() { // until the first Create has committed in memory
		if _, err := s.Users().Get(ctx, "u"); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the first Create is not visible after 10s")
		}
	}
	second := make(chan error, 1)
	go func() { second <- s.Users().Create(ctx, &store.User{ID: "u"}) }()
	fail()
	if err := <-first; err == nil {
		t.Fatal("a write whose journal record failed was acknowledged")
	}
	if err := <-second; err == nil || errors.Is(err, store.ErrConflict) {
		t.Fatalf("a Create refused for a change that never reached the disk = %v, want the journal failure", err)
	}
}

// stallJournal puts a full pipe in place of the journal's file, a disk
// that holds the next write until the returned fail is called and then
// fails its sync (fdatasync of a pipe does).
func stallJournal(t *testing.T, s *Store) (fail func()) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	size, err := unix.FcntlInt(w.Fd(), unix.F_GETPIPE_SZ, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(make([]byte, size)); err != nil {
		t.Fatal(err)
	}
	// The flusher is idle, and the next append's wake-up orders this
	// before its next use of the file, which Close closes.
	s.journal.file.Close()
	s.journal.file = w
	s.journal.reserved = math.MaxInt64 // a pipe has no room to reserve
	var once sync.Once
	fail = func() {
		once.Do(func() {
			go func() {
				io.Copy(io.Discard, r)
				r.Close()
			}()
		})
	}
	t.Cleanup(fail) // before the store's Close, which would wait for the write
	return fail
}
