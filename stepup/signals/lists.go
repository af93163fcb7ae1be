package signals

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gaissmai/bart"
)

// ListsConfig names the lists rules can test against. A name must be an
// identifier (letters, digits, underscores; not starting with a digit)
// because rules use it as a field name: `"office" in ip.lists`,
// `user.email in lists.vip`.
type ListsConfig struct {
	// Networks are lists of CIDR prefixes (203.0.113.0/24, 2001:db8::/32)
	// or single addresses. Lists.Match tells which contain an address.
	Networks map[string]ListSource
	// Values are lists of strings, such as emails or user IDs, handed to
	// the rules as they are by Lists.Values.
	Values map[string]ListSource
}

// ListSource is where a list's entries come from: written inline, read from
// a file, or both. Inline entries are taken as written but for the space
// around them.
//
// A file holds one entry per line. Blank lines are skipped and '#' starts a
// comment that runs to the end of the line, so a value cannot contain '#'
// in a file; space around an entry is dropped. A line that is not a valid
// entry is an error naming the file and line.
type ListSource struct {
	Entries []string
	File    string
}

// Lists holds the lists, read once. It is safe for concurrent use.
type Lists struct {
	// networks is sorted by name, so Match answers in a stable order.
	networks []networkList
	values   map[string][]string
}

type networkList struct {
	name string
	// A bart.Lite answers "is this address in any of these prefixes" in
	// a few table steps whatever the number of prefixes, where a slice
	// of prefixes would be scanned in full for every sign-in.
	table *bart.Lite
}

// maxLineErrors bounds the errors reported for one file: a file of the
// wrong kind would otherwise bury the message under one error per line.
const maxLineErrors = 10

