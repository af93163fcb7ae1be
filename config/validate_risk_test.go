package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRulesAndSignalsAreValidated(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("payment.yaml", "action: payment\ndefault: ALLOW\nrules:\n  - id: big\n    priority: 1\n    when: action.custom.amount > 1000\n    outcome: BLOCK\n")
	again := write("payment2.yaml", "action: payment\ndefault: ALLOW\n")
	typo := write("typo.yaml", "action: signIn\ndefault: ALLOW\nrules:\n  - id: typo\n    priority: 1\n    when: device.nwe\n    outcome: BLOCK\n")

	for _, tc := range []struct {
		name, yaml string
		want       []string // substrings of the problems, in order
	}{
		{"a rule file that compiles", "rules:\n  files: [" + good + "]\n", nil},
		{"a missing rule file", "rules:\n  files: [" + filepath.Join(dir, "none.yaml") + "]\n",
			[]string{"rules.files[0]: cannot be read"}},
		{"a rule that does not type-check names the rule and its place", "rules:\n  files: [" + typo + "]\n",
			[]string{"rules.files[0]: " + typo, "typo", "nwe"}},
		{"two files for one action", "rules:\n  files: [" + good + ", " + again + "]\n",
			[]string{"rules.files[1]: " + again + " has rules for action payment"}},
		{"a network list with a bad entry", "signals:\n  networks:\n    office:\n      entries: [10.0.0.1/8]\n",
			[]string{"signals: ", "10.0.0.1/8"}},
		{"travel and devices out of range", "signals:\n  travel:\n    max_kmh: 0\n  devices:\n    max_per_user: 0\n",
			[]string{"signals.travel.max_kmh", "signals.devices.max_per_user"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, ps := load(t, tc.yaml, nil)
			got := ps.String()
			if len(tc.want) == 0 && len(ps) != 0 {
				t.Fatalf("problems:\n%s", got)
			}
			rest := got
			for _, w := range tc.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("problems lack %q (in order):\n%s", w, got)
				}
				rest = rest[i+len(w):]
			}
		})
	}
}
