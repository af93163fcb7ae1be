package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/config"
	"github.com/stepup-auth/stepup/stepup/keys"
	"github.com/stepup-auth/stepup/stepup/store/memdb"
)

// rotated is one line of `stepup keys rotate`: the kid that signs now and
// the kid newly published as next.
type rotated struct{ active, next string }

// runRotate runs `stepup keys rotate` with args and returns its lines by
// algorithm, failing the test unless it succeeds.
func runRotate(t *testing.T, args ...string) map[string]rotated {
	t.Helper()
	code, stdout, stderr := runCmd(t, append([]string{"keys", "rotate"}, args...)...)
	if code != exitOK {
		t.Fatalf("keys rotate exited with %d:\n%s%s", code, stdout, stderr)
	}
	out := map[string]rotated{}
	for line := range strings.Lines(stdout) {
		if f := strings.Fields(line); len(f) == 3 && slices.Contains(signingAlgorithms, f[0]) {
			out[f[0]] = rotated{active: f[1], next: f[2]}
		}
	}
	return out
}

// listed is one line of `stepup keys list`.
type listed struct {
	alg, kid, state                        string
	created, activated, retired, expiresAt string
}

func runList(t *testing.T, cfg string) []listed {
	t.Helper()
	code, stdout, stderr := runCmd(t, "keys", "list", "--config", cfg)
	if code != exitOK {
		t.Fatalf("keys list exited with %d:\n%s%s", code, stdout, stderr)
	}
	var out []listed
	for line := range strings.Lines(stdout) {
		if f := strings.Fields(line); len(f) == 7 && slices.Contains(signingAlgorithms, f[0]) {
			out = append(out, listed{f[0], f[1], f[2], f[3], f[4], f[5], f[6]})
		}
	}
	return out
}

