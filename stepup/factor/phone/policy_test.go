package phone_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/stepup-auth/stepup/stepup/factor/phone"
)

func TestPolicy(t *testing.T) {
	tests := []struct {
		name          string
		defaultRegion string
		allowed       []string
		raw           string
		want          error // nil: accepted
	}{
		{"empty list allows the default region", "DE", nil, "0151 12345678", nil},
		{"empty list refuses every other region", "DE", nil, "+33 6 12 34 56 78", phone.ErrCountryNotAllowed},
		{"listed region", "DE", []string{"de", " FR "}, "+33 6 12 34 56 78", nil},
		{"a list replaces the default region", "DE", []string{"FR"}, "0151 12345678", phone.ErrCountryNotAllowed},
		{"unlisted region", "DE", []string{"DE", "FR"}, "+44 7400 123456", phone.ErrCountryNotAllowed},
		{"US allowed", "US", []string{"US", "CA"}, "(201) 555-0123", nil},
		{"Jamaica shares +1 but is not US", "US", []string{"US", "CA"}, "+1 876 210 1234", phone.ErrCountryNotAllowed},
		{"no default region, international input", "", []string{"GB"}, "+44 7400 123456", nil},
		{"no default region, national input", "", []string{"GB"}, "07400 123456", phone.ErrInvalidNumber},
		{"parse errors come first", "DE", nil, "0900 5123456", phone.ErrCannotReceiveSMS},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := phone.NewPolicy(tt.defaultRegion, tt.allowed)
			if err != nil {
				t.Fatal(err)
			}
			n, err := p.Parse(tt.raw)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("Parse(%q) = %+v, %v; want %v", tt.raw, n, err, tt.want)
			}
			if err != nil && n != (phone.Number{}) {
				t.Errorf("refused, yet returned %+v", n)
			}
		})
	}
}

func TestPolicyCheck(t *testing.T) {
	p, err := phone.NewPolicy("DE", []string{"DE"})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Check(phone.Number{E164: "+4915112345678", Region: "DE", Type: phone.Mobile}); err != nil {
		t.Errorf("DE: %v", err)
	}
	for _, r := range []string{"FR", "001", "ZZ", "", "de"} {
		if err := p.Check(phone.Number{E164: "+4915112345678", Region: r}); !errors.Is(err, phone.ErrCountryNotAllowed) {
			t.Errorf("region %q: err = %v, want ErrCountryNotAllowed", r, err)
		}
	}
	if got := p.Regions(); !slices.Equal(got, []string{"DE"}) {
		t.Errorf("Regions() = %v", got)
	}
}

func TestNewPolicyRefuses(t *testing.T) {
	tests := []struct {
		name          string
		defaultRegion string
		allowed       []string
		problems      int
	}{
		{"nothing allowed", "", nil, 1},
		{"nothing allowed, empty list", "", []string{}, 1},
		{"unknown default region", "XX", []string{"DE"}, 1},
		{"every bad code at once", "XX", []string{"DE", "ZZ", "001", "Germany", ""}, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := phone.NewPolicy(tt.defaultRegion, tt.allowed)
			if err == nil {
				t.Fatalf("NewPolicy accepted, regions %v", p.Regions())
			}
			if got := strings.Count(err.Error(), "phone: "); got != tt.problems {
				t.Errorf("%d problems reported, want %d:\n%v", got, tt.problems, err)
			}
		})
	}
}
