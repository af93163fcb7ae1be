package conformance

import (
	"fmt"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/stepup/store"
)

// newAuditEvent returns an event with every field set but Seq.
func newAuditEvent(e *env, typ string) *store.AuditEvent {
	return &store.AuditEvent{
		Time:      at(e.now(), 0),
		Type:      typ,
		ActorID:   "admin-1",
		SubjectID: "u1",
		ClientID:  "shop",
		IP:        "203.0.113.9",
		Data:      []byte(`{"reason":"lost device"}`),
	}
}

// appendEvents appends n events and returns them with the Seq they must get,
// the first being first.
func appendEvents(e *env, first uint64, n int) []*store.AuditEvent {
	e.t.Helper()
	var evs []*store.AuditEvent
	for i := range n {
		ev := newAuditEvent(e, fmt.Sprintf("event.%d", first+uint64(i)))
		must(e.t, "Audit.Append", e.s.Audit().Append(e.ctx, ev))
		want := first + uint64(i)
		if ev.Seq != want {
			e.t.Fatalf("Audit.Append: assigned Seq %d, want %d", ev.Seq, want)
		}
		evs = append(evs, ev.Clone())
	}
	return evs
}

func auditKey(ev *store.AuditEvent) string { return fmt.Sprint(ev.Seq) }

func testAudit(t *testing.T, nb NewBackend) {
	t.Run("AppendAssignsSeq", func(t *testing.T) {
		e := setup(t, nb)
		ev := newAuditEvent(e, "user.created")
		checkFixture(t, ev, "Seq")
		ev.Seq = 99 // the store assigns Seq whatever the caller set
		want := ev.Clone()
		want.Seq = 1
		must(t, "Audit.Append", e.s.Audit().Append(e.ctx, ev))
		if ev.Seq != 1 {
			t.Fatalf("Audit.Append of the first event: assigned Seq %d, want 1", ev.Seq)
		}
		all := append([]*store.AuditEvent{want}, appendEvents(e, 2, 2)...)
		checkList(t, "Audit.List(0, 0)", read(e.s.Audit().List(e.ctx, 0, 0)).must(t, "Audit.List"), all, auditKey)
	})

	t.Run("ListPaging", func(t *testing.T) {
		e := setup(t, nb)
		checkList(t, "Audit.List of an empty trail", read(e.s.Audit().List(e.ctx, 0, 0)).must(t, "Audit.List"), nil, auditKey)
		const n = store.DefaultLimit + 5
		all := appendEvents(e, 1, n)
		list := func(after uint64, limit int) []*store.AuditEvent {
			t.Helper()
			return read(e.s.Audit().List(e.ctx, after, limit)).must(t, fmt.Sprintf("Audit.List(%d, %d)", after, limit))
		}
		checkList(t, "Audit.List(0, 0) (the default limit)", list(0, 0), all[:store.DefaultLimit], auditKey)
		checkList(t, "Audit.List(0, 3)", list(0, 3), all[:3], auditKey)
		checkList(t, "Audit.List(3, 3)", list(3, 3), all[3:6], auditKey)
		checkList(t, "Audit.List(n-2, 0)", list(n-2, 0), all[n-2:], auditKey)
		checkList(t, "Audit.List(n, 0)", list(n, 0), nil, auditKey)
		checkList(t, "Audit.List(n+7, 0)", list(n+7, 0), nil, auditKey)
		checkList(t, "Audit.List(0, n+10)", list(0, n+10), all, auditKey)
	})

	t.Run("ReturnsCopies", func(t *testing.T) {
		e := setup(t, nb)
		ev := newAuditEvent(e, "user.created")
		must(t, "Audit.Append", e.s.Audit().Append(e.ctx, ev))
		want := ev.Clone()
		ev.Data[0], ev.Type = 'X', "changed by the caller"
		got := read(e.s.Audit().List(e.ctx, 0, 0)).must(t, "Audit.List")
		checkList(t, "Audit.List after the caller changed the event it appended", got, []*store.AuditEvent{want}, auditKey)
		if len(got) == 1 {
			got[0].Data[0], got[0].Time = 'X', time.Time{}
		}
		checkList(t, "Audit.List after the caller changed an event it read", read(e.s.Audit().List(e.ctx, 0, 0)).must(t, "Audit.List"), []*store.AuditEvent{want}, auditKey)
	})
}
