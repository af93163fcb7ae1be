package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// The golden files in testdata/golden hold stepup's wire formats: the
// discovery document and, per client, the header and claims of an ID token
// and of a JWT access token. A claim that disappears, appears or changes
// fails these tests; after an intended change, look at the diff and run
//
//	go test ./cmd/stepup -run Golden -update-golden
//
// What differs from run to run is replaced before comparing:
//
//   - the issuer (a loopback port) becomes https://op.example;
//   - iat becomes "<now>" if it is the time of the test (else it stays a
//     number, which fails); exp and nbf become their distance from iat
//     ("<iat+3600s>"), so a changed lifetime fails; auth_time becomes
//     "<at or before iat>" if it is (else "<after iat>");
//   - the user's sub and the request's nonce become "<sub>" and "<nonce>",
//     wherever they appear, so an access token for another user fails;
//   - at_hash becomes "<hash of the access token>" if it is that (OpenID
//     Connect Core 3.1.3.6), kid "<a published key of this alg>" if the
//     JWKS has it with the header's alg, jti "<random>" if it is a
//     non-empty string, and sid "<the session's public name>" if it has
//     the length of one; otherwise they stay as they are, and fail.
//
// The files are JSON of maps, which encoding/json writes with sorted keys.
var updateGolden = flag.Bool("update-golden", false, "rewrite testdata/golden from this run instead of comparing")

const goldenIssuer = "https://op.example"

// goldenClients are a public client of each algorithm a relying party is
// most likely to pick: ES256, the default, and RS256.
var goldenClients = fmt.Sprintf(`    - id: app
      redirect_uris: [%[1]s]
    - id: rsa-app
      redirect_uris: [%[1]s]
      signing_alg: RS256
`, rpRedirect)

const goldenPassword = "correct horse battery"

func TestGoldenDiscovery(t *testing.T) {
	issuer := startOPWithClients(t, filepath.Join(t.TempDir(), "data"), goldenClients).issuer
	doc := getJSON(t, issuer+"/.well-known/openid-configuration")

	// What relying parties need to ask for assurance is checked here too,
	// so that -update-golden cannot wave its loss through.
	if v, _ := doc["acr_values_supported"].([]any); !slices.Contains(v, any("urn:stepup:acr:mfa")) {
		t.Errorf("acr_values_supported = %v, want the levels", doc["acr_values_supported"])
	}
	if doc["claims_parameter_supported"] != true {
		t.Errorf("claims_parameter_supported = %v, want true", doc["claims_parameter_supported"])
	}
	if v, _ := doc["code_challenge_methods_supported"].([]any); !slices.Equal(v, []any{"S256"}) {
		t.Errorf("code_challenge_methods_supported = %v, want [S256] only", doc["code_challenge_methods_supported"])
	}
	claims, _ := doc["claims_supported"].([]any)
	for _, c := range []any{"acr", "amr", "auth_time"} {
		if !slices.Contains(claims, c) {
			t.Errorf("claims_supported %v lacks %s", claims, c)
		}
	}

	checkGolden(t, "discovery.json", normalise(doc, issuer, nil))
}

