package main

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// folderSyncs records the folders keptMasterKey syncs and, for each, the
// master key file it found there at that moment.
type folderSyncs struct {
	mu    sync.Mutex
	dirs  []string
	found [][]byte
}

func (s *folderSyncs) sync(dir string) error {
	b, _ := os.ReadFile(filepath.Join(dir, masterKeyFile))
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dirs, s.found = append(s.dirs, dir), append(s.found, b)
	return syncFolder(dir)
}

func names(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

func encoded(k master) []byte { return []byte(base64.StdEncoding.EncodeToString(k[:]) + "\n") }

// TestGeneratedMasterKeyIsNamedWholeAndDurably holds the generated master
// key to its durability: it has its name only once written whole (no
// temporary file stays), and is used only once the folder holding that
// name is synced, at first start and after.
func TestGeneratedMasterKeyIsNamedWholeAndDurably(t *testing.T) {
	dir := t.TempDir()
	var syncs folderSyncs
	k, generated, err := keptMasterKey(dir, syncs.sync)
	if err != nil || !generated {
		t.Fatalf("keptMasterKey in an empty folder: generated %v, %v; want a new key", generated, err)
	}
	if got := names(t, dir); !slices.Equal(got, []string{masterKeyFile}) {
		t.Errorf("after generating the key the folder holds %v, want %s alone", got, masterKeyFile)
	}
	if fi, err := os.Stat(filepath.Join(dir, masterKeyFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("%s: %v, %v; want mode 0600", masterKeyFile, fi.Mode(), err)
	}
	if !slices.Equal(syncs.dirs, []string{dir}) || string(syncs.found[0]) != string(encoded(k)) {
		t.Errorf("folders synced %v, finding %q; want %s synced once, holding the key", syncs.dirs, syncs.found, dir)
	}

	again, generated, err := keptMasterKey(dir, syncs.sync)
	if err != nil || generated || again != k {
		t.Fatalf("the next start: generated %v, %v, same key %v; want the key kept", generated, err, again == k)
	}
	if len(syncs.dirs) != 2 {
		t.Errorf("after two starts the folders synced are %v, want the folder synced again before the key read is used", syncs.dirs)
	}
}

// TestConcurrentFirstStartsKeepOneMasterKey: starts racing on a new
// folder all get the key one of them kept, none an error.
func TestConcurrentFirstStartsKeepOneMasterKey(t *testing.T) {
	const rounds, starts = 20, 8
	for range rounds {
		dir := t.TempDir()
		var (
			ready, wg sync.WaitGroup
			start     = make(chan struct{})
			got       [starts]master
			errs      [starts]error
			made      [starts]bool
		)
		ready.Add(starts)
		for i := range starts {
			wg.Go(func() {
				ready.Done()
				<-start
				got[i], made[i], errs[i] = keptMasterKey(dir, syncFolder)
			})
		}
		ready.Wait()
		close(start)
		wg.Wait()
		kept, err := os.ReadFile(filepath.Join(dir, masterKeyFile))
		if err != nil {
			t.Fatal(err)
		}
		generated := 0
		for i := range starts {
			if errs[i] != nil {
				t.Fatalf("start %d of %d racing: %v", i, starts, errs[i])
			}
			if string(encoded(got[i])) != string(kept) {
				t.Fatalf("start %d of %d racing got a key other than the one kept", i, starts)
			}
			if made[i] {
				generated++
			}
		}
		if generated != 1 {
			t.Fatalf("%d of %d racing starts say they generated the key, want 1", generated, starts)
		}
		if got := names(t, dir); !slices.Equal(got, []string{masterKeyFile}) {
			t.Fatalf("after %d racing starts the folder holds %v, want %s alone", starts, got, masterKeyFile)
		}
	}
}

// TestLeftoverTempKeyIsIgnoredAndRemoved: a start cut short before naming
// its key leaves a temporary file, which neither stops the next start nor
// becomes the key.
func TestLeftoverTempKeyIsIgnoredAndRemoved(t *testing.T) {
	leftovers := []string{masterKeyFile + ".tmp", masterKeyFile + ".123456.tmp"}
	dir := t.TempDir()
	for _, name := range leftovers {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("cut sh"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	k, generated, err := keptMasterKey(dir, syncFolder)
	if err != nil || !generated {
		t.Fatalf("keptMasterKey beside leftovers: generated %v, %v; want a new key", generated, err)
	}
	if got := names(t, dir); !slices.Equal(got, []string{masterKeyFile}) {
		t.Errorf("the folder holds %v, want the leftovers removed and %s alone", got, masterKeyFile)
	}

	// A leftover beside a kept key: the key stays.
	stray := filepath.Join(dir, leftovers[1])
	if err := os.WriteFile(stray, []byte("cut sh"), 0o600); err != nil {
		t.Fatal(err)
	}
	if again, _, err := keptMasterKey(dir, syncFolder); err != nil || again != k {
		t.Fatalf("keptMasterKey beside a leftover: %v, same key %v", err, again == k)
	}
	if _, err := os.Stat(stray); !os.IsNotExist(err) {
		t.Errorf("the leftover %s beside the kept key is still there (%v)", stray, err)
	}
}

// TestEmptyGeneratedMasterKeyIsRefusedNotReplaced: an empty secret.key,
// which only an older stepup cut short while writing it leaves, is
// refused with what to do, and never replaced: a key generated before it
// may have sealed signing keys.
func TestEmptyGeneratedMasterKeyIsRefusedNotReplaced(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, masterKeyFile)
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err := keptMasterKey(dir, syncFolder)
	if err == nil {
		t.Fatal("keptMasterKey took an empty secret.key")
	}
	for _, want := range []string{path + " is empty", "stepup keys list", "restore it or set secrets.key"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the refusal does not say %q: %v", want, err)
		}
	}
	if b, err := os.ReadFile(path); err != nil || len(b) != 0 || !slices.Equal(names(t, dir), []string{masterKeyFile}) {
		t.Errorf("after the refusal the folder holds %v and secret.key %q (%v); want it untouched", names(t, dir), b, err)
	}
}
