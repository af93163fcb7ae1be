package main

import (
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/stepup-auth/stepup/config"
)

// master is the master key; every other secret is derived from it.
type master [32]byte

// derive returns the 32-byte key for one purpose, with HKDF-SHA256: the
// purposes' keys are independent, and none reveals the master key.
func (m master) derive(purpose string) []byte {
	k, err := hkdf.Key(sha256.New, m[:], nil, "stepup "+purpose+" v1", 32)
	if err != nil {
		panic(err) // only for lengths SHA-256 cannot produce
	}
	return k
}

// masterKeyFile is the file in the data folder that keeps a generated
// master key.
const masterKeyFile = "secret.key"

// masterKey is secrets.key, or else a key generated at first start and
// kept in the data folder (a developer's machine; production sets one).
func masterKey(cfg *config.Config, log *slog.Logger) (master, error) {
	if cfg.Secrets.Key.Set {
		return cfg.Secrets.Key.Bytes, nil
	}
	k, generated, err := keptMasterKey(cfg.Store.Memdb.Dir, syncFolder)
	if err != nil {
		return master{}, fmt.Errorf("stepup: master key: %w", err)
	}
	if generated {
		log.Warn("secrets.key is not set: generated one and kept it in the data folder; set one from the environment in production",
			"file", filepath.Join(cfg.Store.Memdb.Dir, masterKeyFile))
	}
	return k, nil
}

// keptMasterKey returns the master key kept in dir, generating one if there
// is none; generated says whether this call made it. What is sealed under
// the key is lost with it, so the key is returned only once its name in
// dir is durable: sync is called on dir (a parameter, so tests see it).
func keptMasterKey(dir string, sync func(dir string) error) (k master, generated bool, err error) {
	k, err = readMasterKey(filepath.Join(dir, masterKeyFile))
	if errors.Is(err, fs.ErrNotExist) {
		k, generated, err = generateMasterKey(dir)
	}
	if err != nil {
		return master{}, false, err
	}
	removeLeftovers(dir)
	// A key read is synced too: the start that generated it may have been
	// cut short between naming it and syncing the folder.
	if err := sync(dir); err != nil {
		return master{}, false, fmt.Errorf("sync the data folder that keeps it: %w", err)
	}
	return k, generated, nil
}

// readMasterKey reads the key kept at path; a missing file is
// fs.ErrNotExist.
func readMasterKey(path string) (master, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return master{}, err
	}
	if err != nil {
		return master{}, fmt.Errorf("read the generated key: %w", err)
	}
	text := strings.TrimSpace(string(b))
	if text == "" {
		// Only a first start of an older stepup, cut short while writing
		// the file, leaves it empty, but a key generated before may have
		// sealed signing keys: whether to start afresh is the operator's
		// call, never made here.
		return master{}, fmt.Errorf("the generated key in %s is empty, most likely left by a first start cut short while writing it: "+
			"if `stepup keys list` shows no keys, nothing was sealed under a generated key and the file may be deleted; otherwise restore it or set secrets.key", path)
	}
	raw, err := base64.StdEncoding.DecodeString(text)
	if err != nil || len(raw) != 32 {
		return master{}, fmt.Errorf("the generated key in %s is damaged; restore it or set secrets.key", path)
	}
	return master(raw), nil
}

// generateMasterKey keeps a new random key in dir and returns it, or else
// the key another start kept first. The key is written whole to a
// temporary file and synced before it gets its name, so a start cut short
// leaves a whole secret.key or none. The name is given with a hard link,
// which unlike a rename never replaces a file: of first starts racing, one
// names its key and the others read it.
func generateMasterKey(dir string) (master, bool, error) {
	var k master
	_, _ = rand.Read(k[:]) // crypto/rand.Read never fails
	tmp, err := writeTempKey(dir, k)
	if err != nil {
		return master{}, false, fmt.Errorf("keep a generated key: %w", err)
	}
	path := filepath.Join(dir, masterKeyFile)
	err = os.Link(tmp, path)
	_ = os.Remove(tmp) // linked or not, the temporary name has served
	if err == nil {
		return k, true, nil
	}
	// Another start named its key first (exists), or, having done so,
	// removed this start's temporary file as a leftover (not exists).
	if !errors.Is(err, fs.ErrExist) && !errors.Is(err, fs.ErrNotExist) {
		return master{}, false, fmt.Errorf("keep a generated key: %w", err)
	}
	won, err := readMasterKey(path)
	return won, false, err
}

// writeTempKey writes k to a new file in dir, readable by the owner alone
// (os.CreateTemp's 0600), synced, and returns its name. Each start has a
// file of its own, so racing starts never write into one.
func writeTempKey(dir string, k master) (string, error) {
	f, err := os.CreateTemp(dir, masterKeyFile+".*.tmp")
	if err != nil {
		return "", err
	}
	_, err = f.WriteString(base64.StdEncoding.EncodeToString(k[:]) + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

// isTempKey reports whether name is a temporary file of writeTempKey (or
// secret.key.tmp).
func isTempKey(name string) bool {
	return strings.HasPrefix(name, masterKeyFile+".") && strings.HasSuffix(name, ".tmp")
}

// removeLeftovers removes the temporary files of starts cut short before
// they named their key. It runs once the key has its name: a start still
// writing one then has its link refused, and reads the key kept. A
// leftover is harmless, so failing to remove one does not stop a start.
func removeLeftovers(dir string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if isTempKey(e.Name()) {
			_ = os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

// syncFolder makes the names created and removed in dir durable.
func syncFolder(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
