package config

import (
	"fmt"
	"net/netip"
	"strings"
)

// IPPrefix is an IP address or a CIDR prefix read from the configuration,
// such as 192.0.2.10 or 10.0.0.0/8. An address is the prefix of its own
// length (/32 or /128).
type IPPrefix struct{ netip.Prefix }

// ParseIPPrefix parses s as an address or a prefix. Host names are not
// resolved. It refuses what would not match the way it reads: a prefix
// with bits set past its length (10.1.2.3/8, probably a typo), an
// IPv4-mapped IPv6 form (::ffff:10.0.0.1), which a client's address,
// read as IPv4, never matches, and a zone.
func ParseIPPrefix(s string) (IPPrefix, error) {
	var p netip.Prefix
	if strings.Contains(s, "/") {
		var err error
		if p, err = netip.ParsePrefix(s); err != nil {
			return IPPrefix{}, fmt.Errorf("config: %q is not an IP address or a CIDR prefix such as 10.0.0.0/8", s)
		}
	} else {
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return IPPrefix{}, fmt.Errorf("config: %q is not an IP address or a CIDR prefix such as 10.0.0.0/8", s)
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	switch {
	case p.Addr().Is4In6():
		return IPPrefix{}, fmt.Errorf("config: %q is an IPv4 address in IPv6 form; write it as IPv4", s)
	case p.Masked() != p:
		return IPPrefix{}, fmt.Errorf("config: %q has bits set past its /%d; the prefix is %s", s, p.Bits(), p.Masked())
	}
	return IPPrefix{p}, nil
}

// UnmarshalText parses the prefix with ParseIPPrefix.
func (p *IPPrefix) UnmarshalText(b []byte) error {
	v, err := ParseIPPrefix(string(b))
	if err != nil {
		return err
	}
	*p = v
	return nil
}

// MarshalText returns the prefix as String does, so a Config can be
// printed back.
func (p IPPrefix) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// String returns the prefix, the address alone for a single address, or ""
// for the zero IPPrefix.
func (p IPPrefix) String() string {
	switch {
	case !p.IsValid():
		return ""
	case p.IsSingleIP():
		return p.Addr().String()
	}
	return p.Prefix.String()
}

// Prefixes returns ps as netip prefixes.
func Prefixes(ps []IPPrefix) []netip.Prefix {
	out := make([]netip.Prefix, len(ps))
	for i, p := range ps {
		out[i] = p.Prefix
	}
	return out
}
