package conformance

import (
	"fmt"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/stepup/store"
)

// newDevice returns a device with every field set but Version.
func newDevice(e *env, userID, id string) *store.Device {
	now := e.now()
	return &store.Device{
		UserID:    userID,
		ID:        id,
		Name:      "Firefox on Linux",
		UserAgent: "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0",
		LastIP:    "2001:db8::1",
		FirstSeen: at(now, -72*time.Hour),
		LastSeen:  at(now, -time.Minute),
	}
}

func createDevice(e *env, userID, id string) *store.Device {
	e.t.Helper()
	d := newDevice(e, userID, id)
	must(e.t, fmt.Sprintf("Devices.Create(%q, %q)", userID, id), e.s.Devices().Create(e.ctx, d))
	d.Version = 1
	return d
}

func deviceKey(d *store.Device) string { return d.UserID + "/" + d.ID }

func testDevices(t *testing.T, nb NewBackend) {
	t.Run("CreateGet", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		d := newDevice(e, "u1", "d1")
		checkFixture(t, d, "Version")
		want := d.Clone()
		want.Version = 1
		must(t, "Devices.Create", e.s.Devices().Create(e.ctx, d))
		if d.Version != 1 {
			t.Errorf("Devices.Create: the argument's Version is %d afterwards, want 1", d.Version)
		}
		checkRecord(t, "Devices.Get", read(e.s.Devices().Get(e.ctx, "u1", "d1")).must(t, "Devices.Get"), want)
	})

	t.Run("CreateUnknownUser", func(t *testing.T) {
		e := setup(t, nb)
		wantErr(t, "Devices.Create for a user who does not exist", e.s.Devices().Create(e.ctx, newDevice(e, "nobody", "d1")), store.ErrNotFound)
		read(e.s.Devices().Get(e.ctx, "nobody", "d1")).wantErr(t, "Devices.Get after a Create for a missing user", store.ErrNotFound)
	})

	t.Run("CreateExistingID", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		createUser(e, "u2")
		want := createDevice(e, "u1", "d1")
		dup := newDevice(e, "u1", "d1")
		dup.Name = "another"
		wantErr(t, "Devices.Create of a device ID the user already has", e.s.Devices().Create(e.ctx, dup), store.ErrConflict)
		checkRecord(t, "Devices.Get after a conflicting Create", read(e.s.Devices().Get(e.ctx, "u1", "d1")).must(t, "Devices.Get"), want)
		// Devices are keyed by (UserID, ID): another user may use the same ID.
		other := createDevice(e, "u2", "d1")
		checkRecord(t, "Devices.Get of another user's device with the same ID", read(e.s.Devices().Get(e.ctx, "u2", "d1")).must(t, "Devices.Get"), other)
		checkRecord(t, "Devices.Get of the first user's device", read(e.s.Devices().Get(e.ctx, "u1", "d1")).must(t, "Devices.Get"), want)
	})

	t.Run("Update", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		createDevice(e, "u1", "d1")
		d := read(e.s.Devices().Get(e.ctx, "u1", "d1")).must(t, "Devices.Get")
		d.LastIP, d.LastSeen = "192.0.2.7", at(e.now(), 0)
		must(t, "Devices.Update from Version 1", e.s.Devices().Update(e.ctx, d))
		if d.Version != 2 {
			t.Fatalf("Devices.Update from Version 1: the argument's Version is %d afterwards, want 2", d.Version)
		}
		checkRecord(t, "Devices.Get after Update", read(e.s.Devices().Get(e.ctx, "u1", "d1")).must(t, "Devices.Get"), d)
		must(t, "Devices.Update from Version 2", e.s.Devices().Update(e.ctx, d))
		if d.Version != 3 {
			t.Fatalf("Devices.Update from Version 2: the argument's Version is %d afterwards, want 3", d.Version)
		}
	})

	t.Run("UpdateStaleVersion", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		createDevice(e, "u1", "d1")
		first := read(e.s.Devices().Get(e.ctx, "u1", "d1")).must(t, "Devices.Get")
		second := first.Clone()
		first.Name = "first"
		must(t, "Devices.Update", e.s.Devices().Update(e.ctx, first))
		second.Name = "second"
		wantErr(t, "Devices.Update from a stale Version", e.s.Devices().Update(e.ctx, second), store.ErrConflict)
		checkRecord(t, "Devices.Get after a stale Update", read(e.s.Devices().Get(e.ctx, "u1", "d1")).must(t, "Devices.Get"), first)
	})

	t.Run("Missing", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		createUser(e, "u2")
		createDevice(e, "u2", "d1")
		read(e.s.Devices().Get(e.ctx, "u1", "d1")).wantErr(t, "Devices.Get of another user's device ID", store.ErrNotFound)
		d := newDevice(e, "u1", "d1")
		d.Version = 1
		wantErr(t, "Devices.Update of a missing device", e.s.Devices().Update(e.ctx, d), store.ErrNotFound)
		wantErr(t, "Devices.Delete of a missing device", e.s.Devices().Delete(e.ctx, "u1", "d1"), store.ErrNotFound)
	})

	t.Run("Delete", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		createUser(e, "u2")
		d := createDevice(e, "u1", "d1")
		other := createDevice(e, "u2", "d1")
		must(t, "Devices.Delete", e.s.Devices().Delete(e.ctx, "u1", "d1"))
		read(e.s.Devices().Get(e.ctx, "u1", "d1")).wantErr(t, "Devices.Get of a deleted device", store.ErrNotFound)
		wantErr(t, "Devices.Update of a deleted device", e.s.Devices().Update(e.ctx, d), store.ErrNotFound)
		wantErr(t, "Devices.Delete of a deleted device", e.s.Devices().Delete(e.ctx, "u1", "d1"), store.ErrNotFound)
		checkRecord(t, "Devices.Get of another user's device with the same ID", read(e.s.Devices().Get(e.ctx, "u2", "d1")).must(t, "Devices.Get"), other)
	})

	t.Run("ListByUser", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		createUser(e, "u2")
		want := []*store.Device{createDevice(e, "u1", "d2"), createDevice(e, "u1", "d1"), createDevice(e, "u1", "d3")}
		createDevice(e, "u2", "d1")
		checkSet(t, "Devices.ListByUser(u1)", read(e.s.Devices().ListByUser(e.ctx, "u1")).must(t, "Devices.ListByUser"), want, deviceKey)
		checkList(t, "Devices.ListByUser of a missing user", read(e.s.Devices().ListByUser(e.ctx, "nobody")).must(t, "Devices.ListByUser"), nil, deviceKey)
	})

	t.Run("ReturnsCopies", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		d := newDevice(e, "u1", "d1")
		must(t, "Devices.Create", e.s.Devices().Create(e.ctx, d))
		want := d.Clone()
		d.Name = "changed by the caller"
		got := read(e.s.Devices().Get(e.ctx, "u1", "d1")).must(t, "Devices.Get")
		checkRecord(t, "Devices.Get after the caller changed the record it created", got, want)
		got.Name = "changed by the caller"
		checkRecord(t, "Devices.Get after the caller changed a record it read", read(e.s.Devices().Get(e.ctx, "u1", "d1")).must(t, "Devices.Get"), want)
	})
}
