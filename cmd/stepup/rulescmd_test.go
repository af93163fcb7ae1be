package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// writeFile writes body to name in dir and returns its path.
func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

const testPaymentRules = `action: payment
default: ALLOW
rules:
  - id: big
    priority: 1
    when: action.custom.amount > 1000
    outcome: BLOCK
  - id: vip
    priority: 2
    when: user.email in lists.vip
    outcome: CHALLENGE
    level: phr
    max_age: 5m
`

// testResult is what rules test prints, as a client reads it.
type testResult struct {
	Action string
	Result struct {
		Outcome, Level, Rule string
		MaxAge               string `json:"max_age"`
		Matched              []string
		Errors               []struct{ Rule, Message string }
	}
	Values map[string]any
}

func TestRulesTest(t *testing.T) {
	dir := t.TempDir()
	payment := writeFile(t, dir, "payment.yaml", testPaymentRules)
	signIn := writeFile(t, dir, "signIn.yaml", "action: signIn\ndefault: ALLOW\nrules:\n  - {id: bots, priority: 1, when: device.bot, outcome: BLOCK}\n")
	cfg := writeConfig(t, filepath.Join(dir, "data"), "rules:\n  files: ["+payment+", "+signIn+"]\n"+
		"signals:\n  lists:\n    vip:\n      entries: [vip@example.com]\n")
	big := writeFile(t, dir, "big.json", `{"action":{"code":"payment","custom":{"amount":1500}}}`)
	vip := writeFile(t, dir, "vip.json", `{"user":{"email":"vip@example.com"}}`)
	bot := writeFile(t, dir, "bot.json", `{"device":{"bot":true}}`)
	noAmount := writeFile(t, dir, "none.json", `{"now":"2026-03-01T12:00:00Z","action":{"code":"payment"}}`)

	for _, tt := range []struct {
		name    string
		args    []string
		action  string
		outcome string
		rule    string
		check   func(t *testing.T, r testResult)
	}{
		{name: "the input's action", args: []string{"--input", big}, action: "payment", outcome: "BLOCK", rule: "big",
			check: func(t *testing.T, r testResult) {
				if r.Values["action.custom.amount"] != 1500.0 || len(r.Result.Matched) != 1 {
					t.Errorf("values %v, matched %v", r.Values, r.Result.Matched)
				}
			}},
		{name: "--action and the configured lists", args: []string{"--input", vip, "--action", "payment"}, action: "payment", outcome: "CHALLENGE", rule: "vip",
			check: func(t *testing.T, r testResult) {
				if r.Result.Level != "phr" || r.Result.MaxAge != "5m0s" || r.Values["user.email"] != "vip@example.com" {
					t.Errorf("result %+v, values %v", r.Result, r.Values)
				}
				if len(r.Result.Errors) != 1 || r.Result.Errors[0].Rule != "big" {
					t.Errorf("the rule reading a missing amount: errors %+v", r.Result.Errors)
				}
			}},
		{name: "another action", args: []string{"--input", bot, "--action", "signIn"}, action: "signIn", outcome: "BLOCK", rule: "bots"},
		{name: "a rules file", args: []string{"--input", bot, "--rules", signIn}, action: "signIn", outcome: "BLOCK", rule: "bots"},
		{name: "the default", args: []string{"--input", noAmount}, action: "payment", outcome: "ALLOW", rule: ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCmd(t, append([]string{"rules", "test", "--config", cfg}, tt.args...)...)
			if code != exitOK || stderr != "" {
				t.Fatalf("exit %d\n%s", code, stderr)
			}
			var r testResult
			if err := json.Unmarshal([]byte(stdout), &r); err != nil {
				t.Fatalf("not JSON: %v\n%s", err, stdout)
			}
			if r.Action != tt.action || r.Result.Outcome != tt.outcome || r.Result.Rule != tt.rule {
				t.Errorf("got %s", stdout)
			}
			if tt.check != nil {
				tt.check(t, r)
			}
		})
	}

	for _, tt := range []struct {
		name    string
		args    []string
		code    int
		mention string
	}{
		{"no input", []string{}, exitUsage, "--input is required"},
		{"a stray argument", []string{"--input", big, "x"}, exitUsage, `unexpected argument "x"`},
		{"no action and several", []string{"--input", vip}, exitUsage, "there are rules for payment, signIn"},
		{"an action without rules", []string{"--input", vip, "--action", "refund"}, exitFail, `no rules for action "refund"`},
		{"a missing input", []string{"--input", filepath.Join(dir, "nope.json")}, exitFail, "nope.json"},
		{"a misspelt input", []string{"--input", writeFile(t, dir, "typo.json", `{"devcie":{"bot":true}}`)}, exitFail, `unknown field "devcie"`},
		{"an input that is not JSON", []string{"--input", writeFile(t, dir, "yaml.json", "device:\n  bot: true\n")}, exitFail, "yaml.json"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCmd(t, append([]string{"rules", "test", "--config", cfg}, tt.args...)...)
			if code != tt.code || stdout != "" || !strings.Contains(stderr, tt.mention) {
				t.Errorf("exit %d, want %d; stdout %q; stderr:\n%s", code, tt.code, stdout, stderr)
			}
		})
	}
}