// publishedLongAgo creates the keys of the data folder of the
// configuration cfg as a server started two JWKS cache lifetimes ago would
// have: every relying party can have fetched their next keys since.
func publishedLongAgo(t *testing.T, cfgFile string) {
	t.Helper()
	cfg, problems := config.Load(cfgFile)
	if problems.HasErrors() {
		t.Fatalf("config.Load: %v", problems)
	}
	st, err := openStore(cfg.Store, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	m, err := masterKey(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	then := time.Now().Add(-2 * keys.JWKSMaxAge)
	ring, _, err := signingRing(cfg, st, m, func() time.Time { return then })
	if err != nil {
		t.Fatal(err)
	}
	if err := ring.Ensure(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestKeysRotateActivatesNoKeyRelyingPartiesMayNotHaveFetched rotates
// keys published long ago, then at once the keys that rotation published:
// relying parties may hold a key set cached before those, so the second
// rotation is refused, saying from when it may be done, unless forced.
func TestKeysRotateActivatesNoKeyRelyingPartiesMayNotHaveFetched(t *testing.T) {
	cfg := writeConfig(t, filepath.Join(t.TempDir(), "data"), "")
	publishedLongAgo(t, cfg)
	first := runRotate(t, "--config", cfg)
	listed := runList(t, cfg)

	code, stdout, stderr := runCmd(t, "keys", "rotate", "--config", cfg)
	if code != exitFail || stdout != "" {
		t.Errorf("a second rotation at once: exit code %d, stdout %q; want %d and nothing", code, stdout, exitFail)
	}
	for _, want := range []string{"--force", "reject the new tokens"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("a refused rotation does not say %q:\n%s", want, stderr)
		}
	}
	_, after, _ := strings.Cut(stderr, "may sign from ")
	from, err := time.Parse(time.RFC3339, strings.TrimSuffix(strings.Fields(after + " ")[0], ","))
	if err != nil || !from.After(time.Now().Add(keys.JWKSMaxAge)) {
		t.Errorf("a refused rotation does not say from when, a JWKS cache lifetime away (%v):\n%s", err, stderr)
	}
	if got := runList(t, cfg); !slices.Equal(got, listed) {
		t.Fatalf("a refused rotation changed the keys:\nbefore %v\nafter  %v", listed, got)
	}

	second := runRotate(t, "--config", cfg, "--force")
	for _, alg := range signingAlgorithms {
		f, s := first[alg], second[alg]
		if f.active == "" || f.next == "" || f.active == f.next {
			t.Fatalf("%s: first rotation printed %+v, want two different kids", alg, f)
		}
		if s.active != f.next {
			t.Errorf("%s: the second rotation activated %s, want %s, the next key the first published", alg, s.active, f.next)
		}
		if s.next == f.active || s.next == f.next {
			t.Errorf("%s: the second rotation published %s as next again", alg, s.next)
		}
	}

	for _, alg := range signingAlgorithms {
		var states, retired []string
		for _, k := range runList(t, cfg) {
			if k.alg != alg {
				continue
			}
			states = append(states, k.state)
			switch k.state {
			case "active":
				if k.kid != second[alg].active || k.activated == "-" || k.retired != "-" || k.expiresAt != "-" {
					t.Errorf("%s active key %+v, want %s, activated, neither retired nor expiring", alg, k, second[alg].active)
				}
			case "next":
				if k.kid != second[alg].next || k.activated != "-" || k.expiresAt != "-" {
					t.Errorf("%s next key %+v, want %s, never activated", alg, k, second[alg].next)
				}
			case "retired":
				retired = append(retired, k.kid)
				ret, err1 := time.Parse(time.RFC3339, k.retired)
				exp, err2 := time.Parse(time.RFC3339, k.expiresAt)
				// The default lifetimes: ID tokens live an hour, the longest.
				// The ring computes the expiry and the store stamps the
				// retirement a moment apart, and the listing shows whole
				// seconds: the two may straddle a second.
				if d := exp.Sub(ret); err1 != nil || err2 != nil || d < time.Hour-time.Second || d > time.Hour {
					t.Errorf("%s retired key %+v: want an expiry an hour after its retirement", alg, k)
				}
			}
		}
		// The key created first and retired by the first rotation comes
		// last: the most recently activated first.
		if !slices.Equal(states, []string{"active", "next", "retired", "retired"}) {
			t.Errorf("%s keys listed as %v, want active, next and the two retired", alg, states)
		}
		if len(retired) == 2 && retired[0] != first[alg].active {
			t.Errorf("%s retired keys %v, want %s, retired by the second rotation, first", alg, retired, first[alg].active)
		}
	}
}

func TestKeysRotateOneAlgorithm(t *testing.T) {
	cfg := writeConfig(t, filepath.Join(t.TempDir(), "data"), "")
	publishedLongAgo(t, cfg)
	before := runRotate(t, "--config", cfg)
	after := runRotate(t, "--config", cfg, "--alg", "rs256", "--force")
	if len(after) != 1 || after["RS256"].active != before["RS256"].next {
		t.Errorf("--alg rs256 printed %+v, want RS256 alone, now signing with %s", after, before["RS256"].next)
	}
	for _, k := range runList(t, cfg) {
		if k.state == "active" && k.alg != "RS256" && k.kid != before[k.alg].active {
			t.Errorf("%s active key is %s, want %s, left alone", k.alg, k.kid, before[k.alg].active)
		}
	}
}

func TestKeysRefuseADataFolderInUse(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	cfg := writeConfig(t, dir, "")
	st, err := memdb.Open(memdb.Options{Dir: dir, SweepInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, cmd := range []string{"rotate", "list"} {
		t.Run(cmd, func(t *testing.T) {
			code, stdout, stderr := runCmd(t, "keys", cmd, "--config", cfg)
			if code != exitFail || stdout != "" {
				t.Errorf("exit code %d, stdout %q; want %d and nothing", code, stdout, exitFail)
			}
			if want := "the data folder is in use by a running stepup; stop it first"; !strings.Contains(stderr, want) {
				t.Errorf("stderr does not say %q:\n%s", want, stderr)
			}
		})
	}
	if code, _, stderr := runCmd(t, "keys", "rotate", "--config", cfg); !strings.Contains(stderr, "(key rotation of a running server comes with the admin API)") {
		t.Errorf("exit code %d, rotate does not point at the admin API:\n%s", code, stderr)
	}
}

func TestKeysOtherFailuresAreNotCalledInUse(t *testing.T) {
	notAFolder := writeConfig(t, "unused", "") // any file will do
	cfg := writeConfig(t, filepath.Join(notAFolder, "data"), "")
	code, _, stderr := runCmd(t, "keys", "rotate", "--config", cfg)
	if code != exitFail || strings.Contains(stderr, "in use") || !strings.Contains(stderr, "cannot open the store") {
		t.Errorf("exit code %d, stderr:\n%s\nwant 1 and the store's own reason", code, stderr)
	}
}

func TestKeysListWithoutDataFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "missing")
	code, stdout, stderr := runCmd(t, "keys", "list", "--config", writeConfig(t, dir, ""))
	if code != exitFail || stdout != "" || !strings.Contains(stderr, "there is no data folder "+dir) {
		t.Errorf("exit code %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

func TestKeysUsage(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		code     int
		inStdout bool
		mention  string
	}{
		{name: "no subcommand", args: []string{"keys"}, code: exitUsage, mention: "stepup keys rotate"},
		{name: "unknown subcommand", args: []string{"keys", "delete"}, code: exitUsage, mention: `unknown command "delete"`},
		{name: "help", args: []string{"keys", "help"}, code: exitOK, inStdout: true, mention: "stepup keys list"},
		{name: "what --force costs", args: []string{"keys", "help"}, code: exitOK, inStdout: true, mention: "reject the new tokens"},
		{name: "unknown algorithm", args: []string{"keys", "rotate", "--alg", "HS256"}, code: exitUsage, mention: `unknown algorithm "HS256"`},
		{name: "stray argument", args: []string{"keys", "list", "ES256"}, code: exitUsage, mention: `unexpected argument "ES256"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCmd(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit code %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, stdout, stderr)
			}
			usageOut, other := stderr, stdout
			if tt.inStdout {
				usageOut, other = stdout, stderr
			}
			if !strings.Contains(usageOut, "Usage") || !strings.Contains(usageOut, tt.mention) {
				t.Errorf("no usage mentioning %q in the expected stream: %q", tt.mention, usageOut)
			}
			if other != "" {
				t.Errorf("unexpected output on the other stream: %q", other)
			}
		})
	}
}

// TestKeysRotatedOfflineServeOldAndNewTokens stops a server, rotates its
// keys and starts it again: a token signed before still verifies against
// the JWKS, and new tokens name the key the rotation activated. It also
// holds keys.go to the sealing key app.go derives: the rotation must open
// the keys the server sealed.
func TestKeysRotatedOfflineServeOldAndNewTokens(t *testing.T) {
	op := startOPWithClients(t, filepath.Join(t.TempDir(), "data"), goldenClients)
	a := newRP(t, op.issuer, "app", "").authorize(nil)
	a.register("alice", goldenPassword)
	old, _ := a.tokens()
	oldID, _ := old.Extra("id_token").(string)
	oldHeader, _ := jwtParts(t, oldID)

	if code := op.stop(t); code != exitOK {
		t.Fatalf("serve exited with %d:\n%s", code, op.log)
	}
	// The keys are minutes old: only a forced rotation activates them.
	rot := runRotate(t, "--config", op.config, "--force")["ES256"]
	if rot.active == oldHeader["kid"] {
		t.Fatalf("the rotation kept %s active", rot.active)
	}
	startServer(t, op.config)

	// A new relying party, so nothing it knows comes from before.
	r := newRP(t, op.issuer, "app", "")
	r.verifyIDToken(old, a.nonce)
	b := r.authorize(nil)
	b.signIn("alice", goldenPassword)
	tok, _ := b.tokens()
	newID, _ := tok.Extra("id_token").(string)
	if h, _ := jwtParts(t, newID); h["kid"] != rot.active {
		t.Errorf("a new ID token names kid %v, want %s, activated by the rotation", h["kid"], rot.active)
	}
	if h, _ := jwtParts(t, tok.AccessToken); h["kid"] != rot.active {
		t.Errorf("a new access token names kid %v, want %s", h["kid"], rot.active)
	}

	var published []any
	jwksURI, _ := getJSON(t, op.issuer+"/.well-known/openid-configuration")["jwks_uri"].(string)
	keys, _ := getJSON(t, jwksURI)["keys"].([]any)
	for _, k := range keys {
		published = append(published, k.(map[string]any)["kid"])
	}
	for _, kid := range []any{oldHeader["kid"], rot.active, rot.next} {
		if !slices.Contains(published, kid) {
			t.Errorf("the JWKS %v lacks %v", published, kid)
		}
	}
}

// TestKeysJWKSIsCachedNoLongerThanRotationWaits holds /keys to the cache
// lifetime Rotate waits for: a longer max-age would let relying parties
// keep a key set without a key that signs.
func TestKeysJWKSIsCachedNoLongerThanRotationWaits(t *testing.T) {
	issuer := startOP(t)
	jwksURI, _ := getJSON(t, issuer+"/.well-known/openid-configuration")["jwks_uri"].(string)
	resp, err := http.Get(jwksURI)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got, want := resp.Header.Get("Cache-Control"), fmt.Sprintf("public, max-age=%d", int(keys.JWKSMaxAge/time.Second)); got != want {
		t.Errorf("%s Cache-Control %q, want %q", jwksURI, got, want)
	}
}
