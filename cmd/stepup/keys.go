package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/stepup-auth/stepup/config"
	"github.com/stepup-auth/stepup/stepup/keys"
	"github.com/stepup-auth/stepup/stepup/store"
	"golang.org/x/sys/unix"
)

const keysUsage = `Usage:
  stepup keys rotate [--config FILE] [--alg ES256|RS256|EdDSA|all] [--force]
      for each algorithm (default all): the next key starts signing, the
      active key is retired and a new next key is published
  stepup keys list [--config FILE]
      list the signing keys with their states and times

Both need the data folder to themselves: stop a running stepup first.
Relying parties may cache the key set for an hour, so rotate refuses to
activate a next key published less than an hour and a few minutes ago, and
says from when it may. --force activates it at once, for a compromised key:
relying parties holding a cached key set reject the new tokens until they
fetch it again, for up to an hour.
`

func keysCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, keysUsage)
		return exitUsage
	}
	switch sub, rest := args[0], args[1:]; sub {
	case "rotate":
		return keysRotate(ctx, rest, stdout, stderr)
	case "list":
		return keysList(ctx, rest, stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, keysUsage)
		return exitOK
	default:
		fmt.Fprintf(stderr, "stepup keys: unknown command %q\n\n%s", sub, keysUsage)
		return exitUsage
	}
}

// keysRotate rotates the chosen algorithms and prints, for each, the kid
// that signs now and the kid newly published as next.
func keysRotate(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("keys rotate", "keys rotate [--config FILE] [--alg ES256|RS256|EdDSA|all] [--force]")
	file := configFlag(fs)
	algFlag := fs.String("alg", "all", "the `algorithm` to rotate: ES256, RS256, EdDSA or all")
	force := fs.Bool("force", false, "activate the next keys even if relying parties may not have fetched them yet, for a compromised key:\nrelying parties with a cached key set reject the new tokens until they fetch it again")
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	algs := signingAlgorithms
	if !strings.EqualFold(*algFlag, "all") {
		i := slices.IndexFunc(signingAlgorithms, func(a string) bool { return strings.EqualFold(a, *algFlag) })
		if i < 0 {
			fmt.Fprintf(stderr, "stepup keys rotate: unknown algorithm %q (want ES256, RS256, EdDSA or all)\n", *algFlag)
			fs.Usage()
			return exitUsage
		}
		algs = signingAlgorithms[i : i+1]
	}

	const busy = "key rotation of a running server comes with the admin API"
	cfg, st, log, code := openKeyStore("keys rotate", *file, busy, false, stderr)
	if st == nil {
		return code
	}
	return closeKeyStore("keys rotate", st, rotate(ctx, cfg, st, log, algs, *force, stdout, stderr), stderr)
}

func rotate(ctx context.Context, cfg *config.Config, st store.Store, log *slog.Logger, algs []string, force bool, stdout, stderr io.Writer) int {
	m, err := masterKey(cfg, log)
	if err != nil {
		fmt.Fprintf(stderr, "stepup keys rotate: %v\n", err)
		return exitFail
	}
	ring, retireAfter, err := signingRing(cfg, st, m, nil)
	if err == nil {
		// A first rotation on a new data folder creates the keys to
		// rotate; on an existing one it checks the master key opens them.
		err = ring.Ensure(ctx)
	}
	rotateOne := ring.Rotate
	if force {
		rotateOne = ring.RotateSkipPublishWait
	}
	var done []string
	for _, alg := range algs {
		if err == nil {
			if err = rotateOne(ctx, alg); err == nil {
				done = append(done, alg)
			}
		}
	}
	var recs []*store.SigningKey
	if err == nil {
		recs, err = st.SigningKeys().List(ctx)
	}
	if err != nil {
		fmt.Fprintf(stderr, "stepup keys rotate: %v\n", err)
		if len(done) > 0 {
			fmt.Fprintf(stderr, "stepup keys rotate: %s rotated before that; stepup keys list shows the keys\n", strings.Join(done, ", "))
		}
		if errors.Is(err, keys.ErrTooSoon) {
			fmt.Fprintln(stderr, "stepup keys rotate: --force activates it now, for a compromised key; relying parties holding a cached key set reject the new tokens until they fetch it again")
		}
		return exitFail
	}
	w := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "ALG\tACTIVE (SIGNS NOW)\tNEXT (NEWLY PUBLISHED)")
	for _, alg := range algs {
		fmt.Fprintf(w, "%s\t%s\t%s\n", alg, kidIn(recs, alg, store.SigningKeyActive), kidIn(recs, alg, store.SigningKeyNext))
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintf(stderr, "stepup keys rotate: %v\n", err)
		return exitFail
	}
	fmt.Fprintf(stdout, "The retired keys stay published for %v, until the last token they signed has expired.\n", retireAfter)
	return exitOK
}

// keysList prints every signing key the store holds: retired keys until
// they expire, then they are gone.
func keysList(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("keys list", "keys list [--config FILE]")
	file := configFlag(fs)
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	const busy = "listing the keys of a running server comes with the admin API"
	_, st, _, code := openKeyStore("keys list", *file, busy, true, stderr)
	if st == nil {
		return code
	}
	return closeKeyStore("keys list", st, list(ctx, st, stdout, stderr), stderr)
}

