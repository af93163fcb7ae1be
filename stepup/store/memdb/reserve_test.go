package memdb

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/stepup-auth/stepup/stepup/store"
)

// The journal writes zeros ahead of its frames so that each sync is an
// overwrite (journal.reserve). These tests check that the zeros read as
// the clean end of a segment, never as a frame, and never hide a torn
// write.

// frameEnd returns where the frames of a segment end.
func frameEnd(t *testing.T, path string) int {
	t.Helper()
	offs := frameOffsets(t, path)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	salt, _ := parseSegmentHeader(data)
	_, next, reason := frameAt(data[segmentHeader:], offs[len(offs)-1]-segmentHeader, salt)
	if reason != "" {
		t.Fatal(reason)
	}
	return next + segmentHeader
}

func TestReservedSpaceEndsASegmentCleanly(t *testing.T) {
	dir := t.TempDir()
	fill(t, dir, 10)
	seg := segmentPath(dir, 1)
	fi, err := os.Stat(seg)
	if err != nil {
		t.Fatal(err)
	}
	if end := frameEnd(t, seg); fi.Size() < int64(end)+reserveChunk/2 {
		t.Fatalf("segment of %d bytes, frames end at %d: no space reserved after them", fi.Size(), end)
	}
	for round := range 2 {
		s, logs, err := reopen(t, dir)
		if err != nil {
			t.Fatalf("round %d: Open: %v", round, err)
		}
		if strings.Contains(logs.String(), "torn") || strings.Contains(logs.String(), "WARN") {
			t.Errorf("round %d: reserved space was read as damage: %s", round, logs)
		}
		ids := userIDs(t, s)
		if len(ids) != 10+round {
			t.Fatalf("round %d: %d users, want %d", round, len(ids), 10+round)
		}
		if err := s.Users().Create(context.Background(), &store.User{ID: "after" + string(rune('0'+round))}); err != nil {
			t.Fatal(err)
		}
		s.Close()
	}
}

// A crash can persist the start of a batch's write and not its end: the
// frame is then followed by zeros, or has zeros inside it.
func TestATornWriteIntoReservedSpaceIsDropped(t *testing.T) {
	for name, damage := range map[string]func(data []byte, start, end int){
		"end not written":    func(data []byte, start, end int) { clear(data[start+frameHeader+2 : end]) },
		"middle not written": func(data []byte, start, end int) { clear(data[start+frameHeader : end-1]) },
		"nothing but header": func(data []byte, start, end int) { clear(data[start+frameHeader : end]) },
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			fill(t, dir, 10)
			seg := segmentPath(dir, 1)
			offs := frameOffsets(t, seg)
			end := frameEnd(t, seg)
			data, err := os.ReadFile(seg)
			if err != nil {
				t.Fatal(err)
			}
			damage(data, offs[len(offs)-1], end)
			if err := os.WriteFile(seg, data, 0o600); err != nil {
				t.Fatal(err)
			}
			s, logs, err := reopen(t, dir)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if !strings.Contains(logs.String(), "torn write") {
				t.Errorf("no warning logged: %s", logs)
			}
			if ids := userIDs(t, s); len(ids) != 9 || ids["u9"] {
				t.Fatalf("users %v, want u0..u8", ids)
			}
			if err := s.Users().Create(context.Background(), &store.User{ID: "after"}); err != nil {
				t.Fatal(err)
			}
			s.Close()
			s, logs, err = reopen(t, dir)
			if err != nil || !userIDs(t, s)["after"] || strings.Contains(logs.String(), "torn") {
				t.Fatalf("second reopen: err=%v, logs=%s", err, logs)
			}
			s.Close()
		})
	}
}

