package web_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stepup-auth/stepup/acr"
)

// Continue hands the flow back unmet (what that means is the completion
// target's call); Cancel hands it back cancelled.
func TestStepUpHandsTheFlowBackUnmetOrCancelled(t *testing.T) {
	e := newEnv(t, false)
	b := e.browser("browser-1")
	alice := e.register("alice", "correct horse")
	b.handedBack(b.signIn(b.seal(e.flow()), "alice", "correct horse"))
	f := e.flow()
	f.UserID, f.Level = alice.ID, acr.MFA
	token := b.seal(f)
	p := b.get("/stepup?flow=" + url.QueryEscape(token))
	if p.status != http.StatusOK {
		t.Fatalf("GET: status %d", p.status)
	}
	mustContain(t, p, "This application asks for a second proof of who you are, which your account cannot give yet",
		`value="continue"`, `value="cancel"`)
	for _, action := range []string{"continue", "cancel"} {
		csrf := b.open("/stepup", token)
		got := b.handedBack(b.post("/stepup", url.Values{"flow": {token}, "csrf": {csrf}, "action": {action}}))
		cancel := action == "cancel"
		if got.Unmet == cancel || got.Cancelled != cancel || got.UserID != alice.ID || got.Level != acr.MFA {
			t.Errorf("%s: flow handed back %+v, want it %s and otherwise unchanged", action, got,
				map[bool]string{false: "unmet", true: "cancelled"}[cancel])
		}
	}
}
