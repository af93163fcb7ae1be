package web_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stepup-auth/stepup/acr"
)

func TestStepUpHandsTheFlowBackUnmetOrCancelled(t *testing.T) {
	e := newEnv(t, false)
	b := e.browser("browser-1")
	f := e.flow()
	f.UserID, f.Level = "alice", acr.MFA
	token := b.seal(f)
	p := b.get("/stepup?flow=" + url.QueryEscape(token))
	if p.status != http.StatusOK {
		t.Fatalf("GET: status %d", p.status)
	}
	mustContain(t, p, "more proof than your account can give yet (level urn:stepup:acr:mfa)",
		`value="continue"`, `value="cancel"`)
	// Continue leaves the unmet level to the completion target; cancel says
	// the user declined, which the OP answers with access_denied.
	for _, tt := range []struct {
		action           string
		unmet, cancelled bool
	}{{"continue", true, false}, {"cancel", false, true}} {
		csrf := b.open("/stepup", token)
		got := b.handedBack(b.post("/stepup", url.Values{"flow": {token}, "csrf": {csrf}, "action": {tt.action}}))
		if got.Unmet != tt.unmet || got.Cancelled != tt.cancelled || got.UserID != "alice" || got.Level != acr.MFA {
			t.Errorf("%s: flow handed back %+v, want unmet %v, cancelled %v, otherwise unchanged", tt.action, got, tt.unmet, tt.cancelled)
		}
	}
}
