package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/stepup-auth/stepup/stepup"
	"github.com/stepup-auth/stepup/stepup/factor"
	"github.com/stepup-auth/stepup/stepup/store"
)

const usersUsage = `Usage:
  stepup users unlock [--config FILE] --username NAME
      clear the user's failed sign-ins and verifications, which unlocks an
      account locked after 100 failures in a row (NIST SP 800-63B)
It needs the data folder to itself: stop a running stepup first.
`

func usersCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usersUsage)
		return exitUsage
	}
	switch sub, rest := args[0], args[1:]; sub {
	case "unlock":
		return usersUnlock(ctx, rest, stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usersUsage)
		return exitOK
	default:
		fmt.Fprintf(stderr, "stepup users: unknown command %q\n\n%s", sub, usersUsage)
		return exitUsage
	}
}

func usersUnlock(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("users unlock", "users unlock [--config FILE] --username NAME")
	file := configFlag(fs)
	username := fs.String("username", "", "the `name` of the user to unlock")
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	name, err := stepup.CanonicalUsername(*username)
	if err != nil {
		fmt.Fprintf(stderr, "stepup users unlock: --username: %v\n", err)
		return exitUsage
	}
	const busy = "unlocking on a running server comes with the admin API"
	_, st, _, code := openKeyStore("users unlock", *file, busy, true, stderr)
	if st == nil {
		return code
	}
	return closeKeyStore("users unlock", st, unlock(ctx, st, name, stdout, stderr), stderr)
}

func unlock(ctx context.Context, st store.Store, name string, stdout, stderr io.Writer) int {
	u, err := st.Users().GetByUsername(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		fmt.Fprintf(stderr, "stepup users unlock: there is no user %q\n", name)
		return exitFail
	}
	if err != nil {
		fmt.Fprintf(stderr, "stepup users unlock: %v\n", err)
		return exitFail
	}
	if err := factor.NewLimiter(st.Users(), factor.LimitPolicy{}, nil).Unlock(ctx, u.ID); err != nil {
		fmt.Fprintf(stderr, "stepup users unlock: %v\n", err)
		return exitFail
	}
	fmt.Fprintf(stdout, "Unlocked %s: their failed sign-ins and verifications are cleared.\n", name)
	return exitOK
}
