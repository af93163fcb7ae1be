package stepup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stepup-auth/stepup/stepup/rules"
	"github.com/stepup-auth/stepup/stepup/store"
)

// RuleBook holds the published rules of every action, compiled, and
// swaps in a new version without a restart: a decision reads the map of
// the moment, whole, and never a rule set half replaced.
//
// The store keeps every version. Publish checks and stores a new one and
// serves it at once; Refresh picks up versions another replica published.
type RuleBook struct {
	store store.RuleSets
	audit store.Audit
	now   func() time.Time

	mu   sync.Mutex // one Publish or Refresh at a time
	sets atomic.Pointer[map[string]Published]
}

// Published is the rule set an action runs, with its version.
type Published struct {
	Rules   *rules.RuleSet
	Version uint64
}

// ErrVersion says a rule set was edited from a version that is no longer
// the latest: someone published in between.
var ErrVersion = errors.New("stepup: the rules changed since the version edited")

// NewRuleBook loads the latest rules of every action from st. A stored
// version that no longer compiles (a rule set written by a newer stepup,
// a type that changed) is an error: serving without an action's rules
// would allow what they refuse.
func NewRuleBook(ctx context.Context, st store.RuleSets, audit store.Audit, now func() time.Time) (*RuleBook, error) {
	if now == nil {
		now = time.Now
	}
	b := &RuleBook{store: st, audit: audit, now: now}
	b.sets.Store(&map[string]Published{})
	if err := b.Refresh(ctx); err != nil {
		return nil, err
	}
	return b, nil
}

// Get returns the rules of action; ok is false when it has none.
func (b *RuleBook) Get(action string) (p Published, ok bool) {
	p, ok = (*b.sets.Load())[action]
	return p, ok
}

// All returns every action's rules, by action.
func (b *RuleBook) All() map[string]Published { return *b.sets.Load() }

// Refresh loads the versions published since the last look, by this
// process or another.
func (b *RuleBook) Refresh(ctx context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	latest, err := b.store.LatestAll(ctx)
	if err != nil {
		return fmt.Errorf("stepup: load rules: %w", err)
	}
	sets := *b.sets.Load()
	var next map[string]Published
	var errs []error
	for _, rs := range latest {
		if cur, ok := sets[rs.Action]; ok && cur.Version >= rs.Version {
			continue
		}
		// Each action on its own: rules this server cannot compile (written
		// by a newer stepup) keep their action on the version it has,
		// and hold back no other action's change.
		compiled, err := rules.Compile(rs.Spec)
		if err != nil {
			errs = append(errs, fmt.Errorf("stepup: rules of %s, version %d: %w", rs.Action, rs.Version, err))
			continue
		}
		if next == nil {
			next = maps.Clone(sets)
		}
		next[rs.Action] = Published{Rules: compiled, Version: rs.Version}
	}
	if next != nil {
		b.sets.Store(&next)
	}
	return errors.Join(errs...)
}

// Publish compiles spec and, if it is sound, stores it as the next
// version of its action and serves it from now on. base is the version
// the author edited (0 for an action's first rules): if another was
// published since, nothing changes and the error is ErrVersion. A spec
// that does not compile returns the compiler's error, which lists every
// problem with its place. Each publication is an audit event.
func (b *RuleBook) Publish(ctx context.Context, spec []byte, base uint64, author, comment string) (*store.RuleSet, error) {
	compiled, err := rules.Compile(spec)
	if err != nil {
		return nil, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	// The stored document is the compiled one, as JSON: one canonical form
	// whatever the author wrote (YAML, comments, key order).
	canonical, err := json.Marshal(compiled.Spec())
	if err != nil {
		return nil, fmt.Errorf("stepup: rules: %w", err)
	}
	rec := &store.RuleSet{
		Action: compiled.Action(), Version: base + 1, Spec: canonical,
		Author: author, Comment: comment, CreatedAt: b.now(),
	}
	switch err := b.store.Publish(ctx, rec); {
	case errors.Is(err, store.ErrConflict):
		return nil, ErrVersion
	case err != nil:
		return nil, fmt.Errorf("stepup: publish rules of %s: %w", rec.Action, err)
	}
	next := maps.Clone(*b.sets.Load())
	next[rec.Action] = Published{Rules: compiled, Version: rec.Version}
	b.sets.Store(&next)
	if b.audit != nil {
		data, _ := json.Marshal(map[string]any{"action": rec.Action, "version": rec.Version, "comment": comment})
		// The rules are live: a failed audit write is reported, not undone.
		if err := b.audit.Append(ctx, &store.AuditEvent{Time: rec.CreatedAt, Type: "rules.published", ActorID: author, Data: data}); err != nil {
			return rec, fmt.Errorf("stepup: rules of %s published as version %d, but the audit event was not written: %w", rec.Action, rec.Version, err)
		}
	}
	return rec, nil
}

// Seed publishes, for each action that has no rules in the store yet,
// the spec given for it: the configuration's rules at the first start.
// Actions with stored rules keep them; from then on rules change through
// Publish.
func (b *RuleBook) Seed(ctx context.Context, specs [][]byte, author string) error {
	for _, spec := range specs {
		compiled, err := rules.Compile(spec)
		if err != nil {
			return err
		}
		if _, ok := b.Get(compiled.Action()); ok {
			continue
		}
		if _, err := b.Publish(ctx, spec, 0, author, "loaded from the configuration"); err != nil && !errors.Is(err, ErrVersion) {
			return err
		}
	}
	return b.Refresh(ctx)
}
