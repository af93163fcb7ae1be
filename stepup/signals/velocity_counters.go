package signals

// The velocity part of the rule input: a user's requests, an address's
// requests, and a user's failed verifications, in three counters so that
// no kind of key can push another out of memory (see Velocity).

import (
	"net/netip"
	"time"
)

// VelocitySignal is what the rules know of recent activity.
type VelocitySignal struct {
	// User counts the user's requests (velocity.user_1m, user_1h, user_24h).
	User Counts
	// IP counts the requests from the address (velocity.ip_1m, ip_1h,
	// ip_24h); an IPv6 address counts with the rest of its /64.
	IP Counts
	// FailuresHour counts the user's failed verifications in the last
	// hour (velocity.failures_1h).
	FailuresHour int
}

// VelocityCounters keeps the counts behind VelocitySignal.
type VelocityCounters struct {
	users, ips, failures Counter
}

// NewVelocityCounters returns counters over users (keyed by user id), ips
// (by address) and failures (by user id): three Counters, none nil, such
// as three Velocity.
func NewVelocityCounters(users, ips, failures Counter) *VelocityCounters {
	return &VelocityCounters{users: users, ips: ips, failures: failures}
}

// Request counts a request of userID from ip at t. An empty userID (no user
// known yet) or ip counts nothing for it. Calling it before Signal makes a
// request count itself, so that a rule's "more than N" holds from the
// (N+1)th request of a burst.
func (c *VelocityCounters) Request(userID, ip string, t time.Time) {
	if userID != "" {
		c.users.Add(userID, t)
	}
	if k := AddressKey(ip); k != "" {
		c.ips.Add(k, t)
	}
}

// Failure counts a failed verification of userID at t.
func (c *VelocityCounters) Failure(userID string, t time.Time) {
	if userID != "" {
		c.failures.Add(userID, t)
	}
}

// Signal returns the counts of userID and ip at now; an empty one reads
// zero.
func (c *VelocityCounters) Signal(userID, ip string, now time.Time) VelocitySignal {
	var s VelocitySignal
	if userID != "" {
		s.User = c.users.Counts(userID, now)
		s.FailuresHour = c.failures.Counts(userID, now).Hour
	}
	if k := AddressKey(ip); k != "" {
		s.IP = c.ips.Counts(k, now)
	}
	return s
}

// AddressKey is the unit an address counts as, for the velocity signals
// and the sign-in throttle alike: an IPv4 address, or the /64
// of an IPv6 one, since a single host commonly holds a whole /64 and could
// otherwise count each request against a fresh address. Anything that is
// not an address counts as itself.
func AddressKey(ip string) string {
	if ip == "" {
		return ""
	}
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	addr = addr.Unmap().WithZone("")
	if addr.Is4() {
		// Most addresses come spelled canonically; comparing on the
		// stack spares the hot path a new string.
		var buf [len("255.255.255.255")]byte
		if string(addr.AppendTo(buf[:0])) == ip {
			return ip
		}
		return addr.String()
	}
	p, _ := addr.Prefix(64)
	return p.String()
}
