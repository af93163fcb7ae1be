package phone_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stepup-auth/stepup/stepup/factor/phone"
)

func TestParse(t *testing.T) {
	type want struct {
		e164, region string
		typ          phone.Type
	}
	deMobile := want{"+4915112345678", "DE", phone.Mobile}
	frMobile := want{"+33612345678", "FR", phone.Mobile}
	usNumber := want{"+12015550123", "US", phone.FixedLineOrMobile}
	gbMobile := want{"+447400123456", "GB", phone.Mobile}
	tests := []struct {
		name, raw, region string
		want              want
		err               error // nil: accepted
	}{
		{"DE international", "+49 151 12345678", "", deMobile, nil},
		{"DE international from elsewhere", "+49 151 12345678", "FR", deMobile, nil},
		{"DE national", "0151 12345678", "DE", deMobile, nil},
		{"DE with 00 prefix", "0049 151 1234 5678", "DE", deMobile, nil},
		{"FR international", "+33 6 12 34 56 78", "", frMobile, nil},
		{"FR national", "06 12 34 56 78", "FR", frMobile, nil},
		{"FR national, lower-case region", "06.12.34.56.78", "fr", frMobile, nil},
		{"US international", "+1 201-555-0123", "", usNumber, nil},
		{"US national", "(201) 555-0123", "US", usNumber, nil},
		{"GB international", "+44 7400 123456", "", gbMobile, nil},
		{"GB national", "07400 123456", "GB", gbMobile, nil},
		{"JM shares +1", "+1 876 210 1234", "US", want{"+18762101234", "JM", phone.Mobile}, nil},
		{"leading and trailing space", " \t+49 151 12345678 \n", "", deMobile, nil},
		{"fullwidth digits", "＋４９ １５１ １２３４５６７８", "", deMobile, nil},
		{"Arabic-Indic digits", "+٤٩١٥١١٢٣٤٥٦٧٨", "", deMobile, nil},

		{"empty", "", "DE", want{}, phone.ErrInvalidNumber},
		{"only spaces", "   ", "DE", want{}, phone.ErrInvalidNumber},
		{"garbage", "call me maybe", "DE", want{}, phone.ErrInvalidNumber},
		{"plus only", "+", "", want{}, phone.ErrInvalidNumber},
		{"national without a region", "0151 12345678", "", want{}, phone.ErrInvalidNumber},
		{"too short", "+49 151", "", want{}, phone.ErrInvalidNumber},
		{"too many digits", "+49 151 1234567890123", "", want{}, phone.ErrInvalidNumber},
		{"over 15 digits", "+4915112345678901234", "", want{}, phone.ErrInvalidNumber},
		{"input over 64 bytes", "+49 151 12345678" + strings.Repeat(" ", 60), "", want{}, phone.ErrInvalidNumber},
		{"invalid UTF-8", "+49 151 1234567\xff", "", want{}, phone.ErrInvalidNumber},
		{"extension", "+49 151 12345678 ext. 12", "", want{}, phone.ErrInvalidNumber},
		{"extension with x", "+1 201 555 0123 x12", "", want{}, phone.ErrInvalidNumber},
		{"extension with #", "+1 201 555 0123#12", "", want{}, phone.ErrInvalidNumber},
		{"number inside text", "<b>+49 151 12345678</b>", "", want{}, phone.ErrInvalidNumber},
		{"vanity letters", "+1 201 555 CODE", "", want{}, phone.ErrInvalidNumber},
		{"unassigned range", "+49 111 12345678", "", want{}, phone.ErrInvalidNumber},
		{"non-geographic", "+882 3 1234 5678", "", want{}, phone.ErrInvalidNumber},

		{"DE fixed line", "030 123456", "DE", want{}, phone.ErrCannotReceiveSMS},
		{"FR fixed line", "+33 1 23 45 67 89", "", want{}, phone.ErrCannotReceiveSMS},
		{"GB fixed line", "0121 234 5678", "GB", want{}, phone.ErrCannotReceiveSMS},
		{"DE premium rate", "0900 5123456", "DE", want{}, phone.ErrCannotReceiveSMS},
		{"US premium rate", "+1 900 234 5678", "", want{}, phone.ErrCannotReceiveSMS},
		{"GB premium rate", "+44 901 234 5678", "", want{}, phone.ErrCannotReceiveSMS},
		{"DE toll free", "0800 1234567", "DE", want{}, phone.ErrCannotReceiveSMS},
		{"US toll free", "+1 800 555 0123", "", want{}, phone.ErrCannotReceiveSMS},
		{"FR shared cost", "+33 884 01 23 45", "", want{}, phone.ErrCannotReceiveSMS},
		{"DE shared cost", "+49 180 12345", "", want{}, phone.ErrCannotReceiveSMS},
		{"GB VoIP", "+44 56 1234 5678", "", want{}, phone.ErrCannotReceiveSMS},
		{"FR VoIP", "+33 9 12 34 56 78", "", want{}, phone.ErrCannotReceiveSMS},
		{"GB personal", "+44 70 1234 5678", "", want{}, phone.ErrCannotReceiveSMS},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := phone.Parse(tt.raw, tt.region)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("Parse(%q, %q) = %+v, %v; want %v", tt.raw, tt.region, n, err, tt.err)
				}
				if n != (phone.Number{}) {
					t.Errorf("refused, yet returned %+v", n)
				}
				if !strings.HasPrefix(err.Error(), "phone: ") {
					t.Errorf("error %q does not start with the package name", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q, %q): %v", tt.raw, tt.region, err)
			}
			if got := (want{n.E164, n.Region, n.Type}); got != tt.want {
				t.Errorf("Parse(%q, %q) = %+v, want %+v", tt.raw, tt.region, got, tt.want)
			}
		})
	}
}

func TestParseErrorsDoNotRepeatInput(t *testing.T) {
	for _, raw := range []string{"0900 5123456", "+49 111 12345678", "030 987654", "<script>+4915112345678"} {
		_, err := phone.Parse(raw, "DE")
		if err == nil {
			t.Fatalf("Parse(%q) accepted", raw)
		}
		digits := strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, raw)
		if strings.Contains(err.Error(), digits[len(digits)-6:]) || strings.Contains(err.Error(), "<script>") {
			t.Errorf("Parse(%q): error %q repeats the input", raw, err)
		}
	}
}

func TestParseUnknownDefaultRegion(t *testing.T) {
	_, err := phone.Parse("+49 151 12345678", "XX")
	if err == nil || errors.Is(err, phone.ErrInvalidNumber) {
		t.Fatalf("err = %v, want a configuration error, not ErrInvalidNumber", err)
	}
}
