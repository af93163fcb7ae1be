package sendlimit

import (
	"testing"
	"time"
)

// TestSendLogKeepsOnlyWhatItNeeds checks a log holds no more times than
// its largest window counts, however many sends it sees.
func TestSendLogKeepsOnlyWhatItNeeds(t *testing.T) {
	s := newSendLog([]Window{{3, time.Minute}, {10, time.Hour}})
	for i := range 10_000 {
		s.add(int64(i))
		if len(s.times) > 10 {
			t.Fatalf("after %d sends the log holds %d times, want at most 10", i+1, len(s.times))
		}
	}
	if s.times[0] != 9_990 || s.times[9] != 9_999 {
		t.Errorf("log holds %v, want the latest ten", s.times)
	}
	if cap(s.times) > 64 {
		t.Errorf("log capacity grew to %d", cap(s.times))
	}
}
