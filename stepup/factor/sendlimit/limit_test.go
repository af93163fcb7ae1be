package sendlimit_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/stepup/factor/sendlimit"
)

// TestAllowWithoutRegion checks that sends naming no region (email) are
// held by the cool-down, destination and global limits and by no region
// limit, however many there are.
func TestAllowWithoutRegion(t *testing.T) {
	lim, err := sendlimit.NewLimiter(sendlimit.Limits{
		Cooldown:    time.Second,
		Destination: []sendlimit.Window{{Max: 2, Period: time.Hour}},
		Region:      []sendlimit.Window{{Max: 1, Period: time.Hour}},
		Global:      []sendlimit.Window{{Max: 5, Period: time.Hour}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var le *sendlimit.LimitError
	if err := lim.Allow("ann@example.com", "", t0); err != nil {
		t.Fatal(err)
	}
	if err := lim.Allow("ann@example.com", "", t0.Add(500*time.Millisecond)); !errors.As(err, &le) || le.Scope != sendlimit.ScopeCooldown {
		t.Fatalf("a resend within the cool-down: %v", err)
	}
	if err := lim.Allow("ann@example.com", "", t0.Add(2*time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := lim.Allow("ann@example.com", "", t0.Add(4*time.Second)); !errors.As(err, &le) || le.Scope != sendlimit.ScopeDestination {
		t.Fatalf("a third send in the hour: %v", err)
	}
	for i := range 3 {
		if err := lim.Allow(fmt.Sprintf("u%d@example.com", i), "", t0.Add(5*time.Second)); err != nil {
			t.Fatalf("send %d to another address: %v (a region limit of 1 must not apply without a region)", i, err)
		}
	}
	if err := lim.Allow("zed@example.com", "", t0.Add(6*time.Second)); !errors.As(err, &le) || le.Scope != sendlimit.ScopeGlobal || !errors.Is(err, sendlimit.ErrTooManyMessages) {
		t.Fatalf("the sixth send of the hour: %v", err)
	}
	if err := lim.Allow("", "", t0); err == nil || errors.Is(err, sendlimit.ErrTooManyMessages) {
		t.Fatalf("a send to no destination: %v", err)
	}
}
