package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/stepup/api/apikey"
	"github.com/stepup-auth/stepup/stepup/store/memdb"
)

// An operator makes, lists and revokes API keys with the server stopped;
// the key printed once opens its API, and nothing else is kept of it.
func TestAPIKeysCommands(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	cfg := writeConfig(t, dir, "")

	if code, _, stderr := runCmd(t, "apikeys", "list", "--config", cfg); code != exitFail || !strings.Contains(stderr, "there is no data folder") {
		t.Errorf("list before any store: exit %d, %s", code, stderr)
	}

	code, stdout, stderr := runCmd(t, "apikeys", "create", "--config", cfg, "--kind", "admin", "--name", "fraud team", "--expires", "720h")
	if code != exitOK {
		t.Fatalf("create: exit %d\n%s", code, stderr)
	}
	key := strings.TrimSuffix(stdout, "\n")
	if strings.Count(stdout, "\n") != 1 || !strings.HasPrefix(key, "su_admin_") {
		t.Fatalf("create printed %q on stdout, want the key alone", stdout)
	}
	id := strings.SplitN(key, "_", 4)[2]
	if !strings.Contains(stderr, "Created admin key "+id+" (fraud team)") || !strings.Contains(stderr, "shown this once") {
		t.Errorf("create's note: %s", stderr)
	}
	if code, stdout, _ := runCmd(t, "apikeys", "create", "--config", cfg, "--kind", "server", "--name", "payments backend"); code != exitOK || !strings.HasPrefix(stdout, "su_server_") {
		t.Fatalf("create a server key: exit %d, %s", code, stdout)
	}

	code, stdout, stderr = runCmd(t, "apikeys", "list", "--config", cfg)
	if code != exitOK || !strings.Contains(stdout, id) || !strings.Contains(stdout, "fraud team") || !strings.Contains(stdout, "payments backend") {
		t.Fatalf("list: exit %d\n%s%s", code, stdout, stderr)
	}
	secret := strings.SplitN(key, "_", 4)[3]
	if strings.Contains(stdout, secret) {
		t.Error("list shows a secret")
	}

	// The printed key verifies against what was stored, as an admin key.
	verify := func() error {
		t.Helper()
		st, err := memdb.Open(memdb.Options{Dir: dir})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		_, err = apikey.New(st.APIKeys(), nil).Verify(context.Background(), apikey.Admin, key)
		return err
	}
	if err := verify(); err != nil {
		t.Fatalf("the printed key does not verify: %v", err)
	}
	st, err := memdb.Open(memdb.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := st.APIKeys().Get(context.Background(), id)
	st.Close()
	if err != nil || rec.ExpiresAt.Sub(rec.CreatedAt) != 720*time.Hour || strings.Contains(rec.Hash, secret) {
		t.Errorf("stored %+v, %v", rec, err)
	}

	if code, _, stderr := runCmd(t, "apikeys", "revoke", "--config", cfg, "--id", "nope"); code != exitFail || !strings.Contains(stderr, `there is no API key "nope"`) {
		t.Errorf("revoke an unknown key: exit %d, %s", code, stderr)
	}
	if code, stdout, stderr := runCmd(t, "apikeys", "revoke", "--config", cfg, "--id", id); code != exitOK || !strings.Contains(stdout, "Revoked API key "+id) {
		t.Fatalf("revoke: exit %d\n%s%s", code, stdout, stderr)
	}
	if err := verify(); err == nil {
		t.Error("a revoked key still verifies")
	}
	if _, stdout, _ := runCmd(t, "apikeys", "list", "--config", cfg); strings.Contains(stdout, id) {
		t.Errorf("list shows the revoked key:\n%s", stdout)
	}
}

func TestAPIKeysUsage(t *testing.T) {
	cfg := writeConfig(t, filepath.Join(t.TempDir(), "data"), "")
	for _, tt := range []struct {
		name    string
		args    []string
		mention string
	}{
		{"no subcommand", []string{"apikeys"}, "stepup apikeys create"},
		{"unknown subcommand", []string{"apikeys", "rotate"}, `unknown command "rotate"`},
		{"unknown kind", []string{"apikeys", "create", "--config", cfg, "--kind", "root", "--name", "x"}, `unknown kind "root"`},
		{"no name", []string{"apikeys", "create", "--config", cfg, "--kind", "admin"}, "needs a name"},
		{"negative expiry", []string{"apikeys", "create", "--config", cfg, "--kind", "admin", "--name", "x", "--expires", "-1h"}, "must not be negative"},
		{"bad expiry", []string{"apikeys", "create", "--config", cfg, "--kind", "admin", "--name", "x", "--expires", "a month"}, "-expires"},
		{"revoke without id", []string{"apikeys", "revoke", "--config", cfg}, "--id is required"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCmd(t, tt.args...)
			if code != exitUsage || stdout != "" || !strings.Contains(stderr, tt.mention) || !strings.Contains(stderr, "Usage") {
				t.Errorf("exit %d, stdout %q, stderr:\n%s", code, stdout, stderr)
			}
		})
	}
}
