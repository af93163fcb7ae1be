package demo_test

import (
	"strings"
	"testing"
)

// /demo/paid takes a confirmation only for the payment this browser sent
// to the challenge: a valid confirmation of another action of the same
// user (or of an earlier payment) is not this payment's.
func TestDemoPaidChecksTheActionItStarted(t *testing.T) {
	e := newEnv(t)
	e.serveOP()
	b := e.browser()
	b.act("balance", nil).mustContain(t, "Balance:")
	if p := b.get("/demo/paid?token=settings"); strings.Contains(p.body, "Payment sent") {
		t.Errorf("a confirmation of changeSettings sent the payment:\n%.400s", p.body)
	}
}
