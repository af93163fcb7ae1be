package stepup_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/stepup"
	"github.com/stepup-auth/stepup/stepup/factor/factortest"
	"github.com/stepup-auth/stepup/stepup/store"
)

func TestRuleBookPublishesAndSwapsVersions(t *testing.T) {
	ctx := context.Background()
	clock := func() time.Time { return now }
	st := factortest.NewStore(t, clock)
	book, err := stepup.NewRuleBook(ctx, st.RuleSets(), st.Audit(), clock)
	if err != nil {
		t.Fatal(err)
	}
	v1 := "action: payment\ndefault: ALLOW\nrules:\n  - {id: big, priority: 1, when: action.custom.amount > 1000, outcome: BLOCK}\n"
	v2 := strings.Replace(v1, "1000", "500", 1) // the analyst's change, at run time

	if _, ok := book.Get("payment"); ok {
		t.Fatal("rules before any were published")
	}
	if _, err := book.Publish(ctx, []byte(v1), 0, "ana", "first"); err != nil {
		t.Fatal(err)
	}
	// A second replica, reading the same store, has them too.
	other, err := stepup.NewRuleBook(ctx, st.RuleSets(), st.Audit(), clock)
	if err != nil {
		t.Fatal(err)
	}
	if p, ok := other.Get("payment"); !ok || p.Version != 1 {
		t.Fatalf("the other replica: %+v, %v", p, ok)
	}

	// Publishing from a stale version is refused; from the latest, it
	// applies at once here, and at the other replica's next Refresh.
	if _, err := book.Publish(ctx, []byte(v2), 0, "bo", "stale"); !errors.Is(err, stepup.ErrVersion) {
		t.Fatalf("a publish from version 0 over 1: %v, want ErrVersion", err)
	}
	rec, err := book.Publish(ctx, []byte(v2), 1, "ana", "lower the limit")
	if err != nil || rec.Version != 2 {
		t.Fatalf("publish v2: %+v, %v", rec, err)
	}
	if p, _ := book.Get("payment"); p.Version != 2 {
		t.Errorf("this replica serves version %d, want 2", p.Version)
	}
	if p, _ := other.Get("payment"); p.Version != 1 {
		t.Errorf("the other replica serves version %d before its refresh", p.Version)
	}
	if err := other.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if p, _ := other.Get("payment"); p.Version != 2 {
		t.Errorf("the other replica serves version %d after its refresh, want 2", p.Version)
	}

	// A rule set that does not compile changes nothing.
	if _, err := book.Publish(ctx, []byte("action: payment\ndefault: ALLOW\nrules:\n  - {id: x, priority: 1, when: user.nope, outcome: BLOCK}\n"), 2, "ana", "typo"); err == nil ||
		!strings.Contains(err.Error(), "nope") {
		t.Fatalf("a rule set with a typo: %v", err)
	}
	if p, _ := book.Get("payment"); p.Version != 2 {
		t.Errorf("after a refused publish: version %d", p.Version)
	}

	// Each publication is audited.
	events, err := st.Audit().List(ctx, 0, 0)
	if err != nil || len(events) != 2 || events[1].Type != "rules.published" || events[1].ActorID != "ana" ||
		!strings.Contains(string(events[1].Data), `"version":2`) {
		t.Errorf("audit: %v, %+v", err, events)
	}

	// Seeding keeps what the store has and adds what it lacks.
	signIn := "action: signIn\ndefault: ALLOW\n"
	if err := book.Seed(ctx, [][]byte{[]byte(v1), []byte(signIn)}, "config"); err != nil {
		t.Fatal(err)
	}
	if p, _ := book.Get("payment"); p.Version != 2 {
		t.Errorf("seeding replaced the stored payment rules: version %d", p.Version)
	}
	if p, ok := book.Get("signIn"); !ok || p.Version != 1 {
		t.Errorf("seeding did not add signIn: %+v, %v", p, ok)
	}
}

func TestRuleBookRefusesStoredRulesThatDoNotCompile(t *testing.T) {
	ctx := context.Background()
	clock := func() time.Time { return now }
	st := factortest.NewStore(t, clock)
	if err := st.RuleSets().Publish(ctx, &store.RuleSet{Action: "payment", Version: 1, Spec: []byte("action: payment\ndefault: MAYBE\n"), CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if _, err := stepup.NewRuleBook(ctx, st.RuleSets(), st.Audit(), clock); err == nil || !strings.Contains(err.Error(), "payment, version 1") {
		t.Fatalf("a stored rule set that does not compile: %v", err)
	}
}
