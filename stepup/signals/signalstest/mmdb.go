package signalstest

import (
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

// WriteMMDB builds a MaxMind DB file of the given type in a temporary
// directory, one record per network, and returns its path. Reserved networks
// are allowed so a test can put a record where Lookup must not look.
func WriteMMDB(tb testing.TB, dbType string, records map[string]mmdbtype.Map) string {
	tb.Helper()
	return WriteMMDBWith(tb, mmdbwriter.Options{
		DatabaseType:            dbType,
		Description:             map[string]string{"en": "stepup test " + dbType},
		IncludeReservedNetworks: true,
		Languages:               []string{"en"},
	}, records)
}

// WriteMMDBWith builds a MaxMind DB file with opts.
func WriteMMDBWith(tb testing.TB, opts mmdbwriter.Options, records map[string]mmdbtype.Map) string {
	tb.Helper()
	tree, err := mmdbwriter.New(opts)
	if err != nil {
		tb.Fatal(err)
	}
	for cidr, rec := range records {
		_, network, err := net.ParseCIDR(cidr)
		if err != nil {
			tb.Fatal(err)
		}
		if err := tree.Insert(network, rec); err != nil {
			tb.Fatalf("insert %s: %v", cidr, err)
		}
	}
	path := filepath.Join(tb.TempDir(), opts.DatabaseType+".mmdb")
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := tree.WriteTo(f); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	return path
}

// City is a record of a City database: country and city, and
// coordinates unless both are 0.
func City(country, city string, lat, lon float64) mmdbtype.Map {
	rec := mmdbtype.Map{
		"country": mmdbtype.Map{
			"iso_code": mmdbtype.String(country),
			"names":    mmdbtype.Map{"en": mmdbtype.String(country + " in English")},
		},
		// Fields stepup does not read, as a real file has them.
		"continent": mmdbtype.Map{"code": mmdbtype.String("XX")},
		"registered_country": mmdbtype.Map{
			"iso_code": mmdbtype.String("ZZ"),
		},
	}
	if city != "" {
		rec["city"] = mmdbtype.Map{"names": mmdbtype.Map{
			"de": mmdbtype.String("nicht " + city),
			"en": mmdbtype.String(city),
		}}
	}
	if lat != 0 || lon != 0 {
		rec["location"] = mmdbtype.Map{
			"accuracy_radius": mmdbtype.Uint16(20),
			"latitude":        mmdbtype.Float64(lat),
			"longitude":       mmdbtype.Float64(lon),
			"time_zone":       mmdbtype.String("Europe/London"),
		}
	}
	return rec
}

// ASN is a record of an ASN database.
func ASN(n uint32, org string) mmdbtype.Map {
	return mmdbtype.Map{
		"autonomous_system_number":       mmdbtype.Uint32(n),
		"autonomous_system_organization": mmdbtype.String(org),
	}
}

// Anonymous is a record of an Anonymous IP database with the flags set,
// such as "is_anonymous" and "is_tor_exit_node".
func Anonymous(flags ...string) mmdbtype.Map {
	rec := mmdbtype.Map{}
	for _, f := range flags {
		rec[mmdbtype.String(f)] = mmdbtype.Bool(true)
	}
	return rec
}
