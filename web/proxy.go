package web

import (
	"net"
	"net/netip"
	"strings"
)

// clientAddr returns the address of the client behind a request that came
// from remoteAddr (http.Request.RemoteAddr) carrying the X-Forwarded-For
// header lines forwardedFor, given the reverse proxies trusted to report it.
//
// A connection from anywhere else is its own client: anyone can send
// X-Forwarded-For, so its header is ignored. From a trusted proxy, the
// header is read from the right, the end each proxy appends its peer's
// address to, and the first address that is not a trusted proxy is the
// client. Whatever the client itself sent lies to the left of the address
// the first proxy appended, so a client can add entries it likes but never
// be read past its own. An entry that is not an address (empty, "unknown",
// an obfuscated name) stops the walk, and the last trusted hop stands for
// the client, as it does when every entry is a trusted proxy.
//
// Only X-Forwarded-For is read. Forwarded (RFC 7239) is not: a proxy that
// sets one header passes the other on from the client untouched, so
// reading both would believe the client.
func clientAddr(remoteAddr string, forwardedFor []string, proxies []netip.Prefix) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	hop, err := netip.ParseAddr(host)
	if err != nil || len(proxies) == 0 {
		return host
	}
	hop = hop.WithZone("").Unmap()
	if !trusted(hop, proxies) {
		return host
	}
	// Several lines are one list, in order (RFC 9110, section 5.3): a
	// proxy may add its own line after the client's instead of appending.
	for rest := strings.Join(forwardedFor, ","); ; {
		i := strings.LastIndexByte(rest, ',') // -1: the last entry is the whole rest
		addr, ok := forwardedAddr(rest[i+1:])
		if !ok {
			break
		}
		hop = addr
		if !trusted(hop, proxies) || i < 0 {
			break
		}
		rest = rest[:i]
	}
	return hop.String()
}

// forwardedAddr parses one X-Forwarded-For entry: an IP address, with a
// port as some proxies add it (192.0.2.1:443, [2001:db8::1]:443). A zone
// means nothing beyond the proxy's own host, so an entry with one is not
// an address here.
func forwardedAddr(entry string) (netip.Addr, bool) {
	entry = strings.Trim(entry, " \t")
	addr, err := netip.ParseAddr(entry)
	if err != nil {
		ap, perr := netip.ParseAddrPort(entry)
		if perr != nil {
			return netip.Addr{}, false
		}
		addr = ap.Addr()
	}
	if addr.Zone() != "" {
		return netip.Addr{}, false
	}
	return addr.Unmap(), true
}

// trusted reports whether addr is one of the proxies.
func trusted(addr netip.Addr, proxies []netip.Prefix) bool {
	for _, p := range proxies {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}
