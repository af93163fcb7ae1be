package signals

import (
	"testing"
	"time"
)

func newVelocityCounters() *VelocityCounters {
	o := VelocityOptions{MaxKeys: 1000}
	return NewVelocityCounters(NewVelocity(o), NewVelocity(o), NewVelocity(o))
}

func TestVelocityCountersSignal(t *testing.T) {
	c := newVelocityCounters()
	now := velocityStart
	c.Request("alice", "192.0.2.1", now.Add(-2*time.Hour))
	c.Request("alice", "192.0.2.1", now.Add(-30*time.Minute))
	c.Request("alice", "2001:db8::1", now)
	c.Request("bob", "192.0.2.1", now)
	c.Request("", "192.0.2.1", now) // before the user is known
	c.Request("alice", "", now)     // no address
	c.Failure("alice", now.Add(-2*time.Hour))
	c.Failure("alice", now.Add(-10*time.Minute))
	c.Failure("", now)

	want := VelocitySignal{
		User:         Counts{Minute: 2, Hour: 3, Day: 4},
		IP:           Counts{Minute: 2, Hour: 3, Day: 4},
		FailuresHour: 1,
	}
	if got := c.Signal("alice", "192.0.2.1", now); got != want {
		t.Fatalf("alice at 192.0.2.1: %+v, want %+v", got, want)
	}
	// The same address spelled as IPv4-mapped IPv6.
	if got := c.Signal("bob", "::ffff:192.0.2.1", now); got.IP != want.IP || got.User != (Counts{1, 1, 1}) || got.FailuresHour != 0 {
		t.Fatalf("bob at ::ffff:192.0.2.1: %+v", got)
	}
	// Another address of the same /64.
	if got := c.Signal("", "2001:db8::ffff:1", now); got != (VelocitySignal{IP: Counts{1, 1, 1}}) {
		t.Fatalf("no user at 2001:db8::ffff:1: %+v", got)
	}
	if got := c.Signal("", "", now); got != (VelocitySignal{}) {
		t.Fatalf("no user, no address: %+v", got)
	}
}

func TestAddressKey(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"192.0.2.1", "192.0.2.1"},
		{"::ffff:192.0.2.1", "192.0.2.1"},
		{"2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
		{"2001:DB8:1:2::7", "2001:db8:1:2::/64"},
		{"fe80::1%eth0", "fe80::/64"},
		{"not an address", "not an address"},
	} {
		if got := AddressKey(tc.in); got != tc.want {
			t.Errorf("AddressKey(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
