package signals

import (
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"slices"
	"strings"
	"sync"

	"github.com/oschwald/maxminddb-golang/v2"
)

// GeoFiles names the MaxMind DB files a Geo reads. Each is optional: an empty
// path leaves that part of every Location empty.
type GeoFiles struct {
	// City is a GeoIP2-City or GeoLite2-City database. A Country database
	// (GeoIP2-Country, GeoLite2-Country) fits too and gives the country
	// alone; DB-IP's City and Country Lite files fit as well.
	City string
	// ASN is a GeoLite2-ASN, GeoIP2-ISP or DB-IP ASN Lite database.
	ASN string
	// Anonymous is a GeoIP2-Anonymous-IP database.
	Anonymous string
}

// A Location is what the databases say of an address. The zero value is an
// address nobody knows: private, loopback, or in no database.
type Location struct {
	// Known says at least one database had a record for the address.
	Known bool
	// Country is the ISO 3166-1 alpha-2 code of the country the address is
	// in (not the one its network is registered in), or empty.
	Country string
	// City is the city's English name, or empty.
	City string
	// Latitude and Longitude are meaningful only when HasCoordinates is set.
	Latitude       float64
	Longitude      float64
	HasCoordinates bool
	// ASN is the autonomous system number, 0 when not known.
	ASN uint
	// ASNOrg is the organisation that holds the ASN.
	ASNOrg string
	// Anonymizer says the address is a VPN, a public or residential proxy,
	// a Tor exit node or a hosting provider: someone may be hiding where
	// they are.
	Anonymizer bool
}

// Geo looks addresses up in MaxMind DB files. It is safe for concurrent use;
// Close it once no Lookup can run any more.
type Geo struct {
	city, asn, anonymous *maxminddb.Reader
}

// geoSlot is one of the three files: which database types fit it, and how
// to name it in errors.
type geoSlot struct {
	name  string
	types []string
}

// The types each slot takes: MaxMind's own, and DB-IP's "lite" files, which
// are written in the same layout.
var (
	citySlot = geoSlot{"city", []string{
		"GeoIP2-City", "GeoLite2-City", "GeoIP2-Precision-City", "GeoIP2-Enterprise",
		"GeoIP2-City-Africa", "GeoIP2-City-Asia-Pacific", "GeoIP2-City-Europe",
		"GeoIP2-City-North-America", "GeoIP2-City-South-America",
		"GeoIP2-Country", "GeoLite2-Country",
		"DBIP-City-Lite", "DBIP-Country-Lite",
	}}
	asnSlot = geoSlot{"asn", []string{
		"GeoLite2-ASN", "GeoIP2-ISP", "DBIP-ASN-Lite (compat=GeoLite2-ASN)",
	}}
	anonymousSlot = geoSlot{"anonymous", []string{"GeoIP2-Anonymous-IP"}}
)

// OpenGeo opens and verifies the files. Verifying reads each file through
// once, so a corrupt or truncated download fails here, at start-up, instead
// of turning into unknown addresses later. The error names every file that
// could not be used and why.
func OpenGeo(files GeoFiles) (*Geo, error) {
	g := &Geo{}
	var errs []error
	for _, f := range []struct {
		path   string
		slot   geoSlot
		reader **maxminddb.Reader
	}{
		{files.City, citySlot, &g.city},
		{files.ASN, asnSlot, &g.asn},
		{files.Anonymous, anonymousSlot, &g.anonymous},
	} {
		if f.path == "" {
			continue
		}
		r, err := openGeoFile(f.path, f.slot)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		*f.reader = r
	}
	if err := errors.Join(errs...); err != nil {
		_ = g.Close()
		return nil, err
	}
	return g, nil
}

func openGeoFile(path string, slot geoSlot) (*maxminddb.Reader, error) {
	r, err := maxminddb.Open(path)
	var pathErr *fs.PathError
	switch {
	case errors.As(err, &pathErr):
		// The file is missing or unreadable; the error names it.
		return nil, fmt.Errorf("signals: %s database: %w", slot.name, err)
	case err != nil:
		return nil, fmt.Errorf("signals: %s database %s is not a readable MaxMind DB file: %w", slot.name, path, err)
	}
	dbType := r.Metadata.DatabaseType
	if !slices.Contains(slot.types, dbType) {
		_ = r.Close()
		return nil, fmt.Errorf("signals: %s database %s is of type %q, want one of %s",
			slot.name, path, dbType, strings.Join(slot.types, ", "))
	}
	if err := r.Verify(); err != nil {
		_ = r.Close()
		return nil, fmt.Errorf("signals: %s database %s is corrupt: %w", slot.name, path, err)
	}
	return r, nil
}

