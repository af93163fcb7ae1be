package conformance

import (
	"fmt"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/stepup/store"
)

// newRuleSet returns version v of the rules of action, every field set.
func newRuleSet(e *env, action string, v uint64) *store.RuleSet {
	return &store.RuleSet{
		Action:    action,
		Version:   v,
		Spec:      fmt.Appendf(nil, "rules:\n  - name: v%d\n    when: ip.risk > 0.5\n    then: challenge\n", v),
		Author:    "analyst@example.com",
		Comment:   fmt.Sprintf("version %d of %s", v, action),
		CreatedAt: at(e.now(), time.Duration(v)*time.Minute),
	}
}

func publish(e *env, action string, v uint64) *store.RuleSet {
	e.t.Helper()
	r := newRuleSet(e, action, v)
	must(e.t, fmt.Sprintf("RuleSets.Publish(%s v%d)", action, v), e.s.RuleSets().Publish(e.ctx, r.Clone()))
	return r
}

func ruleSetKey(r *store.RuleSet) string { return fmt.Sprintf("%s v%d", r.Action, r.Version) }

func testRuleSets(t *testing.T, nb NewBackend) {
	t.Run("PublishGet", func(t *testing.T) {
		e := setup(t, nb)
		r := newRuleSet(e, "payment", 1)
		checkFixture(t, r)
		want := r.Clone()
		must(t, "RuleSets.Publish of version 1", e.s.RuleSets().Publish(e.ctx, r))
		checkRecord(t, "RuleSets.Get(payment, 1)", read(e.s.RuleSets().Get(e.ctx, "payment", 1)).must(t, "RuleSets.Get"), want)
		checkRecord(t, "RuleSets.Latest(payment)", read(e.s.RuleSets().Latest(e.ctx, "payment")).must(t, "RuleSets.Latest"), want)
	})

	t.Run("PublishNextVersionOnly", func(t *testing.T) {
		e := setup(t, nb)
		for _, v := range []uint64{0, 2} {
			wantErr(t, fmt.Sprintf("RuleSets.Publish of version %d of a new action", v), e.s.RuleSets().Publish(e.ctx, newRuleSet(e, "payment", v)), store.ErrConflict)
		}
		v1 := publish(e, "payment", 1)
		for _, v := range []uint64{0, 1, 3} {
			dup := newRuleSet(e, "payment", v)
			dup.Author = "someone else"
			wantErr(t, fmt.Sprintf("RuleSets.Publish of version %d after version 1", v), e.s.RuleSets().Publish(e.ctx, dup), store.ErrConflict)
		}
		checkRecord(t, "RuleSets.Get(payment, 1) after conflicting Publishes", read(e.s.RuleSets().Get(e.ctx, "payment", 1)).must(t, "RuleSets.Get"), v1)
		read(e.s.RuleSets().Get(e.ctx, "payment", 3)).wantErr(t, "RuleSets.Get of a version whose Publish conflicted", store.ErrNotFound)
		v2 := publish(e, "payment", 2)
		checkRecord(t, "RuleSets.Latest(payment) after version 2", read(e.s.RuleSets().Latest(e.ctx, "payment")).must(t, "RuleSets.Latest"), v2)
		checkRecord(t, "RuleSets.Get(payment, 1) after version 2", read(e.s.RuleSets().Get(e.ctx, "payment", 1)).must(t, "RuleSets.Get"), v1)
		// Versions count per action.
		publish(e, "login", 1)
	})

	t.Run("Missing", func(t *testing.T) {
		e := setup(t, nb)
		read(e.s.RuleSets().Latest(e.ctx, "payment")).wantErr(t, "RuleSets.Latest of an action without rules", store.ErrNotFound)
		read(e.s.RuleSets().Get(e.ctx, "payment", 1)).wantErr(t, "RuleSets.Get of an action without rules", store.ErrNotFound)
		publish(e, "payment", 1)
		read(e.s.RuleSets().Get(e.ctx, "payment", 2)).wantErr(t, "RuleSets.Get of a version not published", store.ErrNotFound)
		read(e.s.RuleSets().Get(e.ctx, "payment", 0)).wantErr(t, "RuleSets.Get of version 0", store.ErrNotFound)
		checkList(t, "RuleSets.Versions of an action without rules", read(e.s.RuleSets().Versions(e.ctx, "login")).must(t, "RuleSets.Versions"), nil, ruleSetKey)
	})

	t.Run("VersionsOldestFirst", func(t *testing.T) {
		e := setup(t, nb)
		var want []*store.RuleSet
		for v := uint64(1); v <= 12; v++ { // past 9, so that sorting versions as text fails
			want = append(want, publish(e, "payment", v))
			publish(e, "login", v)
		}
		checkList(t, "RuleSets.Versions(payment)", read(e.s.RuleSets().Versions(e.ctx, "payment")).must(t, "RuleSets.Versions"), want, ruleSetKey)
		checkRecord(t, "RuleSets.Latest(payment)", read(e.s.RuleSets().Latest(e.ctx, "payment")).must(t, "RuleSets.Latest"), want[11])
	})

	t.Run("LatestAllByAction", func(t *testing.T) {
		e := setup(t, nb)
		checkList(t, "RuleSets.LatestAll of an empty store", read(e.s.RuleSets().LatestAll(e.ctx)).must(t, "RuleSets.LatestAll"), nil, ruleSetKey)
		signup := publish(e, "signup", 1)
		publish(e, "payment", 1)
		publish(e, "login", 1)
		payment := publish(e, "payment", 2)
		publish(e, "login", 2)
		login3 := publish(e, "login", 3)
		checkList(t, "RuleSets.LatestAll", read(e.s.RuleSets().LatestAll(e.ctx)).must(t, "RuleSets.LatestAll"),
			[]*store.RuleSet{login3, payment, signup}, ruleSetKey)
	})

	t.Run("ReturnsCopies", func(t *testing.T) {
		e := setup(t, nb)
		r := newRuleSet(e, "payment", 1)
		must(t, "RuleSets.Publish", e.s.RuleSets().Publish(e.ctx, r))
		want := r.Clone()
		r.Spec[0] = 'X'
		got := read(e.s.RuleSets().Latest(e.ctx, "payment")).must(t, "RuleSets.Latest")
		checkRecord(t, "RuleSets.Latest after the caller changed the record it published", got, want)
		got.Spec[0] = 'X'
		checkRecord(t, "RuleSets.Get after the caller changed a record it read", read(e.s.RuleSets().Get(e.ctx, "payment", 1)).must(t, "RuleSets.Get"), want)
		for _, l := range read(e.s.RuleSets().Versions(e.ctx, "payment")).must(t, "RuleSets.Versions") {
			l.Spec[0] = 'X'
		}
		for _, l := range read(e.s.RuleSets().LatestAll(e.ctx)).must(t, "RuleSets.LatestAll") {
			l.Spec[0] = 'X'
		}
		checkRecord(t, "RuleSets.Latest after the caller changed listed records", read(e.s.RuleSets().Latest(e.ctx, "payment")).must(t, "RuleSets.Latest"), want)
	})
}
