package admin_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/stepup"
	"github.com/stepup-auth/stepup/stepup/api/admin"
	"github.com/stepup-auth/stepup/stepup/api/apikey"
	"github.com/stepup-auth/stepup/stepup/signals"
	"github.com/stepup-auth/stepup/stepup/store"
	"github.com/stepup-auth/stepup/stepup/store/memdb"
)

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// fixture is the admin API over a memdb store, with an admin key and a
// server key.
type fixture struct {
	t             *testing.T
	st            store.Store
	book          *stepup.RuleBook
	handler       http.Handler
	admin, server string
	adminRec      *store.APIKey
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	clock := func() time.Time { return now }
	st, err := memdb.Open(memdb.Options{Dir: t.TempDir(), Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	f := &fixture{t: t, st: st}
	var rec *store.APIKey
	for _, k := range []struct {
		kind, name string
		key        *string
	}{{apikey.Admin, "ana", &f.admin}, {apikey.Server, "backend", &f.server}} {
		*k.key, rec, err = apikey.Generate(k.kind, k.name, nil, time.Time{}, now)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.APIKeys().Create(ctx, rec); err != nil {
			t.Fatal(err)
		}
		if k.kind == apikey.Admin {
			f.adminRec = rec
		}
	}
	if f.book, err = stepup.NewRuleBook(ctx, st.RuleSets(), st.Audit(), clock); err != nil {
		t.Fatal(err)
	}
	lists, err := signals.NewLists(signals.ListsConfig{Values: map[string]signals.ListSource{"vip": {Entries: []string{"vip@example.com"}}}})
	if err != nil {
		t.Fatal(err)
	}
	a, err := admin.New(admin.Options{
		Keys: apikey.New(st.APIKeys(), clock), Rules: f.book, RuleSets: st.RuleSets(), Audit: st.Audit(), Lists: lists, Now: clock,
	})
	if err != nil {
		t.Fatal(err)
	}
	f.handler = a.Handler()
	return f
}

// response is an answer of the API.
type response struct {
	status int
	header http.Header
	body   []byte
}

// json decodes the body into v, failing the test if it cannot.
func (r response) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("the body is not JSON: %v\n%s", err, r.body)
	}
}

// errorCode returns the code of an error answer, failing if it is not one.
func (r response) errorCode(t *testing.T) string {
	t.Helper()
	code, _ := r.error(t)
	return code
}

// error returns the code and message of an error answer, failing if it
// is not one.
func (r response) error(t *testing.T) (code, message string) {
	t.Helper()
	var e struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	r.json(t, &e)
	if e.Error.Code == "" || e.Error.Message == "" {
		t.Fatalf("not an error answer: %s", r.body)
	}
	return e.Error.Code, e.Error.Message
}

// do sends a request with the admin key; body is JSON-encoded unless it
// is a string, sent as is.
func (f *fixture) do(method, path string, body any) response {
	f.t.Helper()
	return f.doWith(f.admin, method, path, body)
}

func (f *fixture) doWith(key, method, path string, body any) response {
	f.t.Helper()
	var b []byte
	switch v := body.(type) {
	case nil:
	case string:
		b = []byte(v)
	default:
		var err error
		if b, err = json.Marshal(v); err != nil {
			f.t.Fatal(err)
		}
	}
	req := httptest.NewRequest(method, path, bytes.NewReader(b))
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	rec := httptest.NewRecorder()
	f.handler.ServeHTTP(rec, req)
	return response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
}

// publish publishes spec_yaml from base and returns the version, failing
// unless it is published.
func (f *fixture) publish(action, specYAML string, base uint64) uint64 {
	f.t.Helper()
	r := f.do(http.MethodPut, "/admin/v1/actions/"+action+"/rules", map[string]any{"base_version": base, "spec_yaml": specYAML})
	if r.status != http.StatusOK {
		f.t.Fatalf("publish: %d %s", r.status, r.body)
	}
	var got struct{ Version uint64 }
	r.json(f.t, &got)
	return got.Version
}