func TestGoldenTokens(t *testing.T) {
	start := time.Now().Add(-time.Second).Unix()
	issuer := startOPWithClients(t, filepath.Join(t.TempDir(), "data"), goldenClients).issuer
	jwks := getJSON(t, getJSON(t, issuer+"/.well-known/openid-configuration")["jwks_uri"].(string))

	idHeaders, idClaims, atHeaders, atClaims := map[string]any{}, map[string]any{}, map[string]any{}, map[string]any{}
	for i, c := range []struct{ client, alg string }{{"app", "ES256"}, {"rsa-app", "RS256"}} {
		// A browser of its own per client: each sign-in sets auth_time.
		a := newRP(t, issuer, c.client, "").authorize(nil)
		if i == 0 {
			a.register("alice", goldenPassword)
		} else {
			a.signIn("alice", goldenPassword)
		}
		tok, _ := a.tokens()
		rawID, _ := tok.Extra("id_token").(string)
		idH, idC := jwtParts(t, rawID)
		atH, atC := jwtParts(t, tok.AccessToken)
		if idH["alg"] != c.alg || atH["alg"] != c.alg {
			t.Errorf("%s: ID token alg %v, access token alg %v, want %s", c.client, idH["alg"], atH["alg"], c.alg)
		}
		for _, claim := range []string{"acr", "amr", "auth_time"} {
			if idC[claim] == nil || atC[claim] == nil {
				t.Errorf("%s: the ID token (%v) or the access token (%v) lacks %s", c.client, idC[claim], atC[claim], claim)
			}
		}

		known := map[string]string{a.nonce: "<nonce>"}
		if sub, ok := idC["sub"].(string); ok && sub != "" {
			known[sub] = "<sub>"
		}
		now := time.Now().Unix()
		idHeaders[c.client] = normaliseHeader(idH, jwks)
		atHeaders[c.client] = normaliseHeader(atH, jwks)
		idClaims[c.client] = normaliseClaims(idC, issuer, known, start, now, tok.AccessToken)
		atClaims[c.client] = normaliseClaims(atC, issuer, known, start, now, "")
	}

	checkGolden(t, "id_token_header.json", idHeaders)
	checkGolden(t, "id_token_claims.json", idClaims)
	checkGolden(t, "access_token_header.json", atHeaders)
	checkGolden(t, "access_token_claims.json", atClaims)
}

// TestGoldenDiffFindsEveryChange keeps the comparison honest: a claim that
// disappears, appears or changes value or type is reported by its path.
func TestGoldenDiffFindsEveryChange(t *testing.T) {
	want := map[string]any{"app": map[string]any{"acr": "urn:stepup:acr:1fa", "amr": []any{"pwd"}, "exp": "<iat+3600s>"}}
	tests := []struct {
		name string
		got  map[string]any
		diff string
	}{
		{"same", map[string]any{"app": map[string]any{"acr": "urn:stepup:acr:1fa", "amr": []any{"pwd"}, "exp": "<iat+3600s>"}}, ""},
		{"missing", map[string]any{"app": map[string]any{"amr": []any{"pwd"}, "exp": "<iat+3600s>"}}, "app.acr: missing"},
		{"extra", map[string]any{"app": map[string]any{"acr": "urn:stepup:acr:1fa", "amr": []any{"pwd"}, "exp": "<iat+3600s>", "sid": "x"}}, "app.sid: unexpected"},
		{"changed", map[string]any{"app": map[string]any{"acr": "urn:stepup:acr:1fa", "amr": []any{"pwd", "otp"}, "exp": "<iat+3600s>"}}, "app.amr: got"},
		{"type", map[string]any{"app": map[string]any{"acr": "urn:stepup:acr:1fa", "amr": []any{"pwd"}, "exp": 3600.0}}, "app.exp: got"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			diff := strings.Join(jsonDiff("", want, roundTrip(t, tt.got)), "\n")
			if tt.diff == "" && diff != "" || !strings.Contains(diff, tt.diff) {
				t.Errorf("diff %q, want one containing %q", diff, tt.diff)
			}
		})
	}
}

func getJSON(t *testing.T, url string) map[string]any {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	var v map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return v
}

// normalise returns v with the issuer at the start of any string replaced
// by goldenIssuer and any string equal to a key of known replaced by its
// value.
func normalise(v any, issuer string, known map[string]string) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[k] = normalise(x, issuer, known)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = normalise(x, issuer, known)
		}
		return out
	case string:
		if r, ok := known[v]; ok {
			return r
		}
		if rest, ok := strings.CutPrefix(v, issuer); ok {
			return goldenIssuer + rest
		}
		return v
	default:
		return v
	}
}

