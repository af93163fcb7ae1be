package stepup

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup/store"
	"github.com/stepup-auth/stepup/stepup/store/conformance"
	"github.com/stepup-auth/stepup/stepup/store/memdb"
)

func newSessions(t *testing.T) (*Sessions, *conformance.Clock, store.Store) {
	t.Helper()
	clock := conformance.NewClock()
	st, err := memdb.Open(memdb.Options{Dir: t.TempDir(), Now: clock.Now, SweepInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Users().Create(context.Background(), &store.User{ID: "alice"}); err != nil {
		t.Fatal(err)
	}
	return NewSessions(st.Sessions(), DefaultSessionPolicy(), clock.Now, nil), clock, st
}

func TestSessionStartFindEnd(t *testing.T) {
	s, clock, st := newSessions(t)
	ctx := context.Background()
	token, sess, err := s.Start(ctx, "alice", store.Verification{Method: acr.Password, At: clock.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if sess.ID == token {
		t.Fatal("the store keys the session by the token itself")
	}
	if _, err := st.Sessions().Get(ctx, token); !errors.Is(err, store.ErrNotFound) {
		t.Fatal("the raw token finds the session in the store")
	}
	got, err := s.Find(ctx, token)
	if err != nil || got.UserID != "alice" {
		t.Fatalf("Find = %v, %v", got, err)
	}
	if _, err := s.Find(ctx, token+"x"); !errors.Is(err, ErrNoSession) {
		t.Fatalf("Find of a wrong token = %v", err)
	}
	if err := s.End(ctx, token); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Find(ctx, token); !errors.Is(err, ErrNoSession) {
		t.Fatalf("Find after logout = %v", err)
	}
}

func TestSessionIdleAndAbsoluteTimeouts(t *testing.T) {
	s, clock, _ := newSessions(t)
	ctx := context.Background()
	token, _, err := s.Start(ctx, "alice", store.Verification{Method: acr.Password, At: clock.Now()})
	if err != nil {
		t.Fatal(err)
	}
	// Active every 20 minutes: idle never lapses, but 12 hours end it.
	for elapsed := time.Duration(0); elapsed < 12*time.Hour-20*time.Minute; elapsed += 20 * time.Minute {
		clock.Advance(20 * time.Minute)
		if _, err := s.Find(ctx, token); err != nil {
			t.Fatalf("after %v of activity: %v", elapsed+20*time.Minute, err)
		}
	}
	clock.Advance(20 * time.Minute)
	if _, err := s.Find(ctx, token); !errors.Is(err, ErrNoSession) {
		t.Fatalf("past the absolute timeout: %v", err)
	}

	token, _, _ = s.Start(ctx, "alice", store.Verification{Method: acr.Password, At: clock.Now()})
	clock.Advance(31 * time.Minute)
	if _, err := s.Find(ctx, token); !errors.Is(err, ErrNoSession) {
		t.Fatalf("past the idle timeout: %v", err)
	}
}

// Of step-ups finishing at once (two tabs), one moves the session to a
// new token; the others find it gone (ErrNoSession), and no second
// session appears.
func TestConcurrentElevatesLeaveOneSession(t *testing.T) {
	s, clock, _ := newSessions(t)
	ctx := context.Background()
	_, sess, _ := s.Start(ctx, "alice", store.Verification{Method: acr.Password, At: clock.Now()})
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := 0
	for range 20 {
		wg.Go(func() {
			_, _, err := s.Elevate(ctx, sess, store.Verification{Method: acr.TOTP, At: clock.Now()})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				won++
			case !errors.Is(err, ErrNoSession):
				t.Error(err)
			}
		})
	}
	wg.Wait()
	all, err := s.store.ListByUser(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if won != 1 || len(all) != 1 {
		t.Fatalf("%d of 20 elevations won, alice has %d sessions; want one and one", won, len(all))
	}
}

// A rise in level moves the session to a new token: the old one, which
// may have leaked or been planted, no longer finds it.
func TestElevateRenewsTheToken(t *testing.T) {
	s, clock, _ := newSessions(t)
	ctx := context.Background()
	old, sess, _ := s.Start(ctx, "alice", store.Verification{Method: acr.Password, At: clock.Now()})
	clock.Advance(time.Minute)
	token, elevated, err := s.Elevate(ctx, sess, store.Verification{Method: acr.TOTP, At: clock.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if token == old || elevated.ID == sess.ID {
		t.Fatal("the elevated session kept its token")
	}
	if _, err := s.Find(ctx, old); !errors.Is(err, ErrNoSession) {
		t.Fatalf("the old token still finds a session: %v", err)
	}
	found, err := s.Find(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	if l := acr.Assess(Verifications(found), time.Time{}).Level; l != acr.MFA || !found.CreatedAt.Equal(sess.CreatedAt) {
		t.Fatalf("the new token's session is at %v, created %v; want mfa, created with the old one", l, found.CreatedAt)
	}
}

// A session signed out while a step-up was under way stays signed out:
// Elevate does not bring it back under a new token.
func TestElevateDoesNotBringBackAnEndedSession(t *testing.T) {
	s, clock, _ := newSessions(t)
	ctx := context.Background()
	token, sess, _ := s.Start(ctx, "alice", store.Verification{Method: acr.Password, At: clock.Now()})
	if err := s.End(ctx, token); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Elevate(ctx, sess, store.Verification{Method: acr.TOTP, At: clock.Now()}); !errors.Is(err, ErrNoSession) {
		t.Fatalf("Elevate of an ended session: %v, want ErrNoSession", err)
	}
	if all, _ := s.store.ListByUser(ctx, "alice"); len(all) != 0 {
		t.Fatalf("alice has %d sessions after sign-out", len(all))
	}
}

// The session keeps its name (sid) when its token changes.
func TestElevateKeepsTheSessionsName(t *testing.T) {
	s, clock, _ := newSessions(t)
	ctx := context.Background()
	_, sess, _ := s.Start(ctx, "alice", store.Verification{Method: acr.Password, At: clock.Now()})
	_, next, err := s.Elevate(ctx, sess, store.Verification{Method: acr.TOTP, At: clock.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if next.Name() != sess.Name() || next.ID == sess.ID {
		t.Fatalf("names %q then %q, ids %q then %q: want the name kept and the id new", sess.Name(), next.Name(), sess.ID, next.ID)
	}
}
