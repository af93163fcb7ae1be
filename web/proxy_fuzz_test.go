package web

import (
	"net"
	"net/netip"
	"strings"
	"testing"
)

// FuzzClientAddr checks clientAddr against what a client can send: it
// never panics, it reads no header from a connection that is not a trusted
// proxy, it answers an address, and whatever a client writes before the
// address its proxy appends, the answer is that address.
func FuzzClientAddr(f *testing.F) {
	for _, seed := range []struct {
		remote, sent string
		client       [4]byte
		newLine      bool
	}{
		{"10.0.0.2:443", "", [4]byte{198, 51, 100, 7}, false},
		{"10.0.0.2:443", "203.0.113.9", [4]byte{198, 51, 100, 7}, true},
		{"10.0.0.2:443", "203.0.113.9,\n10.0.0.1, 192.0.2.1,", [4]byte{203, 0, 113, 9}, false},
		{"198.51.100.7:1", "unknown, ,[::1]:80,::ffff:10.0.0.1", [4]byte{10, 0, 0, 1}, false},
		{"[2001:db8:1::1]:443", "2001:db8:1::2%eth0\n\t,", [4]byte{192, 0, 2, 1}, true},
		{"[fe80::1%eth0]:1", ",,,", [4]byte{}, false},
		{"pipe", "1.2.3.4", [4]byte{1, 2, 3, 4}, false},
	} {
		f.Add(seed.remote, seed.sent, seed.client[0], seed.client[1], seed.client[2], seed.client[3], seed.newLine)
	}
	f.Fuzz(func(t *testing.T, remote, sent string, a, b, c, d byte, newLine bool) {
		// Lines as the client sent them; the fuzzer's may hold anything.
		lines := strings.Split(sent, "\n")
		got := clientAddr(remote, lines, testProxies)

		host, _, err := net.SplitHostPort(remote)
		if err != nil {
			host = remote
		}
		hop, err := netip.ParseAddr(host)
		if err != nil || !trusted(hop.WithZone("").Unmap(), testProxies) {
			if got != host {
				t.Fatalf("clientAddr(%q, %q) = %q from a connection that is no trusted proxy, want %q", remote, lines, got, host)
			}
			return
		}
		if _, err := netip.ParseAddr(got); err != nil {
			t.Fatalf("clientAddr(%q, %q) = %q, not an address", remote, lines, got)
		}

		// The client's proxy appends the address it took the connection
		// from, to the last line or on a line of its own; an inner
		// proxy, 192.0.2.1, forwards to us from 10.0.0.2.
		client := netip.AddrFrom4([4]byte{a, b, c, d})
		if trusted(client, testProxies) {
			return // a client inside a trusted range is believed: see TestClientAddrBelievesEveryTrustedHop
		}
		forwarded := append([]string(nil), lines...)
		if newLine {
			forwarded = append(forwarded, client.String()+", 192.0.2.1")
		} else {
			forwarded[len(forwarded)-1] += ", " + client.String() + ", 192.0.2.1"
		}
		if got := clientAddr("10.0.0.2:443", forwarded, testProxies); got != client.String() {
			t.Fatalf("a client at %s that sent %q is taken for %q", client, lines, got)
		}
	})
}