// rotated opens dir, writes in1 to segment 1, rotates, writes in2 to
// segment 2 and closes the store.
func rotated(t *testing.T, dir string) {
	t.Helper()
	s, _, err := reopen(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Users().Create(context.Background(), &store.User{ID: "in1"}); err != nil {
		t.Fatal(err)
	}
	w := s.db.Txn(true)
	if _, err := s.journal.rotate(); err != nil {
		t.Fatal(err)
	}
	w.Abort()
	if err := s.Users().Create(context.Background(), &store.User{ID: "in2"}); err != nil {
		t.Fatal(err)
	}
	s.Close()
}

// A rotation trims the reserved zeros of the segment it leaves, so that
// zeros are only ever the end of the journal.
func TestRotationTrimsReservedSpace(t *testing.T) {
	dir := t.TempDir()
	fill(t, dir, 5)
	rotated(t, dir)
	if fi, err := os.Stat(segmentPath(dir, 1)); err != nil || fi.Size() != int64(frameEnd(t, segmentPath(dir, 1))) {
		t.Fatalf("segment 1 keeps space after its frames (%v)", err)
	}
	s, logs, err := reopen(t, dir)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	if ids := userIDs(t, s); len(ids) != 7 || !ids["in1"] || !ids["in2"] {
		t.Fatalf("users %v, want u0..u4, in1 and in2", ids)
	}
	if strings.Contains(logs.String(), "WARN") {
		t.Errorf("warning: %s", logs)
	}
}

// Zeros where frames were, before a later segment's frames, are frames a
// disk lost, not reserved space: recovery refuses to start rather than
// replay the later segment over the gap.
func TestZeroedFramesBeforeALaterSegmentRefuseToStart(t *testing.T) {
	dir := t.TempDir()
	fill(t, dir, 5)
	rotated(t, dir)
	seg := segmentPath(dir, 1)
	offs := frameOffsets(t, seg)
	data, err := os.ReadFile(seg)
	if err != nil {
		t.Fatal(err)
	}
	clear(data[offs[len(offs)-1]:])
	if err := os.WriteFile(seg, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if s, _, err := reopen(t, dir); err == nil || !strings.Contains(err.Error(), "valid records follow") {
		if s != nil {
			s.Close()
		}
		t.Fatalf("Open = %v, want a refusal: in1 would be lost", err)
	}
}

// No all-zero header is a frame, whatever the salt: otherwise reserved
// space would replay as empty transactions.
func TestZerosAreNeverAFrame(t *testing.T) {
	zeros := make([]byte, 64)
	for range 1000 {
		_, salt := newSegmentHeader()
		if _, _, reason := frameAt(zeros, 0, salt); reason == "" {
			t.Fatalf("salt %#x accepts an all-zero frame", salt)
		}
	}
}

// A rotation whose new segment could not be made durable nor removed
// (createSegment failed at the folder sync; discardSegment's Remove failed
// or a crash undid it) leaves a frameless segment 2 while the journal goes
// on, reserving zeros, in segment 1. At the next start segment 1 ends the
// journal, so its zeros are accepted, and trimmed: the journal continues
// in segment 2, after which they would no longer end it.
func TestReservedSpaceBeforeAFramelessSegmentIsTrimmed(t *testing.T) {
	dir := t.TempDir()
	fill(t, dir, 5) // segment 1: frames, then reserved zeros
	if fi, err := os.Stat(segmentPath(dir, 1)); err != nil || fi.Size() <= int64(frameEnd(t, segmentPath(dir, 1))) {
		t.Fatalf("setup: segment 1 has no reserved space (%v)", err)
	}
	header, _ := newSegmentHeader()
	if err := os.WriteFile(segmentPath(dir, 2), header, 0o600); err != nil {
		t.Fatal(err)
	}
	s, _, err := reopen(t, dir)
	if err != nil {
		t.Fatalf("first reopen: %v", err)
	}
	if err := s.Users().Create(context.Background(), &store.User{ID: "after"}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, _, err = reopen(t, dir)
	if err != nil {
		t.Fatalf("second reopen, after a write acknowledged as durable: %v", err)
	}
	if ids := userIDs(t, s); !ids["after"] || !ids["u4"] {
		t.Fatalf("users: %v", ids)
	}
}

// holdsFrame reads a segment from its end, in chunks, to the first byte
// that is not zero, wherever it is after the header.
func TestHoldsFrame(t *testing.T) {
	header, _ := newSegmentHeader()
	zeros := func(n int) []byte { return make([]byte, n) }
	for name, tc := range map[string]struct {
		data []byte
		want bool
	}{
		"header only":                  {header, false},
		"header and reserved space":    {append(append([]byte{}, header...), zeros(300<<10)...), false},
		"a byte just after the header": {append(append(append([]byte{}, header...), 1), zeros(300<<10)...), true},
		"a byte at the end":            {append(append(append([]byte{}, header...), zeros(300<<10)...), 1), true},
		"empty":                        {nil, false},
	} {
		path := t.TempDir() + "/seg"
		if err := os.WriteFile(path, tc.data, 0o600); err != nil {
			t.Fatal(err)
		}
		if got, err := holdsFrame(path); err != nil || got != tc.want {
			t.Errorf("%s: holdsFrame = %v, %v; want %v", name, got, err, tc.want)
		}
	}
}
