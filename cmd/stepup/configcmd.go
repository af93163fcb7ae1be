package main

import (
	"fmt"
	"io"

	"github.com/stepup-auth/stepup/config"
)

const configUsage = `Usage:
  stepup config validate [--config FILE]  list every problem in a configuration
  stepup config example                   print a commented example configuration
`

func configCommand(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, configUsage)
		return exitUsage
	}
	switch sub, rest := args[0], args[1:]; sub {
	case "validate":
		return configValidate(rest, stdout, stderr)
	case "example":
		return configExample(rest, stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, configUsage)
		return exitOK
	default:
		fmt.Fprintf(stderr, "stepup config: unknown command %q\n\n%s", sub, configUsage)
		return exitUsage
	}
}

// configValidate prints every problem, errors and warnings, one per line,
// then a summary. Only errors fail it: stepup starts with warnings.
func configValidate(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("config validate", "config validate [--config FILE]")
	file := configFlag(fs)
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	path := config.Path(*file)
	_, problems := config.Load(path)
	for _, p := range problems {
		fmt.Fprintln(stdout, p)
	}
	fmt.Fprintln(stdout, validateSummary(path, problems))
	if problems.HasErrors() {
		return exitFail
	}
	return exitOK
}

func validateSummary(path string, ps config.Problems) string {
	errs, warns := 0, 0
	for _, p := range ps {
		if p.Severity == config.Warning {
			warns++
		} else {
			errs++
		}
	}
	if path == "" {
		// Only a bug in config can make the defaults invalid, but say so if it does.
		if errs > 0 || warns > 0 {
			return fmt.Sprintf("no configuration file given (--config or $%s): the built-in defaults have %s, %s", config.EnvVar, count(errs, "error"), count(warns, "warning"))
		}
		return fmt.Sprintf("no configuration file given (--config or $%s): the built-in defaults are valid", config.EnvVar)
	}
	subject := path
	switch {
	case errs > 0:
		return fmt.Sprintf("%s: %s, %s; stepup will not start with it", subject, count(errs, "error"), count(warns, "warning"))
	case warns > 0:
		return fmt.Sprintf("%s: valid, with %s", subject, count(warns, "warning"))
	default:
		return subject + ": valid"
	}
}

func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func configExample(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("config example", "config example")
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	if _, err := stdout.Write(config.Example); err != nil {
		fmt.Fprintf(stderr, "stepup config example: %v\n", err)
		return exitFail
	}
	return exitOK
}

// loadConfig loads the configuration at path. With errors in it, it
// prints every problem and the summary to stderr and returns false; the
// warnings of a configuration without errors are the caller's to show.
func loadConfig(path string, stderr io.Writer) (*config.Config, config.Problems, bool) {
	cfg, problems := config.Load(path)
	if !problems.HasErrors() {
		return cfg, problems, true
	}
	for _, p := range problems {
		fmt.Fprintln(stderr, p)
	}
	fmt.Fprintln(stderr, validateSummary(path, problems))
	return nil, problems, false
}
