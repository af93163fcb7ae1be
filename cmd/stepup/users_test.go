package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup/store"
	"github.com/stepup-auth/stepup/stepup/store/memdb"
)

// An account locked by failed sign-ins is unlocked by the operator's
// command, with the server stopped.
func TestUsersUnlock(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	cfg := writeConfig(t, dir, "")
	st, err := memdb.Open(memdb.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	locked := store.Failures{Consecutive: 100, ByMethod: map[acr.Method]store.MethodFailures{acr.Password: {Count: 100}}}
	if err := st.Users().Create(ctx, &store.User{ID: "u1", Username: "alice", Failures: locked}); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runCmd(t, "users", "unlock", "--config", cfg, "--username", "bob"); code != exitFail || !strings.Contains(stderr, `there is no user "bob"`) {
		t.Errorf("an unknown user: exit %d, %s", code, stderr)
	}
	code, stdout, stderr := runCmd(t, "users", "unlock", "--config", cfg, "--username", "Alice")
	if code != exitOK || !strings.Contains(stdout, "Unlocked alice") {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	st, err = memdb.Open(memdb.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	u, err := st.Users().Get(ctx, "u1")
	if err != nil {
		t.Fatal(err)
	}
	if u.Failures.Consecutive != 0 || len(u.Failures.ByMethod) != 0 {
		t.Errorf("after unlock the failures are %+v", u.Failures)
	}
}
