package admin_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/stepup-auth/stepup/stepup/api"
)

const paymentV1 = `action: payment
default: ALLOW
rules:
  - id: big
    priority: 1
    when: action.custom.amount > 1000
    outcome: BLOCK
`

func TestOnlyAdminKeysOpenTheAPI(t *testing.T) {
	f := newFixture(t)
	for _, tt := range []struct {
		name, key string
		status    int
	}{
		{"no key", "", 401},
		{"a server key", f.server, 401},
		{"a forged key", strings.TrimSuffix(f.admin, f.admin[len(f.admin)-4:]) + "AAAA", 401},
		{"an admin key", f.admin, 200},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := f.doWith(tt.key, http.MethodGet, "/admin/v1/actions", nil)
			if r.status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.status, tt.status, r.body)
			}
			if tt.status == 401 && (r.errorCode(t) != api.CodeUnauthenticated || !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer")) {
				t.Errorf("the refusal: %v %s", r.header, r.body)
			}
		})
	}
}

// An analyst publishes, edits and reads back an action's rules; each
// version serves at once and is audited under the key's name.
func TestPublishAndRead(t *testing.T) {
	f := newFixture(t)
	if r := f.do(http.MethodGet, "/admin/v1/actions", nil); r.status != 200 || string(r.body) != `{"actions":[]}`+"\n" {
		t.Fatalf("no actions yet: %d %s", r.status, r.body)
	}
	if r := f.do(http.MethodGet, "/admin/v1/actions/payment/rules", nil); r.status != 404 || r.errorCode(t) != "not_found" {
		t.Fatalf("rules of an action without: %d %s", r.status, r.body)
	}

	// The first version, as a JSON object.
	spec := map[string]any{"action": "payment", "default": "ALLOW", "rules": []any{
		map[string]any{"id": "big", "priority": 1, "when": "action.custom.amount > 1000", "outcome": "BLOCK"}}}
	r := f.do(http.MethodPut, "/admin/v1/actions/payment/rules", map[string]any{"base_version": 0, "comment": "first", "spec": spec})
	if r.status != 200 {
		t.Fatalf("publish v1: %d %s", r.status, r.body)
	}
	var v1 struct {
		Action, Author, Comment string
		Version                 uint64
		Spec                    map[string]any
	}
	r.json(t, &v1)
	wantAuthor := "ana (key " + f.adminRec.ID + ")"
	if v1.Action != "payment" || v1.Version != 1 || v1.Author != wantAuthor || v1.Comment != "first" || v1.Spec["action"] != "payment" {
		t.Errorf("published: %s", r.body)
	}
	if p, ok := f.book.Get("payment"); !ok || p.Version != 1 {
		t.Errorf("the RuleBook serves %+v, %v; want version 1 at once", p, ok)
	}

	// The second, as YAML, from the first.
	v2 := strings.Replace(paymentV1, "1000", "500", 1)
	if v := f.publish("payment", v2, 1); v != 2 {
		t.Fatalf("publish v2: version %d", v)
	}
	if p, _ := f.book.Get("payment"); p.Version != 2 {
		t.Errorf("the RuleBook serves version %d, want 2", p.Version)
	}

	// Another analyst, still on version 1, is told to start again.
	r = f.do(http.MethodPut, "/admin/v1/actions/payment/rules", map[string]any{"base_version": 1, "spec_yaml": paymentV1})
	if code, msg := r.error(t); r.status != http.StatusConflict || code != "conflict" || !strings.Contains(msg, "version 2 is the latest") {
		t.Errorf("a stale publish: %d %s", r.status, r.body)
	}
	r = f.do(http.MethodPut, "/admin/v1/actions/signIn/rules", map[string]any{"base_version": 4, "spec_yaml": "action: signIn\ndefault: ALLOW\n"})
	if _, msg := r.error(t); r.status != http.StatusConflict || !strings.Contains(msg, "publish from base_version 0") {
		t.Errorf("a publish from a base that never was: %d %s", r.status, r.body)
	}

	// Reading back.
	r = f.do(http.MethodGet, "/admin/v1/actions/payment/rules", nil)
	var latest struct {
		Version uint64
		Spec    json.RawMessage
	}
	r.json(t, &latest)
	if r.status != 200 || latest.Version != 2 || !strings.Contains(string(latest.Spec), `action.custom.amount \u003e 500`) && !strings.Contains(string(latest.Spec), `action.custom.amount > 500`) {
		t.Errorf("latest: %d %s", r.status, r.body)
	}
	r = f.do(http.MethodGet, "/admin/v1/actions/payment/rules/versions", nil)
	var versions struct {
		Action   string
		Versions []map[string]any
	}
	r.json(t, &versions)
	if r.status != 200 || len(versions.Versions) != 2 || versions.Versions[0]["version"] != 1.0 || versions.Versions[1]["version"] != 2.0 {
		t.Fatalf("versions: %d %s", r.status, r.body)
	}
	if _, ok := versions.Versions[0]["spec"]; ok {
		t.Error("the list of versions carries specs")
	}
	r = f.do(http.MethodGet, "/admin/v1/actions/payment/rules/versions/1", nil)
	var one struct {
		Version uint64
		Comment string
		Spec    struct{ Action string }
	}
	r.json(t, &one)
	if r.status != 200 || one.Version != 1 || one.Comment != "first" || one.Spec.Action != "payment" {
		t.Errorf("version 1: %d %s", r.status, r.body)
	}
	for path, status := range map[string]int{
		"/admin/v1/actions/payment/rules/versions/3":   404,
		"/admin/v1/actions/payment/rules/versions/0":   400,
		"/admin/v1/actions/payment/rules/versions/x":   400,
		"/admin/v1/actions/payment/rules/versions/-1":  400,
		"/admin/v1/actions/signup/rules/versions":      404,
		"/admin/v1/actions/payment/rules/versions/1/x": 404,
	} {
		if r := f.do(http.MethodGet, path, nil); r.status != status {
			t.Errorf("GET %s: %d, want %d: %s", path, r.status, status, r.body)
		} else {
			r.errorCode(t)
		}
	}

	r = f.do(http.MethodGet, "/admin/v1/actions", nil)
	var actions struct {
		Actions []struct {
			Action           string
			Version, Serving uint64
		}
	}
	r.json(t, &actions)
	if len(actions.Actions) != 1 || actions.Actions[0].Action != "payment" || actions.Actions[0].Version != 2 || actions.Actions[0].Serving != 2 {
		t.Errorf("actions: %s", r.body)
	}

	// Both publications are in the audit trail, by the key.
	r = f.do(http.MethodGet, "/admin/v1/audit", nil)
	var audit struct {
		Events []struct {
			Seq   uint64
			Type  string
			Actor string
			Data  struct {
				Action  string
				Version uint64
			}
		}
		Next uint64
	}
	r.json(t, &audit)
	if len(audit.Events) != 2 || audit.Next != 2 {
		t.Fatalf("audit: %s", r.body)
	}
	for i, e := range audit.Events {
		if e.Type != "rules.published" || e.Actor != wantAuthor || e.Data.Action != "payment" || e.Data.Version != uint64(i+1) {
			t.Errorf("audit event %d: %+v", i, e)
		}
	}
}