func list(ctx context.Context, st store.Store, stdout, stderr io.Writer) int {
	recs, err := st.SigningKeys().List(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "stepup keys list: %v\n", err)
		return exitFail
	}
	slices.SortFunc(recs, listOrder)
	w := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "ALG\tKID\tSTATE\tCREATED\tACTIVATED\tRETIRED\tEXPIRES")
	for _, k := range recs {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", k.Algorithm, k.ID, k.State,
			listTime(k.CreatedAt), listTime(k.ActivatedAt), listTime(k.RetiredAt), listTime(k.ExpiresAt))
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintf(stderr, "stepup keys list: %v\n", err)
		return exitFail
	}
	if len(recs) == 0 {
		fmt.Fprintln(stdout, "No signing keys yet: stepup serve or stepup keys rotate creates them.")
	}
	return exitOK
}

// openKeyStore loads the configuration and opens the store for the
// command cmd. If it cannot, it says why on stderr and returns a nil store
// and the exit code. busy says what will one day work on a running server;
// mustExist refuses to create a data folder that is not there.
func openKeyStore(cmd, file, busy string, mustExist bool, stderr io.Writer) (*config.Config, store.Store, *slog.Logger, int) {
	path := config.Path(file)
	cfg, _, ok := loadConfig(path, stderr)
	if !ok {
		return nil, nil, nil, exitFail
	}
	// Warnings about the configuration are left to `serve` and `config
	// validate`; what this command does that needs attention (a master key
	// generated) is logged, and nothing more.
	lc := cfg.Log
	lc.Level = max(lc.Level, slog.LevelWarn)
	log := newLogger(lc, stderr)
	if mustExist {
		// A missing folder more likely means the configuration names
		// the wrong one than that there are no keys.
		if _, err := os.Stat(cfg.Store.Memdb.Dir); errors.Is(err, os.ErrNotExist) {
			fmt.Fprintf(stderr, "stepup %s: there is no data folder %s; stepup serve creates it\n", cmd, cfg.Store.Memdb.Dir)
			return nil, nil, nil, exitFail
		}
	}
	st, err := openStore(cfg.Store, log)
	if err != nil {
		if dataFolderBusy(cfg.Store.Memdb.Dir) {
			fmt.Fprintf(stderr, "stepup %s: the data folder is in use by a running stepup; stop it first (%s)\n\t%v\n", cmd, busy, err)
		} else {
			fmt.Fprintf(stderr, "stepup %s: cannot open the store: %v\n", cmd, err)
		}
		return nil, nil, nil, exitFail
	}
	return cfg, st, log, exitOK
}

// closeKeyStore closes st and returns the command's exit code, which a
// failed close turns into a failure: the last writes may not be durable.
func closeKeyStore(cmd string, st store.Store, code int, stderr io.Writer) int {
	if err := st.Close(); err != nil {
		fmt.Fprintf(stderr, "stepup %s: closing the store: %v\n", cmd, err)
		return exitFail
	}
	return code
}

// dataFolderBusy reports whether another process, or another open store in
// this one, holds the lock of the memdb data folder dir. memdb takes an
// exclusive flock on dir/LOCK for as long as a store is open; its error
// says so only in words, so the lock is probed here to tell a running
// stepup apart from any other failure to open.
func dataFolderBusy(dir string) bool {
	f, err := os.OpenFile(filepath.Join(dir, "LOCK"), os.O_RDWR, 0)
	if err != nil {
		return false
	}
	defer f.Close() // releases the probe's lock, if it got it
	err = unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
	return errors.Is(err, unix.EWOULDBLOCK)
}

// kidIn returns the kid of alg's key in state, or "-".
func kidIn(recs []*store.SigningKey, alg, state string) string {
	for _, k := range recs {
		if k.Algorithm == alg && k.State == state {
			return k.ID
		}
	}
	return "-"
}

// listOrder sorts keys as the JWKS does: by algorithm (stepup's, the
// default first, then any others by name), then active, next, retired,
// then the most recently activated or created first.
func listOrder(a, b *store.SigningKey) int {
	algIndex := func(alg string) int {
		if i := slices.Index(signingAlgorithms, alg); i >= 0 {
			return i
		}
		return len(signingAlgorithms)
	}
	states := []string{store.SigningKeyActive, store.SigningKeyNext, store.SigningKeyRetired}
	state := func(s string) int {
		if i := slices.Index(states, s); i >= 0 {
			return i
		}
		return len(states)
	}
	return cmp.Or(
		cmp.Compare(algIndex(a.Algorithm), algIndex(b.Algorithm)),
		cmp.Compare(a.Algorithm, b.Algorithm),
		cmp.Compare(state(a.State), state(b.State)),
		b.ActivatedAt.Compare(a.ActivatedAt),
		b.CreatedAt.Compare(a.CreatedAt),
		cmp.Compare(a.ID, b.ID),
	)
}

func listTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}
