package stepup

import (
	"net/url"
	"testing"
	"time"
)

// Record ids sort by the time they were made, and stay unique and
// URL-safe: the store indexes them more cheaply that way (newID).
func TestRecordIDsSortByTime(t *testing.T) {
	start := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	seen := map[string]bool{}
	prev := ""
	for i := range 5000 {
		at := start.Add(time.Duration(i) * 700 * time.Microsecond)
		id := newID(at)
		switch {
		case len(id) != 22:
			t.Fatalf("id %q has %d characters, want 22", id, len(id))
		case url.PathEscape(id) != id:
			t.Fatalf("id %q is not URL-safe", id)
		case seen[id]:
			t.Fatalf("id %q made twice", id)
		case prev != "" && at.UnixMilli() > start.Add(time.Duration(i-1)*700*time.Microsecond).UnixMilli() && id <= prev:
			t.Fatalf("id %q made in a later millisecond sorts before %q", id, prev)
		}
		seen[id] = true
		prev = id
	}
}