// Close releases the files. Lookups after Close find nothing.
func (g *Geo) Close() error {
	var errs []error
	for _, r := range []**maxminddb.Reader{&g.city, &g.asn, &g.anonymous} {
		if *r != nil {
			errs = append(errs, (*r).Close())
			*r = nil
		}
	}
	return errors.Join(errs...)
}

// The records below name only the fields stepup reads: the decoder skips
// the rest, and the strings it keeps come from its cache.

type cityRecord struct {
	Country struct {
		ISOCode string `maxminddb:"iso_code"`
	} `maxminddb:"country"`
	City struct {
		Names struct {
			English string `maxminddb:"en"`
		} `maxminddb:"names"`
	} `maxminddb:"city"`
	Location struct {
		Latitude  float64 `maxminddb:"latitude"`
		Longitude float64 `maxminddb:"longitude"`
	} `maxminddb:"location"`
}

type asnRecord struct {
	Number       uint   `maxminddb:"autonomous_system_number"`
	Organization string `maxminddb:"autonomous_system_organization"`
}

type anonymousRecord struct {
	Anonymous        bool `maxminddb:"is_anonymous"`
	VPN              bool `maxminddb:"is_anonymous_vpn"`
	HostingProvider  bool `maxminddb:"is_hosting_provider"`
	PublicProxy      bool `maxminddb:"is_public_proxy"`
	ResidentialProxy bool `maxminddb:"is_residential_proxy"`
	TorExitNode      bool `maxminddb:"is_tor_exit_node"`
}

// Lookup says where addr is. An address no database knows, and one that
// cannot be on the internet (private, loopback, link-local, multicast,
// unspecified, invalid), is an unknown Location. An IPv4 address written as
// IPv6 (::ffff:203.0.113.7) is looked up as the IPv4 address.
//
// Lookup returns no error: the files were verified when opened, and a
// record that still fails to decode leaves its part of the Location empty.
func (g *Geo) Lookup(addr netip.Addr) Location {
	addr = addr.Unmap()
	if !addr.IsGlobalUnicast() || addr.IsPrivate() {
		return Location{}
	}
	recs := recordsPool.Get().(*records)
	defer recordsPool.Put(recs)
	// A field a record lacks is left as it was: start from zero.
	*recs = records{}

	var loc Location
	if g.city != nil && found(g.city.Lookup(addr), &recs.city) {
		rec := &recs.city
		loc.Known = true
		loc.Country = rec.Country.ISOCode
		loc.City = rec.City.Names.English
		// A record without a location decodes to (0, 0), a point in the
		// Gulf of Guinea no address is ever placed at.
		loc.Latitude, loc.Longitude = rec.Location.Latitude, rec.Location.Longitude
		loc.HasCoordinates = loc.Latitude != 0 || loc.Longitude != 0
	}
	if g.asn != nil && found(g.asn.Lookup(addr), &recs.asn) {
		loc.Known = true
		loc.ASN, loc.ASNOrg = recs.asn.Number, recs.asn.Organization
	}
	if g.anonymous != nil && found(g.anonymous.Lookup(addr), &recs.anonymous) {
		rec := &recs.anonymous
		loc.Known = true
		// is_anonymous is meant to be the union of the others, but a
		// database built by hand may set only one of them.
		loc.Anonymizer = rec.Anonymous || rec.VPN || rec.HostingProvider ||
			rec.PublicProxy || rec.ResidentialProxy || rec.TorExitNode
	}
	return loc
}

// records is where Lookup decodes. Decoding takes the destination as an
// interface, which moves it to the heap; reusing one saves those
// allocations on every lookup.
type records struct {
	city      cityRecord
	asn       asnRecord
	anonymous anonymousRecord
}

var recordsPool = sync.Pool{New: func() any { return new(records) }}

// found decodes a lookup's record into rec and says whether there was one
// that decoded.
func found(res maxminddb.Result, rec any) bool {
	return res.Found() && res.Decode(rec) == nil
}
