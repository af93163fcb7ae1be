package memdb_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/stepup/store"
	"github.com/stepup-auth/stepup/stepup/store/memdb"
)

// The crash test runs this test binary again as a child that writes and
// reports each acknowledged write, kills it with SIGKILL at a random
// moment, and checks that every acknowledged write survived.
const crashChildDir = "STEPUP_CRASH_CHILD_DIR"

func TestMain(m *testing.M) {
	if dir := os.Getenv(crashChildDir); dir != "" {
		crashChild(dir, os.Getenv("STEPUP_CRASH_ROUND"))
		return
	}
	os.Exit(m.Run())
}

// crashChild writes users from 8 goroutines until it is killed, printing
// "ack <id>" after each Create returns. Snapshots are frequent so that
// kills also land inside them.
func crashChild(dir, round string) {
	s, err := memdb.Open(memdb.Options{Dir: dir, SnapshotEvery: 1000, SweepInterval: -1})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(3)
	}
	fmt.Println("open")
	var mu sync.Mutex
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := 0; ; i++ {
				id := fmt.Sprintf("r%s-g%d-%d", round, g, i)
				if err := s.Users().Create(context.Background(), &store.User{ID: id, Username: id}); err != nil {
					fmt.Fprintln(os.Stderr, "child:", err)
					os.Exit(4)
				}
				mu.Lock()
				fmt.Println("ack", id) // one write(2) per line: a pipe keeps it whole
				mu.Unlock()
			}
		})
	}
	wg.Wait()
}

func TestCrashKeepsAcknowledgedWrites(t *testing.T) {
	rounds := 20
	if v, err := strconv.Atoi(os.Getenv("STEPUP_CRASH_ROUNDS")); err == nil {
		rounds = v
	}
	dir := t.TempDir() // one folder for all rounds: each start recovers the last crash
	acked := map[string]bool{}
	for round := range rounds {
		got := crashRound(t, dir, round)
		for _, id := range got {
			acked[id] = true
		}
		s, err := memdb.Open(memdb.Options{Dir: dir, SweepInterval: -1})
		if err != nil {
			t.Fatalf("round %d: the store does not open after SIGKILL: %v", round, err)
		}
		missing := 0
		for id := range acked {
			if _, err := s.Users().Get(context.Background(), id); err != nil {
				missing++
				if missing <= 5 {
					t.Errorf("round %d: acknowledged user %s is lost: %v", round, id, err)
				}
			}
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if missing > 0 {
			t.Fatalf("round %d: %d of %d acknowledged writes lost", round, missing, len(acked))
		}
		t.Logf("round %d: killed after %d acknowledged writes; all %d so far present", round, len(got), len(acked))
	}
}

// crashRound runs one child, kills it between 20 and 300 ms after it has
// opened the store, and returns the ids it acknowledged.
func crashRound(t *testing.T, dir string, round int) []string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashChildDir+"="+dir, "STEPUP_CRASH_ROUND="+strconv.Itoa(round))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(out)
	if !lines.Scan() || lines.Text() != "open" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("round %d: child did not open the store: %s", round, stderr.String())
	}
	timer := time.AfterFunc(time.Duration(20+rand.IntN(280))*time.Millisecond, func() {
		cmd.Process.Signal(syscall.SIGKILL)
	})
	defer timer.Stop()
	var ids []string
	for lines.Scan() {
		if id, ok := strings.CutPrefix(lines.Text(), "ack "); ok {
			ids = append(ids, id)
		}
	}
	io.Copy(io.Discard, out)
	err = cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("round %d: child ended by %v, not SIGKILL: %s", round, err, stderr.String())
	}
	return ids
}
