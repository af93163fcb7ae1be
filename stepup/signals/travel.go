package signals

import (
	"math"
	"time"
)

// earthRadiusKm is the WGS84 mean radius (IUGG R1 = (2a+b)/3). A sphere is
// off from the ellipsoid by at most about 0.5%, far below geo-IP error.
const earthRadiusKm = 6371.0088

// Defaults of a TravelPolicy.
const (
	// DefaultMaxKmh is faster than any airliner's ground speed over a trip,
	// so a journey above it cannot have been made in person.
	DefaultMaxKmh = 1000
	// DefaultMinKm keeps geo-IP noise out: one address may be placed in
	// neighbouring cities a few tens of kilometres apart from one sign-in
	// to the next, and such hops would otherwise be "impossible" in seconds.
	DefaultMinKm = 100
)

// minElapsed is the shortest time a journey is taken to last. Below it (two
// sightings in the same second, or clocks out of order) the speed would be
// infinite, and JSON, where decisions are stored, has no infinity.
const minElapsed = time.Second

// A Sighting is where a user was seen, and when: typically the Location of a
// sign-in's address and the time of the sign-in.
type Sighting struct {
	// Known says Latitude and Longitude hold a place. A sighting without
	// coordinates (no City database, an address it does not know) can still
	// carry a Country.
	Known     bool
	Latitude  float64
	Longitude float64
	// Country is an ISO 3166-1 alpha-2 code, or empty.
	Country string
	At      time.Time
}

// Sighting is where l places an address, seen at the given time.
func (l Location) Sighting(at time.Time) Sighting {
	return Sighting{
		Known:     l.HasCoordinates,
		Latitude:  l.Latitude,
		Longitude: l.Longitude,
		Country:   l.Country,
		At:        at,
	}
}

// TravelResult is the journey between two sightings.
type TravelResult struct {
	// Known says both sightings had coordinates; without them Km, Kmh and
	// Impossible are zero.
	Known bool
	// Km is the great-circle distance.
	Km float64
	// Kmh is Km over Elapsed, with Elapsed taken as at least one second so
	// the speed stays finite.
	Kmh float64
	// Elapsed is the time between the sightings; zero or negative when the
	// second is not later than the first.
	Elapsed time.Duration
	// Impossible says nobody could have made the journey: it is longer than
	// the policy's MinKm and faster than its MaxKmh (or took no time).
	Impossible bool
	// PreviousCountry is the first sighting's country, set even when the
	// coordinates are not known.
	PreviousCountry string
}

// TravelPolicy says which journeys are impossible. Its zero value holds the
// defaults.
type TravelPolicy struct {
	// MaxKmh is the highest believable speed; zero or less means
	// DefaultMaxKmh.
	MaxKmh float64
	// MinKm is the distance under which no journey is impossible; zero or
	// less means DefaultMinKm.
	MinKm float64
}

// Travel is the journey between from and to under the default policy.
func Travel(from, to Sighting) TravelResult {
	return TravelPolicy{}.Travel(from, to)
}

// Travel is the journey between from and to under p.
func (p TravelPolicy) Travel(from, to Sighting) TravelResult {
	r := TravelResult{PreviousCountry: from.Country}
	if !from.placed() || !to.placed() {
		return r
	}
	maxKmh, minKm := p.MaxKmh, p.MinKm
	if maxKmh <= 0 {
		maxKmh = DefaultMaxKmh
	}
	if minKm <= 0 {
		minKm = DefaultMinKm
	}
	r.Known = true
	r.Km = haversineKm(from.Latitude, from.Longitude, to.Latitude, to.Longitude)
	r.Elapsed = to.At.Sub(from.At)
	r.Kmh = r.Km / max(r.Elapsed, minElapsed).Hours()
	r.Impossible = r.Km > minKm && (r.Elapsed <= 0 || r.Kmh > maxKmh)
	return r
}

// placed says s has coordinates that are on the globe: a stored sighting
// could hold anything, and NaN would poison every comparison after it.
func (s Sighting) placed() bool {
	return s.Known &&
		s.Latitude >= -90 && s.Latitude <= 90 &&
		s.Longitude >= -180 && s.Longitude <= 180
}

// haversineKm is the great-circle distance between two points given in
// degrees. The haversine form stays accurate for short distances, where the
// spherical law of cosines loses digits.
func haversineKm(lat1, lon1, lat2, lon2 float64) float64 {
	const rad = math.Pi / 180
	dLat := (lat2 - lat1) * rad
	dLon := (lon2 - lon1) * rad
	a := math.Pow(math.Sin(dLat/2), 2) +
		math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Pow(math.Sin(dLon/2), 2)
	// Rounding can push a a hair past 1 for antipodes; Sqrt(1-a) would then
	// be NaN.
	a = min(max(a, 0), 1)
	return 2 * earthRadiusKm * math.Atan2(math.Sqrt(a), math.Sqrt(1-a))
}