// NewLists reads every list. Its error reports every problem found (a bad
// name, a missing file, each bad entry up to ten per file), not only the
// first.
func NewLists(cfg ListsConfig) (*Lists, error) {
	l := &Lists{values: make(map[string][]string, len(cfg.Values))}
	var errs []error
	for _, name := range sortedKeys(cfg.Networks) {
		prefixes, err := readSource(name, "network list", cfg.Networks[name], parsePrefix)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		table := new(bart.Lite)
		for _, p := range prefixes {
			table.Insert(p)
		}
		l.networks = append(l.networks, networkList{name: name, table: table})
	}
	for _, name := range sortedKeys(cfg.Values) {
		values, err := readSource(name, "value list", cfg.Values[name], parseValue)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		l.values[name] = compactValues(values)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return l, nil
}

// Match returns the names of the network lists that contain addr, sorted,
// or nil. An IPv4 address written as IPv6 (::ffff:192.0.2.1) is matched as
// the IPv4 address.
func (l *Lists) Match(addr netip.Addr) []string {
	addr = addr.Unmap()
	var names []string
	for _, n := range l.networks {
		if n.table.Contains(addr) {
			names = append(names, n.name)
		}
	}
	return names
}

// Values returns the value lists by name, each in the order written (inline
// entries first, then the file's) with repeats dropped. Values are kept as
// written, case included, and rules compare them exactly: a list does not
// know whether it holds emails, where case rarely matters, or IDs, where it
// does. Write email lists in lower case and compare a lower-cased email in
// the rule.
//
// The map is shared by every caller and must not be modified.
func (l *Lists) Values() map[string][]string {
	return l.values
}

// readSource returns a list's entries, inline and then from its file,
// each parsed.
func readSource[T any](name, what string, src ListSource, parse func(string) (T, error)) ([]T, error) {
	if !isIdentifier(name) {
		return nil, fmt.Errorf("signals: %s %q: a name must be letters, digits and underscores, not starting with a digit, to be usable in rules", what, name)
	}
	if len(src.Entries) == 0 && src.File == "" {
		return nil, fmt.Errorf("signals: %s %s has neither entries nor a file", what, name)
	}
	var (
		out  []T
		errs []error
	)
	for i, e := range src.Entries {
		v, err := parse(strings.TrimSpace(e))
		if err != nil {
			errs = append(errs, fmt.Errorf("signals: %s %s: entry %d: %w", what, name, i+1, err))
			continue
		}
		out = append(out, v)
	}
	if src.File != "" {
		fromFile, err := readListFile(src.File, parse)
		if err != nil {
			errs = append(errs, fmt.Errorf("signals: %s %s: %w", what, name, err))
		}
		out = append(out, fromFile...)
	}
	return out, errors.Join(errs...)
}

func readListFile[T any](path string, parse func(string) (T, error)) ([]T, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parseList(f, path, parse)
}

// parseList reads one entry per line of r. Errors name source:line, and
// stop after maxLineErrors bad lines.
func parseList[T any](r io.Reader, source string, parse func(string) (T, error)) ([]T, error) {
	var (
		out  []T
		errs []error
		bad  int
	)
	sc := bufio.NewScanner(r)
	line := 0
	for sc.Scan() {
		line++
		text := sc.Text()
		if line == 1 {
			// Editors on Windows start UTF-8 files with a byte order mark.
			text = strings.TrimPrefix(text, "\uFEFF")
		}
		if i := strings.IndexByte(text, '#'); i >= 0 {
			text = text[:i]
		}
		text = strings.TrimSpace(text)
		if text == "" {
			continue
		}
		v, err := parse(text)
		if err != nil {
			bad++
			if bad <= maxLineErrors {
				errs = append(errs, fmt.Errorf("%s:%d: %w", source, line, err))
			}
			continue
		}
		out = append(out, v)
	}
	if bad > maxLineErrors {
		errs = append(errs, fmt.Errorf("%s: %d more bad lines", source, bad-maxLineErrors))
	}
	switch err := sc.Err(); {
	case errors.Is(err, bufio.ErrTooLong):
		// No entry is that long: this is not a list file.
		errs = append(errs, fmt.Errorf("%s:%d: line longer than %d bytes", source, line+1, bufio.MaxScanTokenSize))
	case err != nil:
		errs = append(errs, fmt.Errorf("%s:%d: %w", source, line+1, err))
	}
	return out, errors.Join(errs...)
}

// parsePrefix reads a CIDR prefix or a single address.
func parsePrefix(s string) (netip.Prefix, error) {
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return netip.Prefix{}, fmt.Errorf("%q is neither a CIDR prefix nor an IP address", s)
		}
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is not a CIDR prefix", s)
	}
	if p.Masked() != p {
		// 10.0.0.1/8 is most likely a typo for 10.0.0.1/32 or for
		// 10.0.0.0/8; guessing either could let the wrong addresses in.
		return netip.Prefix{}, fmt.Errorf("%q has address bits set beyond its length; the network is %s", s, p.Masked())
	}
	if a := p.Addr(); a.Is4In6() {
		// Matching unmaps addresses, so an IPv4 network written as IPv6
		// (::ffff:10.0.0.0/104) is stored as IPv4. Being masked, it is at
		// least /96: a shorter one would have the ffff bits beyond it.
		return netip.PrefixFrom(a.Unmap(), p.Bits()-96), nil
	}
	return p, nil
}

// parseValue accepts any text but control characters and invalid UTF-8,
// which are never meant and would print as garbage in a decision's
// explanation.
func parseValue(s string) (string, error) {
	if s == "" {
		return "", errors.New("empty value")
	}
	if !utf8.ValidString(s) {
		return "", errors.New("value is not valid UTF-8")
	}
	if strings.ContainsFunc(s, unicode.IsControl) {
		return "", fmt.Errorf("value %q has a control character", s)
	}
	return s, nil
}

// compactValues drops repeats and keeps the first of each in place.
func compactValues(values []string) []string {
	seen := make(map[string]bool, len(values))
	out := make([]string, 0, len(values))
	for _, v := range values {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

func isIdentifier(name string) bool {
	for i, r := range name {
		letter := r == '_' || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z')
		if !letter && (i == 0 || r < '0' || r > '9') {
			return false
		}
	}
	return name != ""
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
