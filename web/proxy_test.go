package web

import (
	"net/netip"
	"strings"
	"testing"
)

// testProxies are the proxies the tests trust: an edge range, one inner
// proxy, and an IPv6 range.
var testProxies = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("192.0.2.1/32"),
	netip.MustParsePrefix("2001:db8:1::/48"),
}

func TestClientAddr(t *testing.T) {
	tests := []struct {
		name   string
		remote string
		xff    []string // header lines; nil for none
		want   string
	}{
		{"direct, no header", "198.51.100.7:5000", nil, "198.51.100.7"},
		{"direct, the header is the client's own word", "198.51.100.7:5000", []string{"203.0.113.9"}, "198.51.100.7"},
		{"direct IPv6", "[2001:db8:2::1]:5000", []string{"203.0.113.9"}, "2001:db8:2::1"},
		{"trusted proxy, no header", "10.0.0.2:443", nil, "10.0.0.2"},
		{"trusted proxy, one client", "10.0.0.2:443", []string{"198.51.100.7"}, "198.51.100.7"},
		{"two proxies", "10.0.0.2:443", []string{"198.51.100.7, 192.0.2.1"}, "198.51.100.7"},
		// The client sent X-Forwarded-For itself; the proxy appended.
		{"client prepends", "10.0.0.2:443", []string{"203.0.113.9, 10.0.0.5, 198.51.100.7"}, "198.51.100.7"},
		{"client prepends a line", "10.0.0.2:443", []string{"203.0.113.9", "198.51.100.7"}, "198.51.100.7"},
		{"lines are one list", "10.0.0.2:443", []string{"203.0.113.9, 198.51.100.7", "192.0.2.1"}, "198.51.100.7"},
		{"no spaces", "10.0.0.2:443", []string{"203.0.113.9,198.51.100.7,192.0.2.1"}, "198.51.100.7"},
		{"tabs", "10.0.0.2:443", []string{"\t198.51.100.7\t,\t192.0.2.1"}, "198.51.100.7"},
		{"every hop trusted: the left-most", "10.0.0.2:443", []string{"10.1.1.1, 192.0.2.1"}, "10.1.1.1"},
		{"unknown stops the walk", "10.0.0.2:443", []string{"198.51.100.7, unknown, 192.0.2.1"}, "192.0.2.1"},
		{"a name stops the walk", "10.0.0.2:443", []string{"198.51.100.7, _hidden"}, "10.0.0.2"},
		{"an empty entry stops the walk", "10.0.0.2:443", []string{"198.51.100.7,,192.0.2.1"}, "192.0.2.1"},
		{"an empty line stops the walk", "10.0.0.2:443", []string{"198.51.100.7", ""}, "10.0.0.2"},
		{"a trailing comma stops the walk", "10.0.0.2:443", []string{"198.51.100.7,"}, "10.0.0.2"},
		{"a zone stops the walk", "10.0.0.2:443", []string{"fe80::1%eth0"}, "10.0.0.2"},
		{"a leading zero stops the walk", "10.0.0.2:443", []string{"198.051.100.7"}, "10.0.0.2"},
		{"an entry with a port", "10.0.0.2:443", []string{"198.51.100.7:61000, 192.0.2.1:443"}, "198.51.100.7"},
		{"an IPv6 entry with a port", "10.0.0.2:443", []string{"[2001:db8:2::1]:61000"}, "2001:db8:2::1"},
		{"an IPv6 entry", "10.0.0.2:443", []string{"2001:db8:2::1"}, "2001:db8:2::1"},
		{"an IPv6 proxy", "[2001:db8:1::5]:443", []string{"198.51.100.7, 2001:db8:1::6"}, "198.51.100.7"},
		{"a v4-mapped entry is IPv4", "10.0.0.2:443", []string{"198.51.100.7, ::ffff:10.0.0.3"}, "198.51.100.7"},
		{"a v4-mapped client", "10.0.0.2:443", []string{"::ffff:198.51.100.7"}, "198.51.100.7"},
		{"a v4-mapped proxy", "[::ffff:10.0.0.2]:443", []string{"198.51.100.7"}, "198.51.100.7"},
		{"a zoned proxy", "[fe80::1%eth0]:443", []string{"198.51.100.7"}, "fe80::1%eth0"},
		{"a remote address that is no address", "pipe", []string{"198.51.100.7"}, "pipe"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := clientAddr(tt.remote, tt.xff, testProxies); got != tt.want {
				t.Errorf("clientAddr(%q, %q) = %q, want %q", tt.remote, tt.xff, got, tt.want)
			}
		})
	}
}

// With no trusted proxy, nobody's X-Forwarded-For is read, the trusted
// proxy's address included.
func TestClientAddrWithoutProxiesIsTheConnection(t *testing.T) {
	if got := clientAddr("10.0.0.2:443", []string{"198.51.100.7"}, nil); got != "10.0.0.2" {
		t.Errorf("clientAddr = %q, want the connection's 10.0.0.2", got)
	}
}

// A client in a trusted range can name any address: list the proxies, not
// the networks clients share with them.
func TestClientAddrBelievesEveryTrustedHop(t *testing.T) {
	spoofed := strings.Join([]string{"203.0.113.66", "10.9.9.9"}, ", ") // a client at 10.9.9.9 adding a name
	if got := clientAddr("10.0.0.2:443", []string{spoofed}, testProxies); got != "203.0.113.66" {
		t.Errorf("clientAddr = %q", got)
	}
}