// placed matches a problem printed as file:line:column: path (rule "id"): message.
var placed = regexp.MustCompile(`(?m)^(\S+):(\d+):(\d+): (\S+) \(rule "([^"]+)"\): (.+)$`)

// Rules that do not compile exit 1, every problem printed with its place.
func TestRulesTestCompileErrors(t *testing.T) {
	dir := t.TempDir()
	broken := writeFile(t, dir, "broken.yaml", strings.Replace(strings.Replace(testPaymentRules, "amount > 1000", "amuont > 1000 &&", 1), "CHALLENGE", "MAYBE", 1))
	in := writeFile(t, dir, "in.json", `{}`)

	code, stdout, stderr := runCmd(t, "rules", "test", "--input", in, "--rules", broken, "--config", writeConfig(t, filepath.Join(dir, "data"), ""))
	if code != exitFail || stdout != "" {
		t.Fatalf("exit %d, stdout %q", code, stdout)
	}
	ms := placed.FindAllStringSubmatch(stderr, -1)
	if len(ms) != 2 {
		t.Fatalf("want 2 placed problems, got:\n%s", stderr)
	}
	if m := ms[0]; m[1] != broken || m[2] != "6" || m[4] != "rules[0].when" || m[5] != "big" {
		t.Errorf("the first problem: %q", m[0])
	}
	if m := ms[1]; m[1] != broken || m[2] != "11" || m[4] != "rules[1].outcome" || m[5] != "vip" || !strings.Contains(m[6], "MAYBE") {
		t.Errorf("the second problem: %q", m[0])
	}

	// The configuration's rule files are checked as the configuration is,
	// with their places too.
	cfg := writeConfig(t, filepath.Join(dir, "data"), "rules:\n  files: ["+broken+"]\n")
	code, _, stderr = runCmd(t, "rules", "test", "--input", in, "--config", cfg)
	if code != exitFail || !strings.Contains(stderr, "rules.files[0]") || !strings.Contains(stderr, "6:") || !strings.Contains(stderr, "MAYBE") {
		t.Errorf("a broken configured file: exit %d\n%s", code, stderr)
	}
}

func TestRulesUsage(t *testing.T) {
	if code, _, stderr := runCmd(t, "rules"); code != exitUsage || !strings.Contains(stderr, "stepup rules test") {
		t.Errorf("no subcommand: exit %d, %s", code, stderr)
	}
	if code, _, stderr := runCmd(t, "rules", "check"); code != exitUsage || !strings.Contains(stderr, `unknown command "check"`) {
		t.Errorf("unknown subcommand: exit %d, %s", code, stderr)
	}
	if code, stdout, _ := runCmd(t, "rules", "help"); code != exitOK || !strings.Contains(stdout, "--input CASE.json") {
		t.Errorf("help: exit %d, %s", code, stdout)
	}
}
