package main

import (
	"net/url"
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