func TestPublishRefusals(t *testing.T) {
	f := newFixture(t)
	const path = "/admin/v1/actions/payment/rules"
	for _, tt := range []struct {
		name   string
		body   any
		status int
		code   string
		inMsg  string
	}{
		{"no base version", map[string]any{"spec_yaml": paymentV1}, 400, "invalid_request", "base_version is required"},
		{"a negative base", `{"base_version":-1,"spec_yaml":"x"}`, 400, "invalid_request", "base_version"},
		{"no spec", map[string]any{"base_version": 0}, 400, "invalid_request", "the rules are missing"},
		{"a null spec", `{"base_version":0,"spec":null}`, 400, "invalid_request", "the rules are missing"},
		{"both specs", map[string]any{"base_version": 0, "spec_yaml": paymentV1, "spec": map[string]any{"action": "payment"}}, 400, "invalid_request", "not both"},
		{"a spec that is a string", map[string]any{"base_version": 0, "spec": paymentV1}, 400, "invalid_request", "JSON object"},
		{"an empty spec_yaml", map[string]any{"base_version": 0, "spec_yaml": " \n"}, 400, "invalid_request", "spec_yaml is empty"},
		{"an unknown field", map[string]any{"base_version": 0, "spec_yaml": paymentV1, "comentary": "x"}, 400, "invalid_request", `unknown field "comentary"`},
		{"a long comment", map[string]any{"base_version": 0, "spec_yaml": paymentV1, "comment": strings.Repeat("é", 1001)}, 400, "invalid_request", "longer than 1000"},
		{"not JSON", `base_version=0`, 400, "invalid_request", "invalid character"},
		{"another action", map[string]any{"base_version": 0, "spec_yaml": strings.Replace(paymentV1, "payment", "signIn", 1)}, 400, "invalid_request", `the spec's action is "signIn", the path's "payment"`},
		{"too large", `{"base_version":0,"spec_yaml":"` + strings.Repeat("#", api.MaxBody) + `"}`, 413, "too_large", "larger than"},
		{"rules that do not compile", map[string]any{"base_version": 0, "spec_yaml": strings.Replace(paymentV1, "amount", "amount.", 1)}, 422, "invalid_rules", "do not compile"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := f.do(http.MethodPut, path, tt.body)
			if code, msg := r.error(t); r.status != tt.status || code != tt.code || !strings.Contains(msg, tt.inMsg) || strings.HasPrefix(msg, "api:") {
				t.Errorf("%d %s; want %d %s with %q", r.status, r.body, tt.status, tt.code, tt.inMsg)
			}
		})
	}
	if _, ok := f.book.Get("payment"); ok {
		t.Error("a refused publication was published")
	}
}

