package memdb

import (
	"context"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/stepup/store"
)

func TestSmoke(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	s, err := Open(Options{Dir: dir, SnapshotEvery: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2500 {
		u := &store.User{ID: string(rune('a'+i%26)) + time.Now().String(), CreatedAt: time.Now()}
		if err := s.Users().Create(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Users().Create(ctx, &store.User{ID: "x", Username: "bob", Attributes: map[string]string{"k": "v"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	u, err := s.Users().GetByUsername(ctx, "bob")
	if err != nil || u.Attributes["k"] != "v" {
		t.Fatal(u, err)
	}
	all, _ := s.Users().List(ctx, store.Page{Limit: 5000})
	if len(all) != 2501 {
		t.Fatal(len(all))
	}
}
