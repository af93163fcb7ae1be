package config

import (
	"slices"
	"strings"
	"testing"
)

// fakeEnv returns an env lookup backed by vars, for LoadBytes.
func fakeEnv(vars map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		v, ok := vars[name]
		return v, ok
	}
}

// longSecret is long enough not to draw a warning.
const longSecret = "0123456789abcdef0123456789abcdef"

// load decodes a file named stepup.yaml with the given environment.
//
// Most test files keep defaults that suit development but draw a warning in
// a file: store.memdb.dir is relative, secrets.key is unset, and the demo is
// on and no proxy trusted, which an https public_url makes worth warnings.
// load leaves those warnings out, so each test lists only the problems it
// is about; TestRelativeDataDir, TestSecretKeyWarning, TestDemoWarning and
// TestNoTrustedProxyWarning check them.
func load(t *testing.T, yaml string, vars map[string]string) (*Config, Problems) {
	t.Helper()
	cfg, ps := LoadBytes("stepup.yaml", []byte(yaml), fakeEnv(vars))
	if (cfg == nil) != ps.HasErrors() {
		t.Fatalf("cfg == nil is %v, but HasErrors is %v:\n%s", cfg == nil, ps.HasErrors(), ps)
	}
	return cfg, slices.DeleteFunc(ps, func(p Problem) bool {
		return isRelativeDirWarning(p) || isSecretKeyWarning(p) || isDemoWarning(p) || isNoTrustedProxyWarning(p)
	})
}

func isRelativeDirWarning(p Problem) bool {
	return p.Severity == Warning && p.Path == "store.memdb.dir" &&
		strings.Contains(p.Message, "is relative to the working directory")
}

func isSecretKeyWarning(p Problem) bool {
	return p.Severity == Warning && p.Path == "secrets.key" && strings.HasPrefix(p.Message, "is not set")
}

func isDemoWarning(p Problem) bool {
	return p.Severity == Warning && p.Path == "demo.enabled"
}

func isNoTrustedProxyWarning(p Problem) bool {
	return p.Severity == Warning && p.Path == "server.trusted_proxies"
}

// lines formats problems one per element, for comparison with a want list.
func lines(ps Problems) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return out
}

// wantProblems fails t unless ps formats exactly as want.
func wantProblems(t *testing.T, ps Problems, want ...string) {
	t.Helper()
	got := lines(ps)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems:\n\t%s\nwant:\n\t%s", strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}
}
