package signals

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"

	"github.com/stepup-auth/stepup/stepup/signals/signalstest"
)

// testGeoFiles writes one database of each kind. 10.0.0.0/8 is in all of
// them, so the tests show Lookup does not even ask about private addresses.
func testGeoFiles(tb testing.TB) GeoFiles {
	return GeoFiles{
		City: signalstest.WriteMMDB(tb, "GeoLite2-City", map[string]mmdbtype.Map{
			"81.2.69.0/24":   signalstest.City("GB", "London", 51.5142, -0.0931),
			"89.160.20.0/24": signalstest.City("SE", "Linköping", 58.4167, 15.6167),
			"2a02:cf40::/29": signalstest.City("NO", "", 62, 10),
			"2.125.160.0/24": signalstest.City("GB", "", 0, 0),
			"10.0.0.0/8":     signalstest.City("ZZ", "Private", 1, 1),
		}),
		ASN: signalstest.WriteMMDB(tb, "GeoLite2-ASN", map[string]mmdbtype.Map{
			"81.2.69.0/24":   signalstest.ASN(20712, "Andrews & Arnold Ltd"),
			"1.128.0.0/11":   signalstest.ASN(1221, "Telstra Pty Ltd"),
			"2a02:cf40::/29": signalstest.ASN(64500, "Example Norge"),
			"10.0.0.0/8":     signalstest.ASN(64512, "Private"),
		}),
		Anonymous: signalstest.WriteMMDB(tb, "GeoIP2-Anonymous-IP", map[string]mmdbtype.Map{
			"1.2.0.0/24":    signalstest.Anonymous("is_anonymous", "is_anonymous_vpn"),
			"1.2.1.0/24":    signalstest.Anonymous("is_hosting_provider"),
			"1.2.2.0/24":    signalstest.Anonymous("is_public_proxy"),
			"1.2.3.0/24":    signalstest.Anonymous("is_residential_proxy"),
			"1.2.4.0/24":    signalstest.Anonymous("is_tor_exit_node"),
			"1.2.5.0/24":    signalstest.Anonymous(),
			"81.2.69.64/26": signalstest.Anonymous("is_anonymous", "is_public_proxy"),
			"10.0.0.0/8":    signalstest.Anonymous("is_anonymous"),
		}),
	}
}

func openTestGeo(tb testing.TB, files GeoFiles) *Geo {
	tb.Helper()
	g, err := OpenGeo(files)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = g.Close() })
	return g
}

func TestGeoLookup(t *testing.T) {
	g := openTestGeo(t, testGeoFiles(t))
	london := Location{
		Known: true, Country: "GB", City: "London",
		Latitude: 51.5142, Longitude: -0.0931, HasCoordinates: true,
		ASN: 20712, ASNOrg: "Andrews & Arnold Ltd",
	}
	proxyInLondon := london
	proxyInLondon.Anonymizer = true

	for _, tc := range []struct {
		name string
		addr string
		want Location
	}{
		{"city, asn", "81.2.69.1", london},
		{"city, asn, anonymous", "81.2.69.100", proxyInLondon},
		{"ipv4 in ipv6", "::ffff:81.2.69.1", london},
		{"non-ascii city", "89.160.20.5", Location{
			Known: true, Country: "SE", City: "Linköping",
			Latitude: 58.4167, Longitude: 15.6167, HasCoordinates: true,
		}},
		{"ipv6", "2a02:cf40::1", Location{
			Known: true, Country: "NO",
			Latitude: 62, Longitude: 10, HasCoordinates: true,
			ASN: 64500, ASNOrg: "Example Norge",
		}},
		{"country without location", "2.125.160.216", Location{Known: true, Country: "GB"}},
		{"asn only", "1.130.0.1", Location{Known: true, ASN: 1221, ASNOrg: "Telstra Pty Ltd"}},
		{"vpn", "1.2.0.9", Location{Known: true, Anonymizer: true}},
		{"hosting provider", "1.2.1.9", Location{Known: true, Anonymizer: true}},
		{"public proxy", "1.2.2.9", Location{Known: true, Anonymizer: true}},
		{"residential proxy", "1.2.3.9", Location{Known: true, Anonymizer: true}},
		{"tor exit node", "1.2.4.9", Location{Known: true, Anonymizer: true}},
		{"anonymous record with no flag", "1.2.5.9", Location{Known: true}},
		{"in no database", "8.8.8.8", Location{}},
		{"ipv6 in no database", "2001:4860::8888", Location{}},
		{"private, though in every database", "10.1.2.3", Location{}},
		{"private as ipv4 in ipv6", "::ffff:10.1.2.3", Location{}},
		{"loopback", "127.0.0.1", Location{}},
		{"ipv6 loopback", "::1", Location{}},
		{"link-local", "fe80::1", Location{}},
		{"unique local", "fd00::1", Location{}},
		{"multicast", "224.0.0.1", Location{}},
		{"unspecified", "0.0.0.0", Location{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := g.Lookup(netip.MustParseAddr(tc.addr)); got != tc.want {
				t.Errorf("Lookup(%s) =\n %+v, want\n %+v", tc.addr, got, tc.want)
			}
		})
	}
	t.Run("invalid address", func(t *testing.T) {
		if got := g.Lookup(netip.Addr{}); got != (Location{}) {
			t.Errorf("Lookup(invalid) = %+v, want unknown", got)
		}
	})
}

