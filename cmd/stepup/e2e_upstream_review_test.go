package main

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
)

// prompt=login (max_age 0) through an upstream that does sign the user in
// again: the upstream's auth_time is whole seconds, so a sign-in in the
// same second as the request looked older than the flow's Since (the
// request's instant, with its fraction of a second).
func TestUpstreamPromptLoginSameSecond(t *testing.T) {
	f := startFederated(t, "")
	for i := range 5 {
		r := newRP(t, f.op.issuer, "app", "")
		a := r.authorize(url.Values{"prompt": {"login"}})
		viaUpstream(t, a)
		if a.callback == nil {
			t.Fatalf("attempt %d: a fresh upstream sign-in for prompt=login was refused: page %v:\n%.400s", i, a.page, a.body)
		}
		a.tokens()
	}
}

// The attempt cookie seals the whole flow token, which carries the relying
// party's acr_values, login_hint and the like as they came: a long one
// makes a cookie past the 4096 bytes openAttempt (and browsers) take, and
// the upstream sign-in of that flow can never finish.
func TestUpstreamLongFlowStillFinishes(t *testing.T) {
	f := startFederated(t, "")
	r := newRP(t, f.op.issuer, "app", "")
	hint := strings.Repeat("x", 2500) + "@example.com"
	a := r.authorize(url.Values{"login_hint": {hint}})
	viaUpstream(t, a)
	if a.callback == nil {
		t.Fatalf("an upstream sign-in of a flow with a %d-character login_hint: page %v:\n%.300s", len(hint), a.page, a.body)
	}
	var values []string
	for i := range 40 {
		values = append(values, fmt.Sprintf("urn:example:acr:%03d:%s", i, strings.Repeat("y", 80)))
	}
	b := newRP(t, f.op.issuer, "app", "").authorize(url.Values{"acr_values": {strings.Join(append(values, "urn:stepup:acr:1fa"), " ")}})
	viaUpstream(t, b)
	if b.callback == nil {
		t.Fatalf("an upstream sign-in of a flow with 41 acr_values: page %v:\n%.300s", b.page, b.body)
	}
}
