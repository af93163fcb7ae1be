package memdb

import (
	"context"
	"log/slog"
	"os"
	"testing"

	"github.com/stepup-auth/stepup/stepup/store"
)

// FuzzRecover writes arbitrary bytes as the journal and opens the store:
// it must open (dropping a bad tail) or refuse with an error, never panic.
func FuzzRecover(f *testing.F) {
	seed := t0Journal(f)
	f.Add(seed)
	f.Add(seed[:len(seed)-3])
	f.Add([]byte{})
	f.Add(make([]byte, 40))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(segmentPath(dir, 1), data, 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := Open(Options{Dir: dir, SweepInterval: -1, Logger: discardLogger()})
		if err != nil {
			return
		}
		defer s.Close()
		// An opened store must work.
		if err := s.Users().Create(context.Background(), &store.User{ID: "fuzz-check"}); err != nil {
			t.Fatalf("store opened from fuzzed journal but cannot write: %v", err)
		}
	})
}

// t0Journal returns a valid journal with a few transactions.
func t0Journal(f *testing.F) []byte {
	dir := f.TempDir()
	s, err := Open(Options{Dir: dir, SweepInterval: -1})
	if err != nil {
		f.Fatal(err)
	}
	ctx := context.Background()
	s.Users().Create(ctx, &store.User{ID: "a", Username: "alice", Attributes: map[string]string{"k": "v"}})
	s.Sessions().Create(ctx, &store.Session{ID: "s", UserID: "a", Verifications: []store.Verification{{Method: "TOTP", AMR: []string{"otp"}}}})
	s.Users().Delete(ctx, "a")
	s.Close()
	data, err := os.ReadFile(segmentPath(dir, 1))
	if err != nil {
		f.Fatal(err)
	}
	return data
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