// normaliseClaims normalises a token's claims (see the top of the file):
// the test started at start and the token arrived by now, Unix seconds.
// accessToken is what at_hash must be the hash of, if any.
func normaliseClaims(c map[string]any, issuer string, known map[string]string, start, now int64, accessToken string) map[string]any {
	out := normalise(c, issuer, known).(map[string]any)
	iat, iatOK := c["iat"].(float64)
	if iatOK && int64(iat) >= start && int64(iat) <= now {
		out["iat"] = "<now>"
	}
	for _, k := range []string{"exp", "nbf"} {
		if t, ok := c[k].(float64); ok && iatOK {
			out[k] = fmt.Sprintf("<iat%+ds>", int64(t-iat))
		}
	}
	if at, ok := c["auth_time"].(float64); ok && iatOK {
		out["auth_time"] = "<at or before iat>"
		if at > iat {
			out["auth_time"] = "<after iat>"
		}
	}
	if jti, ok := c["jti"].(string); ok && jti != "" {
		out["jti"] = "<random>"
	}
	if sid, ok := c["sid"].(string); ok && len(sid) == 22 {
		out["sid"] = "<the session's public name>"
	}
	if h, ok := c["at_hash"].(string); ok && accessToken != "" {
		// ES256 and RS256 both hash with SHA-256.
		sum := sha256.Sum256([]byte(accessToken))
		if h == base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2]) {
			out["at_hash"] = "<hash of the access token>"
		}
	}
	return out
}

// normaliseHeader replaces the kid of a JWS header if the JWKS publishes a
// key with that kid and the header's alg.
func normaliseHeader(h map[string]any, jwks map[string]any) map[string]any {
	out := maps.Clone(h)
	keys, _ := jwks["keys"].([]any)
	for _, k := range keys {
		if k, _ := k.(map[string]any); k != nil && k["kid"] == h["kid"] && k["alg"] == h["alg"] {
			out["kid"] = "<a published key of this alg>"
		}
	}
	return out
}

// checkGolden compares got, as indented JSON, with testdata/golden/name,
// or writes it there with -update-golden.
func checkGolden(t *testing.T, name string, got any) {
	t.Helper()
	// Unescaped, so that placeholders read "<sub>" rather than "\u003csub\u003e".
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(got); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	path := filepath.Join("testdata", "golden", name)
	if *updateGolden {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("%s is missing; create it with -update-golden", path)
	} else if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(want, b) {
		return
	}
	var w any
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	diff := jsonDiff("", w, roundTrip(t, got))
	if len(diff) == 0 {
		diff = []string{"same values, different layout: rewrite it with -update-golden"}
	}
	t.Errorf("%s differs from this run (after an intended change, rerun with -update-golden):\n\t%s\ngot:\n%s",
		path, strings.Join(diff, "\n\t"), b)
}

// roundTrip returns v as encoding/json decodes it into an any.
func roundTrip(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// jsonDiff lists where decoded JSON values differ, by dotted path: objects
// member by member, anything else as a whole.
func jsonDiff(path string, want, got any) []string {
	wm, wok := want.(map[string]any)
	gm, gok := got.(map[string]any)
	if !wok || !gok {
		if reflect.DeepEqual(want, got) {
			return nil
		}
		return []string{fmt.Sprintf("%s: got %s, want %s", path, compact(got), compact(want))}
	}
	var diff []string
	for _, k := range slices.Sorted(maps.Keys(wm)) {
		p := strings.TrimPrefix(path+"."+k, ".")
		if g, ok := gm[k]; ok {
			diff = append(diff, jsonDiff(p, wm[k], g)...)
		} else {
			diff = append(diff, fmt.Sprintf("%s: missing (want %s)", p, compact(wm[k])))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(gm)) {
		if _, ok := wm[k]; !ok {
			diff = append(diff, fmt.Sprintf("%s: unexpected (got %s)", strings.TrimPrefix(path+"."+k, "."), compact(gm[k])))
		}
	}
	return diff
}

func compact(v any) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return strings.TrimSuffix(b.String(), "\n")
}
