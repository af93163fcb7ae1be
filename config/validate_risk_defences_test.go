package config

import (
	"strings"
	"testing"
)

// signals.travel.min_km: 0 would reach the travel signal as "unset", which
// means its default of 100 km: the configured value would be replaced
// silently, so it is refused.
func TestTravelMinKmZeroIsRefused(t *testing.T) {
	_, ps := load(t, "signals:\n  travel:\n    min_km: 0\n", nil)
	if !strings.Contains(ps.String(), "signals.travel.min_km: must be a distance of at least 1 km, got 0") {
		t.Fatalf("problems: %s", ps)
	}
}
