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
// Most test files leave store.memdb.dir at its relative default, which draws
// a warning in every one of them; load leaves that warning out, so each test
// lists only the problems it is about. TestRelativeDataDir checks it.
func load(t *testing.T, yaml string, vars map[string]string) (*Config, Problems) {
	t.Helper()
	cfg, ps := LoadBytes("stepup.yaml", []byte(yaml), fakeEnv(vars))
	if (cfg == nil) != ps.HasErrors() {
		t.Fatalf("cfg == nil is %v, but HasErrors is %v:\n%s", cfg == nil, ps.HasErrors(), ps)
	}
	return cfg, slices.DeleteFunc(ps, isRelativeDirWarning)
}

func isRelativeDirWarning(p Problem) bool {
	return p.Severity == Warning && p.Path == "store.memdb.dir" &&
		strings.Contains(p.Message, "is relative to the working directory")
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
