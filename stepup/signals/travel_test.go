package signals

import (
	"math"
	"testing"
	"time"
)

var (
	t0     = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	paris  = Sighting{Known: true, Latitude: 48.8566, Longitude: 2.3522, Country: "FR"}
	london = Sighting{Known: true, Latitude: 51.5074, Longitude: -0.1278, Country: "GB"}
	nyc    = Sighting{Known: true, Latitude: 40.7128, Longitude: -74.0060, Country: "US"}
	tokyo  = Sighting{Known: true, Latitude: 35.6762, Longitude: 139.6503, Country: "JP"}
	// Versailles is 18 km from Paris: a geo-IP database may place one
	// address in either from one day to the next.
	versailles = Sighting{Known: true, Latitude: 48.8049, Longitude: 2.1204, Country: "FR"}
)

func at(s Sighting, after time.Duration) Sighting {
	s.At = t0.Add(after)
	return s
}

func TestTravel(t *testing.T) {
	for _, tc := range []struct {
		name       string
		from, to   Sighting
		wantKm     float64 // within 0.5%
		wantKmh    float64 // within 0.5%
		impossible bool
	}{
		{"paris to london by train", at(paris, 0), at(london, 3*time.Hour), 343.9, 114.6, false},
		{"paris to london in ten minutes", at(paris, 0), at(london, 10*time.Minute), 343.9, 2063, true},
		{"new york to tokyo by plane", at(nyc, 0), at(tokyo, 14*time.Hour), 10849, 775, false},
		{"new york to tokyo in an hour", at(nyc, 0), at(tokyo, time.Hour), 10849, 10849, true},
		{"tokyo to new york, the other way", at(tokyo, 0), at(nyc, 14*time.Hour), 10849, 775, false},
		{"same place", at(paris, 0), at(paris, time.Minute), 0, 0, false},
		{"geo-ip noise is not travel", at(paris, 0), at(versailles, time.Second), 17.9, 64440, false},
		{"same instant, far apart", at(paris, 0), at(london, 0), 343.9, 1238040, true},
		{"second sighting earlier", at(london, time.Hour), at(paris, 0), 343.9, 1238040, true},
		{"same instant, nearby", at(paris, 0), at(versailles, 0), 17.9, 64440, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Travel(tc.from, tc.to)
			if !got.Known {
				t.Fatal("Known = false")
			}
			assertNear(t, "Km", got.Km, tc.wantKm, 0.005)
			assertNear(t, "Kmh", got.Kmh, tc.wantKmh, 0.005)
			if got.Impossible != tc.impossible {
				t.Errorf("Impossible = %v, want %v (%.0f km at %.0f km/h)", got.Impossible, tc.impossible, got.Km, got.Kmh)
			}
			if got.Elapsed != tc.to.At.Sub(tc.from.At) {
				t.Errorf("Elapsed = %v, want %v", got.Elapsed, tc.to.At.Sub(tc.from.At))
			}
			if got.PreviousCountry != tc.from.Country {
				t.Errorf("PreviousCountry = %q, want %q", got.PreviousCountry, tc.from.Country)
			}
		})
	}
}

func assertNear(t *testing.T, what string, got, want, rel float64) {
	t.Helper()
	if math.IsNaN(got) || math.IsInf(got, 0) || math.Abs(got-want) > rel*want+1e-9 {
		t.Errorf("%s = %.2f, want %.2f ± %.1f%%", what, got, want, rel*100)
	}
}

func TestTravelPolicy(t *testing.T) {
	// Paris to London in 30 minutes: 688 km/h.
	from, to := at(paris, 0), at(london, 30*time.Minute)
	for _, tc := range []struct {
		name       string
		policy     TravelPolicy
		impossible bool
	}{
		{"defaults", TravelPolicy{}, false},
		{"negative values are the defaults", TravelPolicy{MaxKmh: -1, MinKm: -1}, false},
		{"slower limit", TravelPolicy{MaxKmh: 500}, true},
		{"limit just above", TravelPolicy{MaxKmh: 700}, false},
		{"minimum distance beyond the journey", TravelPolicy{MaxKmh: 500, MinKm: 400}, false},
		{"minimum distance just short of it", TravelPolicy{MaxKmh: 500, MinKm: 340}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.policy.Travel(from, to); got.Impossible != tc.impossible {
				t.Errorf("Impossible = %v, want %v (%.0f km at %.0f km/h)", got.Impossible, tc.impossible, got.Km, got.Kmh)
			}
		})
	}
	// No speed limit saves a journey that took no time at all.
	sameInstant := at(london, 0)
	for _, tc := range []struct {
		name       string
		policy     TravelPolicy
		impossible bool
	}{
		{"no time, no speed limit", TravelPolicy{MaxKmh: math.MaxFloat64}, true},
		{"no time, short of the minimum distance", TravelPolicy{MaxKmh: math.MaxFloat64, MinKm: 400}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.policy.Travel(from, sameInstant); got.Impossible != tc.impossible {
				t.Errorf("Impossible = %v, want %v (%.0f km at %.0f km/h)", got.Impossible, tc.impossible, got.Km, got.Kmh)
			}
		})
	}
}

func TestTravelUnknown(t *testing.T) {
	noCoordinates := Sighting{Country: "DE", At: t0}
	for _, tc := range []struct {
		name     string
		from, to Sighting
		country  string
	}{
		{"no previous sighting", Sighting{}, at(paris, time.Hour), ""},
		{"previous without coordinates", noCoordinates, at(paris, time.Hour), "DE"},
		{"current without coordinates", at(london, 0), noCoordinates, "GB"},
		{"latitude out of range", Sighting{Known: true, Latitude: 91, Country: "XX"}, at(paris, 0), "XX"},
		{"latitude below range", at(paris, 0), Sighting{Known: true, Latitude: -90.1}, "FR"},
		{"longitude out of range", at(paris, 0), Sighting{Known: true, Longitude: 180.5}, "FR"},
		{"longitude below range", at(paris, 0), Sighting{Known: true, Longitude: -180.5}, "FR"},
		{"not a number", Sighting{Known: true, Latitude: math.NaN()}, at(paris, 0), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := TravelResult{PreviousCountry: tc.country}
			if got := Travel(tc.from, tc.to); got != want {
				t.Errorf("Travel = %+v, want %+v", got, want)
			}
		})
	}
}

func TestHaversineAntipodes(t *testing.T) {
	// Rounding at antipodes must not turn into NaN: half the circumference.
	got := haversineKm(0, 0, 0, 180)
	assertNear(t, "antipodes", got, math.Pi*earthRadiusKm, 1e-9)
	got = haversineKm(90, 0, -90, 0)
	assertNear(t, "pole to pole", got, math.Pi*earthRadiusKm, 1e-9)
	// Here the sum under the square root comes out as 1.0000000000000002.
	got = haversineKm(-89.985, -180, 89.985, 0)
	assertNear(t, "antipodes near the poles", got, math.Pi*earthRadiusKm, 1e-9)
}

func TestLocationSighting(t *testing.T) {
	loc := Location{Known: true, Country: "GB", Latitude: 51.5, Longitude: -0.1, HasCoordinates: true}
	want := Sighting{Known: true, Latitude: 51.5, Longitude: -0.1, Country: "GB", At: t0}
	if got := loc.Sighting(t0); got != want {
		t.Errorf("Sighting = %+v, want %+v", got, want)
	}
	countryOnly := Location{Known: true, Country: "GB"}
	if got := countryOnly.Sighting(t0); got.Known {
		t.Errorf("a Location without coordinates gave a placed Sighting: %+v", got)
	}
}
