package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// adminCall sends a request to the admin API with key and returns the
// status and the body.
func adminCall(t *testing.T, issuer, key, method, path string, body any) (int, string) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, issuer+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// An analyst changes the sign-in rules of a running server through the
// admin API: the next sign-in is decided by them, with no restart.
func TestAdminAPIRulesApplyToTheNextSignIn(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	// The key is made as an operator would, before the server starts.
	code, stdout, stderr := runCmd(t, "apikeys", "create", "--config", writeConfig(t, dataDir, ""), "--kind", "admin", "--name", "fraud team")
	if code != exitOK {
		t.Fatalf("apikeys create: exit %d\n%s", code, stderr)
	}
	key := strings.TrimSpace(stdout)
	issuer := startOPWithClients(t, dataDir, testClients).issuer

	if status, body := adminCall(t, issuer, "", http.MethodGet, "/admin/v1/actions", nil); status != http.StatusUnauthorized || !strings.Contains(body, `"unauthenticated"`) {
		t.Fatalf("the admin API without a key: %d %s", status, body)
	}

	// Before any rules, the browser signs in.
	rp := newRP(t, issuer, "app", "")
	rp.browser.Transport = userAgent{"Mozilla/5.0 Suspicious/2.0", http.DefaultTransport}
	a := rp.authorize(nil)
	a.register("zoe", password)
	a.tokens()

	publish := func(base int, spec string) {
		t.Helper()
		status, body := adminCall(t, issuer, key, http.MethodPut, "/admin/v1/actions/signIn/rules",
			map[string]any{"base_version": base, "comment": "test", "spec_yaml": spec})
		if status != http.StatusOK || !strings.Contains(body, `"author":"fraud team (key `) {
			t.Fatalf("publish from version %d: %d %s", base, status, body)
		}
	}
	publish(0, `action: signIn
default: ALLOW
rules:
  - id: suspicious-agent
    priority: 1
    when: device.user_agent.contains("Suspicious")
    outcome: BLOCK
`)
	a = rp.authorize(nil)
	if got := a.oauthError(); got != "access_denied" {
		t.Fatalf("the sign-in after the blocking rule: error %q, want access_denied", got)
	}

	publish(1, "action: signIn\ndefault: ALLOW\n")
	a = rp.authorize(nil)
	if _, id := a.tokens(); id.Subject == "" {
		t.Fatal("the sign-in after the rules allow again has no subject")
	}

	// The audit trail names the key for both (beside the demo's example
	// rules, published at start).
	status, body := adminCall(t, issuer, key, http.MethodGet, "/admin/v1/audit", nil)
	if status != http.StatusOK || strings.Count(body, `"actor":"fraud team (key `) != 2 {
		t.Errorf("audit: %d %s", status, body)
	}
}
