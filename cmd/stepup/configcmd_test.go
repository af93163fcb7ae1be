package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stepup-auth/stepup/config"
)

// problemLine matches "file:line:col: path: message".
var problemLine = regexp.MustCompile(`^(\S+?):(\d+):(\d+): (?:warning: )?(\S+): (.+)$`)

func TestValidateThreeMistakes(t *testing.T) {
	t.Setenv(config.EnvVar, "")
	code, stdout, stderr := runCmd(t, "config", "validate", "--config", "testdata/three_mistakes.yaml")
	if code != exitFail {
		t.Errorf("exit code %d, want %d", code, exitFail)
	}
	if stderr != "" {
		t.Errorf("stderr: %q", stderr)
	}
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	want := []struct{ line, path string }{
		{"5", "server.read_header_timeout"},
		{"7", "log.levle"},
		{"10", "store.memdb.snapshot_every"},
	}
	if len(lines) != len(want)+1 {
		t.Fatalf("got %d lines, want %d problems and a summary:\n%s", len(lines), len(want), stdout)
	}
	for i, w := range want {
		m := problemLine.FindStringSubmatch(lines[i])
		if m == nil || m[1] != "testdata/three_mistakes.yaml" || m[2] != w.line || m[4] != w.path {
			t.Errorf("line %d = %q, want testdata/three_mistakes.yaml:%s:COL: %s: ...", i+1, lines[i], w.line, w.path)
		}
	}
	if summary := lines[len(lines)-1]; !strings.Contains(summary, "3 errors, 0 warnings") {
		t.Errorf("summary %q does not count 3 errors", summary)
	}
}

func TestValidateExample(t *testing.T) {
	// The example may read a client secret from here; it is harmless if not.
	t.Setenv("STEPUP_DEMO_SECRET", strings.Repeat("s", 40))
	example := filepath.Join("..", "..", "config", "example.yaml")

	t.Run("flag", func(t *testing.T) {
		t.Setenv(config.EnvVar, "")
		code, stdout, _ := runCmd(t, "config", "validate", "--config", example)
		if code != exitOK || stdout != example+": valid\n" {
			t.Errorf("exit code %d, output:\n%s", code, stdout)
		}
	})
	t.Run("environment", func(t *testing.T) {
		t.Setenv(config.EnvVar, example)
		code, stdout, _ := runCmd(t, "config", "validate")
		if code != exitOK || stdout != example+": valid\n" {
			t.Errorf("exit code %d, output:\n%s", code, stdout)
		}
	})
}

func TestConfigExamplePrintsAValidFile(t *testing.T) {
	t.Setenv("STEPUP_DEMO_SECRET", strings.Repeat("s", 40))
	code, stdout, stderr := runCmd(t, "config", "example")
	if code != exitOK || stderr != "" {
		t.Fatalf("exit code %d, stderr %q", code, stderr)
	}
	if stdout != string(config.Example) {
		t.Fatal("stepup config example does not print config.Example")
	}
	path := filepath.Join(t.TempDir(), "stepup.yaml")
	if err := os.WriteFile(path, []byte(stdout), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := runCmd(t, "config", "validate", "--config", path); code != exitOK {
		t.Errorf("the printed example does not validate:\n%s", out)
	}
}

func TestValidateInvalidYAML(t *testing.T) {
	code, stdout, _ := runCmd(t, "config", "validate", "--config", "testdata/invalid.yaml")
	if code != exitFail {
		t.Errorf("exit code %d, want %d", code, exitFail)
	}
	if !strings.HasPrefix(stdout, "testdata/invalid.yaml:4:") || !strings.Contains(stdout, "invalid YAML") {
		t.Errorf("output does not point at line 4 as invalid YAML:\n%s", stdout)
	}
}

func TestValidateWarningsAlonePass(t *testing.T) {
	code, stdout, _ := runCmd(t, "config", "validate", "--config", "testdata/warnings_only.yaml")
	if code != exitOK {
		t.Errorf("exit code %d, want %d", code, exitOK)
	}
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], ": warning: oidc.clients[0].secret: ") || !strings.HasSuffix(lines[1], "valid, with 1 warning") {
		t.Errorf("want the warning and a summary, got:\n%s", stdout)
	}
}

func TestValidateDefaults(t *testing.T) {
	t.Setenv(config.EnvVar, "")
	code, stdout, _ := runCmd(t, "config", "validate")
	if code != exitOK || !strings.Contains(stdout, "built-in defaults are valid") {
		t.Errorf("exit code %d, output:\n%s", code, stdout)
	}
}

func TestValidateMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope.yaml")
	code, stdout, _ := runCmd(t, "config", "validate", "--config", path)
	if code != exitFail || !strings.HasPrefix(stdout, path+": ") {
		t.Errorf("exit code %d, output:\n%s", code, stdout)
	}
}