func TestGeoOptionalFiles(t *testing.T) {
	files := testGeoFiles(t)
	addr := netip.MustParseAddr("81.2.69.100")

	none := openTestGeo(t, GeoFiles{})
	if got := none.Lookup(addr); got != (Location{}) {
		t.Errorf("without files: Lookup = %+v, want unknown", got)
	}

	asnOnly := openTestGeo(t, GeoFiles{ASN: files.ASN})
	want := Location{Known: true, ASN: 20712, ASNOrg: "Andrews & Arnold Ltd"}
	if got := asnOnly.Lookup(addr); got != want {
		t.Errorf("ASN file only: Lookup = %+v, want %+v", got, want)
	}
}

func TestGeoClose(t *testing.T) {
	g, err := OpenGeo(testGeoFiles(t))
	if err != nil {
		t.Fatal(err)
	}
	addr := netip.MustParseAddr("81.2.69.1")
	if !g.Lookup(addr).Known {
		t.Fatal("Lookup before Close: unknown")
	}
	if err := g.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if got := g.Lookup(addr); got != (Location{}) {
		t.Errorf("Lookup after Close = %+v, want unknown", got)
	}
	if err := g.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestOpenGeoErrors(t *testing.T) {
	good := testGeoFiles(t)
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	cityBytes, err := os.ReadFile(good.City)
	if err != nil {
		t.Fatal(err)
	}
	random := make([]byte, 4096)
	_, _ = rand.NewChaCha8([32]byte{1}).Read(random)
	// The search tree comes first in the file: overwriting its start keeps
	// the metadata readable, so only verification can tell.
	scrambled := append([]byte(nil), cityBytes...)
	for i := range 64 {
		scrambled[i] = 0xff
	}

	for _, tc := range []struct {
		name  string
		files GeoFiles
		want  []string // all must be in the error
	}{
		{"missing file", GeoFiles{City: filepath.Join(dir, "nope.mmdb")},
			[]string{"signals: city database: open ", "nope.mmdb", "no such file"}},
		{"empty file", GeoFiles{ASN: write("empty.mmdb", nil)},
			[]string{"signals: asn database", "empty.mmdb", "not a readable MaxMind DB file"}},
		{"random bytes", GeoFiles{City: write("random.mmdb", random)},
			[]string{"signals: city database", "random.mmdb", "not a readable MaxMind DB file"}},
		{"truncated", GeoFiles{City: write("truncated.mmdb", cityBytes[:len(cityBytes)/2])},
			[]string{"signals: city database", "truncated.mmdb", "not a readable MaxMind DB file"}},
		{"truncated in the metadata", GeoFiles{City: write("short.mmdb", cityBytes[:len(cityBytes)-20])},
			[]string{"signals: city database", "short.mmdb"}},
		{"scrambled search tree", GeoFiles{City: write("scrambled.mmdb", scrambled)},
			[]string{"signals: city database", "scrambled.mmdb", "is corrupt"}},
		{"asn file as city", GeoFiles{City: good.ASN},
			[]string{"signals: city database", good.ASN, `type "GeoLite2-ASN"`, "GeoLite2-City"}},
		{"city file as asn", GeoFiles{ASN: good.City},
			[]string{"signals: asn database", `type "GeoLite2-City"`, "want one of GeoLite2-ASN"}},
		{"city file as anonymous", GeoFiles{Anonymous: good.City},
			[]string{"signals: anonymous database", `type "GeoLite2-City"`, "GeoIP2-Anonymous-IP"}},
		{"every problem at once", GeoFiles{City: good.Anonymous, ASN: filepath.Join(dir, "gone.mmdb"), Anonymous: good.Anonymous},
			[]string{`city database`, `type "GeoIP2-Anonymous-IP"`, "asn database", "gone.mmdb"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, err := OpenGeo(tc.files)
			if err == nil {
				_ = g.Close()
				t.Fatal("OpenGeo: no error")
			}
			if g != nil {
				t.Error("OpenGeo returned a Geo with its error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

func TestGeoAcceptsOtherLayoutsOfTheSameShape(t *testing.T) {
	for _, tc := range []struct {
		dbType string
		files  func(path string) GeoFiles
	}{
		{"GeoIP2-City", func(p string) GeoFiles { return GeoFiles{City: p} }},
		{"GeoLite2-Country", func(p string) GeoFiles { return GeoFiles{City: p} }},
		{"DBIP-City-Lite", func(p string) GeoFiles { return GeoFiles{City: p} }},
		{"GeoIP2-ISP", func(p string) GeoFiles { return GeoFiles{ASN: p} }},
	} {
		t.Run(tc.dbType, func(t *testing.T) {
			path := signalstest.WriteMMDB(t, tc.dbType, map[string]mmdbtype.Map{
				"81.2.69.0/24": signalstest.City("GB", "", 0, 0),
			})
			openTestGeo(t, tc.files(path))
		})
	}
}

func TestGeoIPv4OnlyDatabase(t *testing.T) {
	path := signalstest.WriteMMDBWith(t, mmdbwriter.Options{
		DatabaseType: "GeoLite2-ASN",
		Description:  map[string]string{"en": "stepup test, IPv4 only"},
		IPVersion:    4,
		RecordSize:   24,
	}, map[string]mmdbtype.Map{"81.2.69.0/24": signalstest.ASN(20712, "Andrews & Arnold Ltd")})
	g := openTestGeo(t, GeoFiles{ASN: path})

	want := Location{Known: true, ASN: 20712, ASNOrg: "Andrews & Arnold Ltd"}
	for _, addr := range []string{"81.2.69.1", "::ffff:81.2.69.1"} {
		if got := g.Lookup(netip.MustParseAddr(addr)); got != want {
			t.Errorf("Lookup(%s) = %+v, want %+v", addr, got, want)
		}
	}
	// An IPv6 address has no place in the file: unknown, not an error.
	if got := g.Lookup(netip.MustParseAddr("2a02:cf40::1")); got != (Location{}) {
		t.Errorf("Lookup(IPv6) = %+v, want unknown", got)
	}
}

func TestGeoConcurrentLookups(t *testing.T) {
	g := openTestGeo(t, testGeoFiles(t))
	addrs := []netip.Addr{
		netip.MustParseAddr("81.2.69.100"),
		netip.MustParseAddr("2.125.160.216"),
		netip.MustParseAddr("1.2.4.9"),
	}
	want := make([]Location, len(addrs))
	for i, a := range addrs {
		want[i] = g.Lookup(a)
	}
	done := make(chan error)
	for w := range 4 {
		go func() {
			for i := range 500 {
				n := (i + w) % len(addrs)
				if got := g.Lookup(addrs[n]); got != want[n] {
					done <- fmt.Errorf("Lookup(%s) = %+v, want %+v", addrs[n], got, want[n])
					return
				}
			}
			done <- nil
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

// FuzzOpenGeo opens arbitrary bytes as each kind of database: a bad file is
// an error, never a panic, and a file that opens answers lookups.
func FuzzOpenGeo(f *testing.F) {
	files := testGeoFiles(f)
	for _, path := range []string{files.City, files.ASN, files.Anonymous} {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("\xab\xcd\xefMaxMind.com"))
	addrs := []netip.Addr{
		netip.MustParseAddr("81.2.69.100"),
		netip.MustParseAddr("2a02:cf40::1"),
		netip.MustParseAddr("8.8.8.8"),
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "fuzz.mmdb")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		for _, files := range []GeoFiles{{City: path}, {ASN: path}, {Anonymous: path}} {
			g, err := OpenGeo(files)
			if err != nil {
				if !strings.HasPrefix(err.Error(), "signals: ") || !strings.Contains(err.Error(), path) {
					t.Errorf("error does not name the file: %v", err)
				}
				continue
			}
			for _, a := range addrs {
				g.Lookup(a)
			}
			if err := g.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		}
	})
}

func BenchmarkGeoLookup(b *testing.B) {
	g := openTestGeo(b, testGeoFiles(b))
	for _, addr := range []string{"81.2.69.100", "8.8.8.8"} {
		b.Run(addr, func(b *testing.B) {
			a := netip.MustParseAddr(addr)
			b.ReportAllocs()
			for b.Loop() {
				g.Lookup(a)
			}
		})
	}
}
