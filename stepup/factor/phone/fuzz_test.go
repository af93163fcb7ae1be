package phone_test

import (
	"testing"

	"github.com/stepup-auth/stepup/stepup/factor/phone"
)

// FuzzParse feeds Parse hostile input: it must never panic, and any number
// it accepts must come back as the same number when its E.164 form is
// parsed again, from any default region.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"+49 151 12345678", "0151 12345678", "(201) 555-0123", "+1 876 210 1234",
		"＋４９ １５１ １２３４５６７８", "+٤٩١٥١١٢٣٤٥٦٧٨", "0900 5123456",
		"+49 151 12345678 ext. 12", "1-800-FLOWERS", "+882 3 1234 5678", "\xff", "++--()",
	} {
		f.Add(s, "DE")
		f.Add(s, "")
	}
	f.Fuzz(func(t *testing.T, raw, region string) {
		n, err := phone.Parse(raw, region)
		if err != nil {
			return
		}
		if len(n.E164) < 2 || len(n.E164) > 16 || n.E164[0] != '+' {
			t.Fatalf("Parse(%q, %q) = %q, not E.164", raw, region, n.E164)
		}
		for _, r := range []string{"", "DE", "US"} {
			again, err := phone.Parse(n.E164, r)
			if err != nil || again != n {
				t.Fatalf("Parse(%q, %q) = %+v, but its E.164 from %q gives %+v, %v", raw, region, n, r, again, err)
			}
		}
	})
}
