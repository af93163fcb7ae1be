package memdb

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stepup-auth/stepup/stepup/store"
)

// These tests damage the data folder the way crashes, disks and operators
// do, and check that Open either recovers cleanly or refuses with a clear
// message, never panics, and never drops an acknowledged write silently.

// fill opens a store in dir, creates users u0..u(n-1), one transaction
// each, and closes it.
func fill(t *testing.T, dir string, n int) {
	t.Helper()
	s, err := Open(Options{Dir: dir, SweepInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if err := s.Users().Create(context.Background(), &store.User{ID: fmt.Sprintf("u%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

// reopen opens dir with a logger whose output it returns.
func reopen(t *testing.T, dir string) (*Store, *bytes.Buffer, error) {
	t.Helper()
	var logs bytes.Buffer
	s, err := Open(Options{Dir: dir, SweepInterval: -1, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err == nil {
		t.Cleanup(func() { s.Close() })
	}
	return s, &logs, err
}

// userIDs lists the users in s.
func userIDs(t *testing.T, s *Store) map[string]bool {
	t.Helper()
	users, err := s.Users().List(context.Background(), store.Page{Limit: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, u := range users {
		ids[u.ID] = true
	}
	return ids
}

// frameOffsets returns the file offset of every frame in a segment, up to
// the zeros the journal reserves after them.
func frameOffsets(t *testing.T, path string) []int {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	salt, ok := parseSegmentHeader(data)
	if !ok {
		t.Fatalf("%s has no segment header", path)
	}
	var offs []int
	for off := segmentHeader; off <= lastNonZero(data); {
		_, next, reason := frameAt(data[segmentHeader:], off-segmentHeader, salt)
		if reason != "" {
			t.Fatalf("frame at %d: %s", off, reason)
		}
		offs = append(offs, off)
		off = next + segmentHeader
	}
	return offs
}

func flipBit(t *testing.T, path string, at int) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data[at] ^= 0x10
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestTornTailIsDroppedWithWarning(t *testing.T) {
	for _, cut := range []int{1, frameHeader - 1, frameHeader + 3} {
		t.Run(fmt.Sprintf("cut%d", cut), func(t *testing.T) {
			dir := t.TempDir()
			fill(t, dir, 10)
			seg := segmentPath(dir, 1)
			offs := frameOffsets(t, seg)
			// Cut the last record short: as if the process died inside write().
			if err := os.Truncate(seg, int64(offs[len(offs)-1]+cut)); err != nil {
				t.Fatal(err)
			}
			s, logs, err := reopen(t, dir)
			if err != nil {
				t.Fatalf("Open after a torn tail: %v", err)
			}
			if !strings.Contains(logs.String(), "torn write") {
				t.Errorf("no warning logged; logs: %s", logs)
			}
			ids := userIDs(t, s)
			if len(ids) != 9 || ids["u9"] {
				t.Fatalf("after dropping the torn last record: %d users (u9 present: %v), want u0..u8", len(ids), ids["u9"])
			}
			// The tail is cut off, so new writes follow valid records and
			// survive the next start.
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

func TestCorruptLastRecordIsDropped(t *testing.T) {
	dir := t.TempDir()
	fill(t, dir, 5)
	seg := segmentPath(dir, 1)
	offs := frameOffsets(t, seg)
	flipBit(t, seg, offs[len(offs)-1]+frameHeader+2) // inside the last payload
	s, logs, err := reopen(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	if ids := userIDs(t, s); len(ids) != 4 || !strings.Contains(logs.String(), "checksum mismatch") {
		t.Fatalf("got %d users, logs %q; want 4 users and a checksum warning", len(ids), logs)
	}
}

func TestGarbageTailIsDropped(t *testing.T) {
	dir := t.TempDir()
	fill(t, dir, 3)
	f, err := os.OpenFile(segmentPath(dir, 1), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write(make([]byte, 4096)) // a file extended with zeros by a power loss
	f.Close()
	s, _, err := reopen(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(userIDs(t, s)); n != 3 {
		t.Fatalf("got %d users, want 3", n)
	}
}

func TestCorruptionBeforeValidRecordsRefusesToStart(t *testing.T) {
	for name, at := range map[string]func(off int) int{
		"payload":  func(off int) int { return off + frameHeader + 1 },
		"length":   func(off int) int { return off },
		"checksum": func(off int) int { return off + 5 },
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			fill(t, dir, 10)
			seg := segmentPath(dir, 1)
			offs := frameOffsets(t, seg)
			flipBit(t, seg, at(offs[4]))
			before, _ := os.ReadFile(seg)
			_, _, err := reopen(t, dir)
			if err == nil || !strings.Contains(err.Error(), "corrupt") || !strings.Contains(err.Error(), "valid records follow") {
				t.Fatalf("Open = %v, want a corruption error naming the valid records after it", err)
			}
			if after, _ := os.ReadFile(seg); !bytes.Equal(before, after) {
				t.Fatal("Open changed a journal it refused to load")
			}
		})
	}
}

func TestCorruptSnapshotRefusesToStart(t *testing.T) {
	dir := t.TempDir()
	fill(t, dir, 10)
	s, _, err := reopen(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Snapshot(); err != nil {
		t.Fatal(err)
	}
	s.Close()
	snap := snapshotPath(dir, 2)
	fi, err := os.Stat(snap)
	if err != nil {
		t.Fatal(err)
	}
	flipBit(t, snap, int(fi.Size()/2))
	if _, _, err := reopen(t, dir); err == nil || !strings.Contains(err.Error(), "snapshot") {
		t.Fatalf("Open = %v, want a snapshot corruption error", err)
	}
}

func TestSnapshotCompactsJournal(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(Options{Dir: dir, SnapshotEvery: 1000, SweepInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := range 2500 {
		if err := s.Users().Create(ctx, &store.User{ID: fmt.Sprintf("u%04d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Users().Delete(ctx, "u0000"); err != nil {
		t.Fatal(err)
	}
	if err := s.Snapshot(); err != nil {
		t.Fatal(err)
	}
	s.Close()
	snaps, segs, err := dataFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(snaps) != 1 || len(segs) != 1 || segs[0] != snaps[0] {
		t.Fatalf("after a snapshot: snapshots %v, segments %v; want one of each, the same number", snaps, segs)
	}
	s2, _, err := reopen(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	if ids := userIDs(t, s2); len(ids) != 2499 || ids["u0000"] {
		t.Fatalf("after reopening from the snapshot: %d users (deleted one present: %v)", len(ids), ids["u0000"])
	}
}

func TestMissingSegmentRefusesToStart(t *testing.T) {
	dir := t.TempDir()
	fill(t, dir, 3)
	s, _, _ := reopen(t, dir)
	// Rotate twice without snapshots surviving: segments 1, 2, 3.
	for range 2 {
		w := s.db.Txn(true)
		if _, err := s.journal.rotate(); err != nil {
			t.Fatal(err)
		}
		w.Abort()
	}
	s.Close()
	os.Remove(segmentPath(dir, 2))
	if _, _, err := reopen(t, dir); err == nil || !strings.Contains(err.Error(), "segment 2 is missing") {
		t.Fatalf("Open = %v, want an error naming the missing segment", err)
	}
}

func TestMissingDataFolderIsCreated(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	s, logs, err := reopen(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Users().Create(context.Background(), &store.User{ID: "u"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "created data folder") {
		t.Errorf("creating the folder was not logged: %s", logs)
	}
}

func TestDataFolderThatIsAFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "file")
	os.WriteFile(path, nil, 0o600)
	if _, _, err := reopen(t, path); err == nil || !strings.Contains(err.Error(), "not a folder") {
		t.Fatalf("Open = %v, want 'not a folder'", err)
	}
}

func TestSecondOpenIsRefused(t *testing.T) {
	dir := t.TempDir()
	s, _, err := reopen(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = reopen(t, dir)
	if err == nil || !strings.Contains(err.Error(), "in use by process") {
		t.Fatalf("second Open = %v, want 'in use by process'", err)
	}
	s.Close()
	if _, _, err := reopen(t, dir); err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
}

func TestReadOnlyDataFolder(t *testing.T) {
	for name, populate := range map[string]func(t *testing.T, dir string){
		"empty":     func(*testing.T, string) {},
		"with data": func(t *testing.T, dir string) { fill(t, dir, 3) },
	} {
		t.Run(name, func(t *testing.T) {
			dir := readOnlyDir(t, populate)
			_, _, err := reopen(t, dir)
			if err == nil || !strings.Contains(err.Error(), "not writable") {
				t.Fatalf("Open of a read-only folder = %v, want 'not writable'", err)
			}
		})
	}
}

// readOnlyDir returns a folder, filled by populate, that this process
// cannot write to. Root ignores permission bits, so as root it is a tmpfs
// remounted read-only, which fails writes as a read-only disk does.
func readOnlyDir(t *testing.T, populate func(t *testing.T, dir string)) string {
	dir := t.TempDir()
	if os.Geteuid() != 0 {
		populate(t, dir)
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			os.Chmod(filepath.Join(dir, e.Name()), 0o400)
		}
		os.Chmod(dir, 0o500)
		t.Cleanup(func() { os.Chmod(dir, 0o700) })
		return dir
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "tmpfs", dir).CombinedOutput(); err != nil {
		skipOrFail(t, "making a read-only folder as root needs mount(8) with CAP_SYS_ADMIN: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", dir).Run() })
	populate(t, dir)
	if out, err := exec.Command("mount", "-o", "remount,ro", dir).CombinedOutput(); err != nil {
		t.Fatalf("remount read-only: %v: %s", err, out)
	}
	return dir
}

// skipOrFail skips on a developer machine that lacks something, and fails
// under CI, where everything must be present.
func skipOrFail(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}

func TestJournalFailureStopsWrites(t *testing.T) {
	dir := t.TempDir()
	s, _, err := reopen(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	// Take the file away from under the flusher, as a dying disk would.
	s.journal.file.Close()
	ctx := context.Background()
	if err := s.Users().Create(ctx, &store.User{ID: "lost"}); err == nil {
		t.Fatal("a write whose journal record failed was acknowledged")
	}
	if err := s.Ping(ctx); err == nil {
		t.Fatal("Ping is healthy after a journal failure")
	}
	if err := s.Users().Create(ctx, &store.User{ID: "next"}); err == nil || !strings.Contains(err.Error(), "refuses reads and writes") {
		t.Fatalf("write after a journal failure = %v, want a refusal", err)
	}
	// "lost" is in memory but not on disk: reading it would act on a
	// change a restart undoes.
	if _, err := s.Users().Get(ctx, "lost"); err == nil || errors.Is(err, store.ErrNotFound) {
		t.Fatalf("read after a journal failure = %v, want the failure", err)
	}
}

func TestPingAfterClose(t *testing.T) {
	s, _, err := reopen(t, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(context.Background()); err != nil {
		t.Fatalf("Ping of an open store: %v", err)
	}
	s.Close()
	if err := s.Ping(context.Background()); err == nil {
		t.Fatal("Ping of a closed store reports healthy")
	}
}

func TestRecordWithoutIDIsRefused(t *testing.T) {
	s, _, err := reopen(t, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.Users().Create(ctx, &store.User{}); err == nil || !strings.Contains(err.Error(), "no id") {
		t.Fatalf("Create without an id = %v", err)
	}
	if err := s.Users().Create(ctx, &store.User{ID: "u"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Devices().Create(ctx, &store.Device{UserID: "u"}); err == nil || !strings.Contains(err.Error(), "no id") {
		t.Fatalf("Create of a device without an id = %v", err)
	}
}

// A new data folder's entry is synced into its parent, and so is every
// parent folder created on the way: otherwise a crash can lose the folder
// with everything synced inside it.
func TestCreatedFoldersAreSyncedIntoTheirParents(t *testing.T) {
	root := t.TempDir()
	os.Mkdir(filepath.Join(root, "exists"), 0o700)
	for name, tc := range map[string]struct {
		dir  string
		want []string // the folders synced, relative to root
	}{
		"one level":      {"data", []string{"."}},
		"three levels":   {"a/b/c", []string{".", "a", "a/b"}},
		"under existing": {"exists/d/e", []string{"exists", "exists/d"}},
		"existing":       {"exists", nil},
	} {
		t.Run(name, func(t *testing.T) {
			var synced []string
			record := func(dir string) error {
				rel, err := filepath.Rel(root, dir)
				synced = append(synced, rel)
				return err
			}
			dir := filepath.Join(root, tc.dir)
			if err := makeDirs(dir, record); err != nil {
				t.Fatal(err)
			}
			if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
				t.Fatalf("%s was not created: %v", tc.dir, err)
			}
			if !slices.Equal(synced, tc.want) {
				t.Fatalf("makeDirs(%q) synced %q, want %q", tc.dir, synced, tc.want)
			}
		})
	}
}
