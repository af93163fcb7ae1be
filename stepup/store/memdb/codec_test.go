package memdb

import (
	"bytes"
	"testing"
	"time"

	"github.com/hashicorp/go-memdb"
	"github.com/stepup-auth/stepup/stepup/store"
)

// encodeChanges writes records in place; the journal must read the same
// bytes as when each record was encoded on its own first (a data folder
// written by either is read by both).
func TestChangesEncodeAsBefore(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 123, time.UTC)
	sess := &store.Session{ID: "s1", UserID: "u1", CreatedAt: now, ExpiresAt: now.Add(time.Hour), Version: 3,
		Verifications: []store.Verification{{Method: "PASSWORD", AMR: []string{"pwd"}, At: now}}}
	req := &store.AuthRequest{ID: "r1", ClientID: "app", Scopes: []string{"openid"}, CreatedAt: now}
	got, err := encodeChanges(memdb.Changes{
		{Table: tableSessions, After: sess},
		{Table: tableAuthRequests, Before: req},
		{Table: tableUsers, Before: &store.User{ID: "gone"}, After: nil},
	})
	if err != nil {
		t.Fatal(err)
	}
	var want []change
	for _, c := range []struct {
		table string
		del   bool
		obj   any
	}{{tableSessions, false, sess}, {tableAuthRequests, true, req}, {tableUsers, true, &store.User{ID: "gone"}}} {
		rec, err := encMode.Marshal(c.obj)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, change{Table: c.table, Delete: c.del, Record: rec})
	}
	wantBytes, err := encMode.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, wantBytes) {
		t.Fatalf("encodeChanges:\n%x\nwant the record-by-record encoding:\n%x", got, wantBytes)
	}
}
