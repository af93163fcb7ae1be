package signals

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func writeFile(tb testing.TB, name, content string) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

func newTestLists(tb testing.TB, cfg ListsConfig) *Lists {
	tb.Helper()
	l, err := NewLists(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return l
}

func TestListsMatch(t *testing.T) {
	denyFile := writeFile(t, "deny.txt", "\uFEFF# addresses we refuse\n"+
		"\n"+
		"198.51.100.7        # one host\r\n"+
		"10.0.0.0/8\n"+
		"   2001:db8:bad::/48\n")
	l := newTestLists(t, ListsConfig{Networks: map[string]ListSource{
		"office": {Entries: []string{"203.0.113.0/24", " 10.1.0.0/16 ", "2001:db8:1::/48"}},
		"deny":   {File: denyFile},
		"mapped": {Entries: []string{"::ffff:192.0.2.0/120", "::ffff:192.0.3.1"}},
		"both":   {Entries: []string{"172.16.0.0/12"}, File: writeFile(t, "more.txt", "100.64.0.0/10\n")},
	}})

	for _, tc := range []struct {
		addr string
		want []string
	}{
		{"203.0.113.9", []string{"office"}},
		{"::ffff:203.0.113.9", []string{"office"}},
		{"2001:db8:1:2::3", []string{"office"}},
		{"198.51.100.7", []string{"deny"}},
		{"198.51.100.8", nil},
		{"10.2.3.4", []string{"deny"}},
		{"10.1.2.3", []string{"deny", "office"}},
		{"2001:db8:bad:1::1", []string{"deny"}},
		{"192.0.2.200", []string{"mapped"}},
		{"192.0.3.1", []string{"mapped"}},
		{"192.0.3.2", nil},
		{"172.20.0.1", []string{"both"}},
		{"100.100.0.1", []string{"both"}},
		{"8.8.8.8", nil},
		{"2001:4860::8888", nil},
	} {
		t.Run(tc.addr, func(t *testing.T) {
			if got := l.Match(netip.MustParseAddr(tc.addr)); !slices.Equal(got, tc.want) {
				t.Errorf("Match(%s) = %q, want %q", tc.addr, got, tc.want)
			}
		})
	}
	if got := l.Match(netip.Addr{}); got != nil {
		t.Errorf("Match(invalid) = %q, want nil", got)
	}
}

func TestListsMatchOrderIsStable(t *testing.T) {
	everything := ListSource{Entries: []string{"0.0.0.0/0"}}
	l := newTestLists(t, ListsConfig{Networks: map[string]ListSource{
		"zeta": everything, "alpha": everything, "mid": everything, "Beta": everything, "_x": everything,
	}})
	want := []string{"Beta", "_x", "alpha", "mid", "zeta"}
	for range 20 {
		if got := l.Match(netip.MustParseAddr("192.0.2.1")); !slices.Equal(got, want) {
			t.Fatalf("Match = %q, want %q", got, want)
		}
	}
}

func TestListsValues(t *testing.T) {
	vipFile := writeFile(t, "vip.txt", "# VIPs\n"+
		"carol@example.com\n"+
		"  alice@example.com   # again, from the file\n"+
		"Alice@Example.com\n"+
		"O'Brien Dave <dave@example.com>\n")
	l := newTestLists(t, ListsConfig{Values: map[string]ListSource{
		"vip":     {Entries: []string{"alice@example.com", " bob@example.com"}, File: vipFile},
		"payees":  {Entries: []string{"IBAN DE89 3704 0044 0532 0130 00", "#not-a-comment-inline"}},
		"nobody":  {File: writeFile(t, "empty.txt", "# nobody yet\n\n")},
		"unicode": {Entries: []string{"Zoë", "zoë"}},
	}})
	want := map[string][]string{
		// Inline first, the file after; the repeat from the file dropped;
		// case kept, so Alice@Example.com is another value.
		"vip":     {"alice@example.com", "bob@example.com", "carol@example.com", "Alice@Example.com", "O'Brien Dave <dave@example.com>"},
		"payees":  {"IBAN DE89 3704 0044 0532 0130 00", "#not-a-comment-inline"},
		"nobody":  {},
		"unicode": {"Zoë", "zoë"},
	}
	got := l.Values()
	if len(got) != len(want) {
		t.Errorf("Values has %d lists, want %d: %q", len(got), len(want), got)
	}
	for name, w := range want {
		g, ok := got[name]
		if !ok || !slices.Equal(g, w) {
			t.Errorf("Values()[%q] = %q (present %v), want %q", name, g, ok, w)
		}
	}
	if slices.Contains(got["vip"], "ALICE@EXAMPLE.COM") {
		t.Error("the vip list holds a value nobody wrote")
	}
}

func TestListsEmpty(t *testing.T) {
	l := newTestLists(t, ListsConfig{})
	if got := l.Match(netip.MustParseAddr("192.0.2.1")); got != nil {
		t.Errorf("Match = %q, want nil", got)
	}
	if got := l.Values(); len(got) != 0 {
		t.Errorf("Values = %q, want none", got)
	}
}

func TestNewListsErrors(t *testing.T) {
	dir := t.TempDir()
	bad := writeFile(t, "bad.txt", "# header\n"+
		"10.0.0.0/8\n"+
		"\n"+
		"10.0.0.1/8   # typo\n"+
		"not an address\n"+
		"fe80::1%eth0\n"+
		"::ffff:0:0/95\n"+
		"10.0.0.0/33\n")
	var many strings.Builder
	for i := range 13 {
		fmt.Fprintf(&many, "bad%d\n", i)
	}
	manyBad := writeFile(t, "many.txt", many.String())
	long := writeFile(t, "long.txt", "10.0.0.0/8\n"+strings.Repeat("1", 70_000)+"\n")
	badValues := writeFile(t, "values.txt", "ok@example.com\nbell\a@example.com\n\xff\xfe\n")

	for _, tc := range []struct {
		name string
		cfg  ListsConfig
		want []string // all must be in the error
		not  []string // none may be
	}{
		{"name with a dash", ListsConfig{Networks: map[string]ListSource{"my-office": {Entries: []string{"10.0.0.0/8"}}}},
			[]string{`signals: network list "my-office": a name must be letters, digits and underscores`}, nil},
		{"name starting with a digit", ListsConfig{Values: map[string]ListSource{"1st": {Entries: []string{"x"}}}},
			[]string{`signals: value list "1st"`}, nil},
		{"empty name", ListsConfig{Values: map[string]ListSource{"": {Entries: []string{"x"}}}},
			[]string{`signals: value list ""`}, nil},
		{"no source", ListsConfig{Networks: map[string]ListSource{"office": {}}},
			[]string{"signals: network list office has neither entries nor a file"}, nil},
		{"missing file", ListsConfig{Networks: map[string]ListSource{"deny": {File: filepath.Join(dir, "gone.txt")}}},
			[]string{"signals: network list deny: open ", "gone.txt", "no such file"}, nil},
		{"bad inline entry", ListsConfig{Networks: map[string]ListSource{"office": {Entries: []string{"10.0.0.0/8", "10.0.0.0/"}}}},
			[]string{`signals: network list office: entry 2: "10.0.0.0/" is not a CIDR prefix`}, nil},
		{"empty inline value", ListsConfig{Values: map[string]ListSource{"vip": {Entries: []string{"a", "  "}}}},
			[]string{"signals: value list vip: entry 2: empty value"}, nil},
		{"bad lines, each named by file and line", ListsConfig{Networks: map[string]ListSource{"deny": {File: bad}}},
			[]string{
				"signals: network list deny: " + bad + ":4: \"10.0.0.1/8\" has address bits set beyond its length; the network is 10.0.0.0/8",
				bad + `:5: "not an address" is neither a CIDR prefix nor an IP address`,
				bad + `:6: "fe80::1%eth0" is neither`,
				bad + `:7: "::ffff:0:0/95" has address bits set beyond its length`,
				bad + `:8: "10.0.0.0/33" is not a CIDR prefix`,
			},
			[]string{bad + ":2:", bad + ":3:"}},
		{"at most ten bad lines", ListsConfig{Networks: map[string]ListSource{"deny": {File: manyBad}}},
			[]string{manyBad + ":1:", manyBad + ":10:", manyBad + ": 3 more bad lines"},
			[]string{manyBad + ":11:"}},
		{"line too long", ListsConfig{Networks: map[string]ListSource{"deny": {File: long}}},
			[]string{long + ":2: line longer than 65536 bytes"}, nil},
		{"bad values", ListsConfig{Values: map[string]ListSource{"vip": {File: badValues}}},
			[]string{badValues + `:2: value "bell\a@example.com" has a control character`, badValues + ":3: value is not valid UTF-8"}, nil},
		{"every problem at once", ListsConfig{
			Networks: map[string]ListSource{"deny": {File: bad}, "office": {}, "fine": {Entries: []string{"10.0.0.0/8"}}},
			Values:   map[string]ListSource{"vip": {File: badValues}, "a-b": {Entries: []string{"x"}}},
		}, []string{"network list deny: ", "network list office has neither", "value list vip: ", `value list "a-b"`}, []string{"fine"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := NewLists(tc.cfg)
			if err == nil {
				t.Fatal("NewLists: no error")
			}
			if l != nil {
				t.Error("NewLists returned Lists with its error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not say %q:\n%v", w, err)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(err.Error(), n) {
					t.Errorf("error says %q:\n%v", n, err)
				}
			}
		})
	}
}

// FuzzParseList feeds arbitrary files to both list parsers: they must not
// panic, must name the source in every error, and every entry they accept
// must be one the rest of the package can rely on.
func FuzzParseList(f *testing.F) {
	for _, seed := range []string{
		"10.0.0.0/8\n# comment\n\n2001:db8::/32 # trailing\n",
		"\uFEFF203.0.113.7\r\n::ffff:192.0.2.0/120\n",
		"10.0.0.1/8\nfe80::1%eth0\n",
		"alice@example.com\nBob <bob@example.com>\n",
		"a\x00b\n\xff\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		prefixes, err := parseList(bytes.NewReader(data), "fuzz.txt", parsePrefix)
		if err != nil && !strings.HasPrefix(err.Error(), "fuzz.txt:") {
			t.Errorf("error does not name the file: %v", err)
		}
		for _, p := range prefixes {
			if !p.IsValid() || p.Masked() != p || p.Addr().Is4In6() || p.Addr().Zone() != "" {
				t.Errorf("accepted prefix %v", p)
			}
		}
		values, err := parseList(bytes.NewReader(data), "fuzz.txt", parseValue)
		if err != nil && !strings.HasPrefix(err.Error(), "fuzz.txt:") {
			t.Errorf("error does not name the file: %v", err)
		}
		for _, v := range values {
			if v == "" || v != strings.TrimSpace(v) || strings.ContainsRune(v, '#') ||
				!utf8.ValidString(v) || strings.ContainsFunc(v, unicode.IsControl) {
				t.Errorf("accepted value %q", v)
			}
		}
	})
}

// randomPrefixes makes n distinct-enough IPv4 prefixes between /16 and /32.
func randomPrefixes(r *rand.Rand, n int) []string {
	out := make([]string, n)
	for i := range out {
		a := netip.AddrFrom4([4]byte{byte(r.IntN(223) + 1), byte(r.IntN(256)), byte(r.IntN(256)), byte(r.IntN(256))})
		out[i] = netip.PrefixFrom(a, 16+r.IntN(17)).Masked().String()
	}
	return out
}

func BenchmarkListsMatch(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	cfg := ListsConfig{Networks: map[string]ListSource{}}
	for _, name := range []string{"office", "deny", "partners"} {
		cfg.Networks[name] = ListSource{Entries: randomPrefixes(r, 5000)}
	}
	l := newTestLists(b, cfg)
	addrs := make([]netip.Addr, 1024)
	for i := range addrs {
		addrs[i] = netip.AddrFrom4([4]byte{byte(r.IntN(223) + 1), byte(r.IntN(256)), byte(r.IntN(256)), byte(r.IntN(256))})
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		l.Match(addrs[i%len(addrs)])
		i++
	}
}