// A rule set that does not compile is answered with every problem, placed
// in the spec's own text.
func TestPublishReportsEveryProblemWithItsPlace(t *testing.T) {
	f := newFixture(t)
	yaml := "action: payment\ndefault: ALLOW\nrules:\n" +
		"  - id: typo\n    priority: 1\n    when: user.emial == 'x'\n    outcome: BLOCK\n" +
		"  - id: odd\n    priority: 2\n    when: 'true'\n    outcome: DENY\n"
	type problem struct {
		Line, Column, ExprLine, ExprColumn int
		Path, Rule, Message                string
	}
	problemsOf := func(r response) []problem {
		t.Helper()
		var body struct {
			Error struct {
				Code     string
				Problems []problem
			}
		}
		r.json(t, &body)
		if r.status != 422 || body.Error.Code != "invalid_rules" {
			t.Fatalf("%d %s", r.status, r.body)
		}
		return body.Error.Problems
	}
	ps := problemsOf(f.do(http.MethodPut, "/admin/v1/actions/payment/rules", map[string]any{"base_version": 0, "spec_yaml": yaml}))
	if len(ps) != 2 {
		t.Fatalf("problems %+v, want 2", ps)
	}
	if p := ps[0]; p.Rule != "typo" || p.Path != "rules[0].when" || p.Line != 6 || p.Column != 15 || !strings.Contains(p.Message, "emial") {
		t.Errorf("the first problem: %+v", p)
	}
	if p := ps[1]; p.Rule != "odd" || p.Path != "rules[1].outcome" || p.Line != 11 || !strings.Contains(p.Message, "DENY") {
		t.Errorf("the second problem: %+v", p)
	}

	// As a JSON object, lines count in the object as sent.
	body := "{\"base_version\":0,\"spec\":{\n \"action\":\"payment\",\n \"default\":\"ALLOW\",\n \"rules\":[{\"id\":\"typo\",\"priority\":1,\"outcome\":\"BLOCK\",\n  \"when\":\"user.emial == 'x'\"}]}}"
	ps = problemsOf(f.do(http.MethodPut, "/admin/v1/actions/payment/rules", body))
	if len(ps) != 1 || ps[0].Rule != "typo" || ps[0].Line != 5 {
		t.Errorf("problems of a JSON spec: %+v, want one on line 5", ps)
	}
}

func TestRoutesAnswerInJSON(t *testing.T) {
	f := newFixture(t)
	for _, tt := range []struct {
		method, path string
		status       int
		allow        string
	}{
		{http.MethodDelete, "/admin/v1/actions/payment/rules", 405, "GET, HEAD, PUT"},
		{http.MethodPost, "/admin/v1/actions", 405, "GET, HEAD"},
		{http.MethodGet, "/admin/v1/simulate", 405, "POST"},
		{http.MethodGet, "/admin/v1/nothing", 404, ""},
		{http.MethodGet, "/admin/v1/", 404, ""},
	} {
		r := f.do(tt.method, tt.path, nil)
		if r.status != tt.status {
			t.Errorf("%s %s: %d, want %d", tt.method, tt.path, r.status, tt.status)
			continue
		}
		r.errorCode(t)
		if allow := r.header.Get("Allow"); tt.allow != "" && !sameMethods(allow, tt.allow) {
			t.Errorf("%s %s: Allow %q, want %q", tt.method, tt.path, allow, tt.allow)
		}
	}
}

// sameMethods compares comma-separated method lists in any order.
func sameMethods(a, b string) bool {
	set := func(s string) map[string]bool {
		m := map[string]bool{}
		for _, x := range strings.Split(s, ",") {
			m[strings.TrimSpace(x)] = true
		}
		return m
	}
	x, y := set(a), set(b)
	if len(x) != len(y) {
		return false
	}
	for k := range x {
		if !y[k] {
			return false
		}
	}
	return true
}

func TestAuditPages(t *testing.T) {
	f := newFixture(t)
	for v := range uint64(5) {
		f.publish("payment", strings.Replace(paymentV1, "1000", strconv.FormatUint(1000+v, 10), 1), v)
	}
	var page struct {
		Events []struct{ Seq uint64 }
		Next   uint64
	}
	r := f.do(http.MethodGet, "/admin/v1/audit?after=1&limit=2", nil)
	r.json(t, &page)
	if r.status != 200 || len(page.Events) != 2 || page.Events[0].Seq != 2 || page.Events[1].Seq != 3 || page.Next != 3 {
		t.Errorf("a page: %d %s", r.status, r.body)
	}
	r = f.do(http.MethodGet, "/admin/v1/audit?after=5", nil)
	if r.status != 200 || string(r.body) != `{"events":[],"next":5}`+"\n" {
		t.Errorf("past the end: %d %s", r.status, r.body)
	}
	for _, q := range []string{"after=-1", "after=x", "limit=0", "limit=1001", "limit=x"} {
		if r := f.do(http.MethodGet, "/admin/v1/audit?"+q, nil); r.status != 400 || r.errorCode(t) != "invalid_request" {
			t.Errorf("?%s: %d %s", q, r.status, r.body)
		}
	}
}
