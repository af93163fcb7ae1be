package memdb

import (
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stepup-auth/stepup/stepup/store"
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
