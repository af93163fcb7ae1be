package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/stepup-auth/stepup/config"
	"github.com/stepup-auth/stepup/stepup/api"
	"github.com/stepup-auth/stepup/stepup/rules"
	"github.com/stepup-auth/stepup/stepup/signals"
)

const rulesUsage = `Usage:
  stepup rules test [--config FILE] --input CASE.json [--action ACTION] [--rules FILE]
      evaluate the rules of an action over one input, offline, and print
      the result as JSON: the outcome, level, max_age and methods, the
      winning rule, every rule matched, the rules that failed to evaluate,
      and the input values the matched rules read

The rules are the configuration's rule files (rules.files), or --rules FILE.
The input is a JSON object by the names the rules use:
  {"device": {"new": true}, "action": {"custom": {"amount": 1500}}}
now defaults to the present, action.code to the action, lists to the
configuration's value lists (signals.lists). The action is --action, else
the input's action.code, else the only one there are rules for.
Exit 1 when the rules do not compile (every problem is printed with its
place), a file cannot be read or there are no rules for the action; 2 when
the command line is wrong.
`

func rulesCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, rulesUsage)
		return exitUsage
	}
	switch sub, rest := args[0], args[1:]; sub {
	case "test":
		return rulesTest(ctx, rest, stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, rulesUsage)
		return exitOK
	default:
		fmt.Fprintf(stderr, "stepup rules: unknown command %q\n\n%s", sub, rulesUsage)
		return exitUsage
	}
}

// testOutput is what stepup rules test prints.
type testOutput struct {
	Action string         `json:"action"`
	Result rules.Result   `json:"result"`
	Values map[string]any `json:"values,omitempty"`
}

func rulesTest(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("rules test", "rules test [--config FILE] --input CASE.json [--action ACTION] [--rules FILE]")
	file := configFlag(fs)
	inputFile := fs.String("input", "", "the input, a JSON `file` (see stepup rules help)")
	actionFlag := fs.String("action", "", "the `action` whose rules decide (default: the input's action.code, else the only one)")
	rulesFile := fs.String("rules", "", "a rule set `file` to test instead of the configuration's")
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	if *inputFile == "" {
		fmt.Fprintln(stderr, "stepup rules test: --input is required")
		fs.Usage()
		return exitUsage
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "stepup rules test: "+format+"\n", a...)
		return exitFail
	}

	path := config.Path(*file)
	// A rule file that does not compile is among the problems, with its
	// place.
	cfg, _, ok := loadConfig(path, stderr)
	if !ok {
		return exitFail
	}
	sets, code := loadRuleSets(cfg.Rules.Files, *rulesFile, stderr)
	if sets == nil {
		return code
	}
	lists, err := signals.NewLists(cfg.Signals.ListsConfig())
	if err != nil {
		return fail("%v", err)
	}

	b, err := os.ReadFile(*inputFile)
	if err != nil {
		return fail("%v", err)
	}
	var in rules.Input
	if err := api.DecodeJSON(b, &in); err != nil {
		return fail("%s: %s", *inputFile, strings.TrimPrefix(err.Error(), "api: the body is "))
	}

	action := cmp.Or(*actionFlag, in.Action.Code)
	if action == "" {
		if len(sets) != 1 {
			fmt.Fprintf(stderr, "stepup rules test: there are rules for %s: name the action with --action or the input's action.code\n", actionNames(sets))
			fs.Usage()
			return exitUsage
		}
		for a := range sets {
			action = a
		}
	}
	set, ok := sets[action]
	if !ok {
		return fail("there are no rules for action %q, only for %s", action, actionNames(sets))
	}
	// Completed as the engine fills an input.
	if in.Now.IsZero() {
		in.Now = time.Now()
	}
	if in.Action.Code == "" {
		in.Action.Code = action
	}
	if in.Lists == nil {
		in.Lists = lists.Values()
	}
	res := set.Evaluate(ctx, &in)
	out, err := json.MarshalIndent(testOutput{Action: action, Result: res, Values: set.Values(&in, res.Matched)}, "", "  ")
	if err != nil {
		return fail("%v", err)
	}
	fmt.Fprintf(stdout, "%s\n", out)
	return exitOK
}

// loadRuleSets compiles the rule set file given, else the configuration's
// files, by action. If one does not compile, it prints every problem as
// file:line:column: ... and returns nil.
func loadRuleSets(files []string, given string, stderr io.Writer) (map[string]*rules.RuleSet, int) {
	if given != "" {
		files = []string{given}
	}
	if len(files) == 0 {
		fmt.Fprintln(stderr, "stepup rules test: there are no rules: the configuration has no rules.files; give a rule set with --rules")
		return nil, exitFail
	}
	sets := map[string]*rules.RuleSet{}
	code := exitOK
	for _, f := range files {
		spec, err := os.ReadFile(f)
		if err != nil {
			fmt.Fprintf(stderr, "stepup rules test: %v\n", err)
			code = exitFail
			continue
		}
		set, err := rules.Compile(spec)
		var re *rules.Error
		switch {
		case errors.As(err, &re):
			for _, p := range re.Problems {
				sep := ":" // Problem.String starts with line:column: when it has a place
				if p.Line == 0 {
					sep = ": "
				}
				fmt.Fprintf(stderr, "%s%s%s\n", f, sep, p)
			}
			code = exitFail
		case err != nil:
			fmt.Fprintf(stderr, "%s: %v\n", f, err)
			code = exitFail
		default:
			sets[set.Action()] = set
		}
	}
	if code != exitOK {
		return nil, code
	}
	return sets, exitOK
}

func actionNames(sets map[string]*rules.RuleSet) string {
	var names []string
	for a := range sets {
		names = append(names, a)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}
