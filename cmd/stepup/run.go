package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
)

// Exit codes.
const (
	exitOK    = 0
	exitFail  = 1 // the command ran and failed, or found errors
	exitUsage = 2 // the command line itself is wrong
)

const usage = `stepup is an OpenID Connect provider with risk-based step-up authentication.

Usage:
  stepup serve [--config FILE]            run the server
  stepup config validate [--config FILE]  list every problem in a configuration
  stepup config example                   print a commented example configuration
  stepup keys rotate [--config FILE]      start signing with the next keys, publish new ones
  stepup keys list [--config FILE]        list the token signing keys
  stepup users unlock --username NAME     unlock an account locked by failed attempts
  stepup apikeys create|list|revoke       manage the keys of the track and admin APIs
  stepup rules test --input CASE.json     evaluate an action's rules over one input, offline
  stepup version                          print the version
  stepup help                             show this help

The configuration file is --config FILE, else $STEPUP_CONFIG, else none
(the built-in defaults).
`

// run is the whole program behind main, so that tests drive it in-process:
// args excludes the program name, and the result is the exit code.
// Cancelling ctx stops a running server as a signal would.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	switch cmd, rest := args[0], args[1:]; cmd {
	case "serve":
		return serve(ctx, rest, stdout, stderr)
	case "config":
		return configCommand(rest, stdout, stderr)
	case "keys":
		return keysCommand(ctx, rest, stdout, stderr)
	case "users":
		return usersCommand(ctx, rest, stdout, stderr)
	case "apikeys":
		return apikeysCommand(ctx, rest, stdout, stderr)
	case "rules":
		return rulesCommand(ctx, rest, stdout, stderr)
	case "version":
		return versionCommand(rest, stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	default:
		fmt.Fprintf(stderr, "stepup: unknown command %q\n\n%s", cmd, usage)
		return exitUsage
	}
}

// parseFlags parses a subcommand's flags, which take no positional
// arguments. When it reports done, the command stops with the exit code:
// help was asked for, or the command line is wrong.
func parseFlags(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) (code int, done bool) {
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			fs.Usage()
			return exitOK, true
		}
		return exitUsage, true // the flag package has printed the problem and the usage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "stepup %s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		fs.Usage()
		return exitUsage, true
	}
	return 0, false
}

// newFlagSet returns a flag set for "stepup name" whose usage line is synopsis.
func newFlagSet(name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: stepup %s\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// configFlag adds --config to fs.
func configFlag(fs *flag.FlagSet) *string {
	return fs.String("config", "", "configuration `file` (default $STEPUP_CONFIG, else the built-in defaults)")
}
