package track_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/stepup"
	"github.com/stepup-auth/stepup/stepup/api/apikey"
	"github.com/stepup-auth/stepup/stepup/api/track"
	"github.com/stepup-auth/stepup/stepup/store"
	"github.com/stepup-auth/stepup/stepup/store/memdb"
)

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// reviewFixture is the track API behind the server keys' middleware, as
// cmd/stepup mounts it, over a memdb store holding one action waiting for
// review: user "alice"'s "signIn" under key "held-1".
type reviewFixture struct {
	t       *testing.T
	st      store.Store
	handler http.Handler
	key     string        // the server key's plaintext
	keyRec  *store.APIKey // and its record
	log     bytes.Buffer
}

func newReviewFixture(t *testing.T, audit func(store.Audit) store.Audit) *reviewFixture {
	t.Helper()
	ctx := context.Background()
	clock := func() time.Time { return now }
	st, err := memdb.Open(memdb.Options{Dir: t.TempDir(), Now: clock, SweepInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	f := &reviewFixture{t: t, st: st}
	if f.key, f.keyRec, err = apikey.Generate(apikey.Server, "backend", nil, time.Time{}, now); err != nil {
		t.Fatal(err)
	}
	if err := st.APIKeys().Create(ctx, f.keyRec); err != nil {
		t.Fatal(err)
	}
	tracker, err := stepup.NewTracker(stepup.TrackerOptions{
		Engine: stepup.NewEngine(stepup.EngineOptions{Now: clock}), Actions: st.Actions(), Users: st.Users(),
		Key: make([]byte, 32), Now: clock,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Users().Create(ctx, &store.User{ID: "alice", Username: "alice", CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	// A sign-in the rules held, as the OpenID Provider holds one.
	if _, err := tracker.Hold(ctx, "alice", "signIn", "held-1", stepup.Decision{Outcome: stepup.Review, Action: "signIn"}); err != nil {
		t.Fatal(err)
	}
	h, err := track.New(track.Options{
		Tracker: tracker, Users: st.Users(), Authenticators: st.Authenticators(), Audit: audit(st.Audit()),
		Issuer: "https://stepup.example", Now: clock,
		Log: slog.New(slog.NewTextHandler(&f.log, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	f.handler = apikey.New(st.APIKeys(), clock).Middleware(apikey.Server)(h)
	return f
}

// patch decides the held action through the track API.
func (f *reviewFixture) patch(state string) (int, map[string]any) {
	f.t.Helper()
	body, _ := json.Marshal(map[string]string{"state": state})
	req := httptest.NewRequest(http.MethodPatch, "/v1/users/alice/actions/signIn/held-1", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+f.key)
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	f.handler.ServeHTTP(rec, req)
	var out map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		f.t.Fatalf("PATCH: %d, not JSON: %s", rec.Code, rec.Body)
	}
	return rec.Code, out
}

// events is the audit trail.
func (f *reviewFixture) events() []*store.AuditEvent {
	f.t.Helper()
	events, err := f.st.Audit().List(context.Background(), 0, 100)
	if err != nil {
		f.t.Fatal(err)
	}
	return events
}

// A review decided with a server key is in the audit trail, as one
// decided through the admin API is: the same event, naming the key, and
// saying it came through the track API. A decision refused (made already)
// writes nothing.
func TestReviewIsAudited(t *testing.T) {
	f := newReviewFixture(t, func(a store.Audit) store.Audit { return a })
	if status, out := f.patch(stepup.StateReviewFailed); status != http.StatusOK || out["state"] != stepup.StateReviewFailed {
		t.Fatalf("the review: %d %v", status, out)
	}
	if status, out := f.patch(stepup.StateReviewSucceeded); status != http.StatusConflict {
		t.Fatalf("a second decision: %d %v, want 409", status, out)
	}
	events := f.events()
	if len(events) != 1 {
		t.Fatalf("%d audit events, want one: %+v", len(events), events)
	}
	e := events[0]
	if e.Type != "review.decided" || e.ActorID != "backend (key "+f.keyRec.ID+")" || e.SubjectID != "alice" || !e.Time.Equal(now) {
		t.Errorf("the event: %s by %q about %q at %v, want review.decided by \"backend (key %s)\" about alice at %v",
			e.Type, e.ActorID, e.SubjectID, e.Time, f.keyRec.ID, now)
	}
	var data map[string]any
	if err := json.Unmarshal(e.Data, &data); err != nil {
		t.Fatalf("the event's data: %v: %s", err, e.Data)
	}
	rec, err := f.st.Actions().GetByIdempotencyKey(context.Background(), "alice", "signIn", "held-1")
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]any{"action": "signIn", "key": "held-1", "record": rec.ID, "state": stepup.StateReviewFailed,
		"comment": "", "via": "track API"} {
		if data[k] != want {
			t.Errorf("the event's %s = %v, want %v (data %s)", k, data[k], want, e.Data)
		}
	}
}

// failingAudit is an audit trail whose writes fail.
type failingAudit struct{ store.Audit }

func (failingAudit) Append(context.Context, *store.AuditEvent) error {
	return errors.New("memdb: the journal's disk is full")
}

// An audit trail that fails to take the event does not undo a decision
// made once (the admin API's order: decide, then audit); the log says the
// trail lacks it, with the record and the key.
func TestReviewAuditFailureIsLogged(t *testing.T) {
	f := newReviewFixture(t, func(a store.Audit) store.Audit { return failingAudit{a} })
	if status, out := f.patch(stepup.StateReviewSucceeded); status != http.StatusOK || out["state"] != stepup.StateReviewSucceeded {
		t.Fatalf("the review: %d %v", status, out)
	}
	log := f.log.String()
	if !strings.Contains(log, "track: the review's audit event was not written") || !strings.Contains(log, f.keyRec.ID) ||
		!strings.Contains(log, "the journal's disk is full") {
		t.Errorf("the log does not say the trail lacks the decision:\n%s", log)
	}
}
