package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/stepup-auth/stepup/stepup/api/apikey"
	"github.com/stepup-auth/stepup/stepup/store"
)

const apikeysUsage = `Usage:
  stepup apikeys create [--config FILE] --kind server|admin --name NAME [--expires 720h]
      make a key and print it, once: server keys call the track API,
      admin keys the admin API. Only a hash of it is kept.
  stepup apikeys list [--config FILE]
      list the keys (never their secrets)
  stepup apikeys revoke [--config FILE] --id ID
      delete a key; servers that verified it stop taking it within 5 seconds

They need the data folder to themselves: stop a running stepup first.
`

func apikeysCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, apikeysUsage)
		return exitUsage
	}
	switch sub, rest := args[0], args[1:]; sub {
	case "create":
		return apikeysCreate(ctx, rest, stdout, stderr)
	case "list":
		return apikeysList(ctx, rest, stdout, stderr)
	case "revoke":
		return apikeysRevoke(ctx, rest, stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, apikeysUsage)
		return exitOK
	default:
		fmt.Fprintf(stderr, "stepup apikeys: unknown command %q\n\n%s", sub, apikeysUsage)
		return exitUsage
	}
}

const apikeysBusy = "managing the API keys of a running server is not available yet"

// apikeysCreate prints the new key alone on stdout, so that a script can
// take it (KEY=$(stepup apikeys create ...)), and what it is on stderr.
func apikeysCreate(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	const synopsis = "apikeys create [--config FILE] --kind server|admin --name NAME [--expires 720h]"
	fs := newFlagSet("apikeys create", synopsis)
	file := configFlag(fs)
	kind := fs.String("kind", "", "the `kind` of key: server (the track API) or admin (the admin API)")
	name := fs.String("name", "", "a `name` for people: who holds the key, what for")
	expires := fs.Duration("expires", 0, "how long the key is valid, as a Go `duration` (720h); 0 for ever")
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	if *expires < 0 {
		fmt.Fprintln(stderr, "stepup apikeys create: --expires must not be negative")
		fs.Usage()
		return exitUsage
	}
	now := time.Now()
	var until time.Time
	if *expires > 0 {
		until = now.Add(*expires)
	}
	// The arguments are checked before the store is opened, so that a
	// mistake is a usage error even with the server running.
	key, rec, err := apikey.Generate(*kind, *name, nil, until, now)
	if err != nil {
		fmt.Fprintf(stderr, "stepup apikeys create: %v\n", err)
		fs.Usage()
		return exitUsage
	}
	_, st, _, code := openKeyStore("apikeys create", *file, apikeysBusy, false, stderr)
	if st == nil {
		return code
	}
	if err := st.APIKeys().Create(ctx, rec); err != nil {
		fmt.Fprintf(stderr, "stepup apikeys create: %v\n", err)
		return closeKeyStore("apikeys create", st, exitFail, stderr)
	}
	if code := closeKeyStore("apikeys create", st, exitOK, stderr); code != exitOK {
		return code // not durable: the key may not exist
	}
	fmt.Fprintln(stdout, key)
	fmt.Fprintf(stderr, "Created %s key %s (%s), expiring %s. It is shown this once: keep it now.\n",
		rec.Kind, rec.ID, rec.Name, expiry(rec.ExpiresAt))
	return exitOK
}

func expiry(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format(time.RFC3339)
}

func apikeysList(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("apikeys list", "apikeys list [--config FILE]")
	file := configFlag(fs)
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	_, st, _, code := openKeyStore("apikeys list", *file, apikeysBusy, true, stderr)
	if st == nil {
		return code
	}
	return closeKeyStore("apikeys list", st, listAPIKeys(ctx, st.APIKeys(), stdout, stderr), stderr)
}

func listAPIKeys(ctx context.Context, keys store.APIKeys, stdout, stderr io.Writer) int {
	w := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tKIND\tNAME\tCREATED\tLAST USED\tEXPIRES")
	n := 0
	for p := (store.Page{}); ; {
		page, err := keys.List(ctx, p)
		if err != nil {
			fmt.Fprintf(stderr, "stepup apikeys list: %v\n", err)
			return exitFail
		}
		for _, k := range page {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Kind, k.Name, listTime(k.CreatedAt), listTime(k.LastUsedAt), listTime(k.ExpiresAt))
		}
		n += len(page)
		if len(page) < p.PageLimit() {
			break
		}
		p.After = page[len(page)-1].ID
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintf(stderr, "stepup apikeys list: %v\n", err)
		return exitFail
	}
	if n == 0 {
		fmt.Fprintln(stdout, "No API keys yet: stepup apikeys create makes one.")
	}
	return exitOK
}

func apikeysRevoke(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("apikeys revoke", "apikeys revoke [--config FILE] --id ID")
	file := configFlag(fs)
	id := fs.String("id", "", "the `id` of the key, as apikeys list shows it")
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	if *id == "" {
		fmt.Fprintln(stderr, "stepup apikeys revoke: --id is required")
		fs.Usage()
		return exitUsage
	}
	_, st, _, code := openKeyStore("apikeys revoke", *file, apikeysBusy, true, stderr)
	if st == nil {
		return code
	}
	code = exitOK
	switch err := st.APIKeys().Delete(ctx, *id); {
	case errors.Is(err, store.ErrNotFound):
		fmt.Fprintf(stderr, "stepup apikeys revoke: there is no API key %q\n", *id)
		code = exitFail
	case err != nil:
		fmt.Fprintf(stderr, "stepup apikeys revoke: %v\n", err)
		code = exitFail
	}
	if code = closeKeyStore("apikeys revoke", st, code, stderr); code == exitOK {
		fmt.Fprintf(stdout, "Revoked API key %s.\n", *id)
	}
	return code
}
