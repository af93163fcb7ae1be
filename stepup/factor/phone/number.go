package phone

import (
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/nyaruka/phonenumbers"
)

// MaxInputLen bounds the raw input Parse looks at. A phone number written
// with spaces, dashes and a "+" fits in far fewer bytes; anything longer is
// refused before the parser sees it.
const MaxInputLen = 64

// ErrInvalidNumber is wrapped by every error for input that is not a valid,
// complete phone number. Its text is safe to show to a user.
var ErrInvalidNumber = errors.New("phone: not a valid phone number")

// ErrCannotReceiveSMS is wrapped by every error for a valid number of a
// kind that does not receive text messages or that costs the sender (or
// earns someone) more than a mobile message. Its text is safe to show.
var ErrCannotReceiveSMS = errors.New("phone: this number cannot receive text messages; enter a mobile number")

// Type is the kind of line a number belongs to, as the numbering plan of
// its country says.
type Type string

// The types Parse returns. Only Mobile and FixedLineOrMobile are accepted;
// the others appear in errors and logs.
const (
	Mobile            Type = "mobile"
	FixedLineOrMobile Type = "fixed-line-or-mobile"
	FixedLine         Type = "fixed-line"
	TollFree          Type = "toll-free"
	PremiumRate       Type = "premium-rate"
	SharedCost        Type = "shared-cost"
	VoIP              Type = "voip"
	PersonalNumber    Type = "personal"
	Pager             Type = "pager"
	UAN               Type = "uan"
	Voicemail         Type = "voicemail"
	Unknown           Type = "unknown"
)

var types = map[phonenumbers.PhoneNumberType]Type{
	phonenumbers.MOBILE:               Mobile,
	phonenumbers.FIXED_LINE_OR_MOBILE: FixedLineOrMobile,
	phonenumbers.FIXED_LINE:           FixedLine,
	phonenumbers.TOLL_FREE:            TollFree,
	phonenumbers.PREMIUM_RATE:         PremiumRate,
	phonenumbers.SHARED_COST:          SharedCost,
	phonenumbers.VOIP:                 VoIP,
	phonenumbers.PERSONAL_NUMBER:      PersonalNumber,
	phonenumbers.PAGER:                Pager,
	phonenumbers.UAN:                  UAN,
	phonenumbers.VOICEMAIL:            Voicemail,
}

// receivesSMS reports whether a number of type t is accepted. Mobile is
// the point. FixedLineOrMobile is the whole of the North American plan
// (US, CA and the Caribbean do not separate the ranges), so refusing it
// would refuse every North American user; the country allow-list and the
// send limits guard it instead. VoIP ranges are refused: their SMS
// delivery is unreliable and they are cheap to obtain in bulk, which is
// what an account farm wants of a second factor.
func receivesSMS(t Type) bool { return t == Mobile || t == FixedLineOrMobile }

// Number is a validated phone number.
type Number struct {
	// E164 is the number in E.164 form: "+4915112345678".
	E164 string
	// Region is the ISO 3166-1 alpha-2 code of the number's country
	// ("DE"), told apart within a shared country code (+1 876 is "JM",
	// not "US"), or "001" for a non-geographic number.
	Region string
	Type   Type
}

// String returns the E.164 form.
func (n Number) String() string { return n.E164 }

// Parse reads a phone number typed by a user, in international form
// ("+49 151 12345678", "0049…") or, given the region it is dialled from
// (defaultRegion, e.g. "DE"), in national form ("0151 12345678"). An empty
// defaultRegion accepts international input only.
//
// It refuses, wrapping ErrInvalidNumber, input over MaxInputLen bytes,
// any character but digits (of any script), spaces and
// + - . ( ) / (so no letters, no extension and no invalid UTF-8), numbers the numbering
// plan does not know (which covers numbers over E.164's 15 digits: the
// parser checks each country's possible lengths); and, wrapping
// ErrCannotReceiveSMS, every type but Mobile and FixedLineOrMobile. No
// error repeats the input, so the text of any error is safe for a page.
func Parse(raw, defaultRegion string) (Number, error) {
	if len(raw) > MaxInputLen {
		return Number{}, fmt.Errorf("%w: too long", ErrInvalidNumber)
	}
	s := strings.TrimSpace(raw)
	if s == "" {
		return Number{}, fmt.Errorf("%w: empty", ErrInvalidNumber)
	}
	// The parser digs a number out of any text ("call +49…", vanity
	// letters, extensions); a form field should hold a number only.
	for _, r := range s {
		if !unicode.IsDigit(r) && !unicode.IsSpace(r) && !unicode.Is(unicode.Pd, r) && !strings.ContainsRune("+＋.()/", r) {
			return Number{}, fmt.Errorf("%w: use only digits, spaces and + - . ( ) /", ErrInvalidNumber)
		}
	}
	region := strings.ToUpper(defaultRegion)
	if region != "" && !phonenumbers.GetSupportedRegions()[region] {
		return Number{}, fmt.Errorf("phone: unknown default region %q", defaultRegion)
	}
	if region == "" {
		region = phonenumbers.UNKNOWN_REGION
	}
	pn, err := phonenumbers.Parse(s, region)
	if err != nil {
		return Number{}, fmt.Errorf("%w: %v", ErrInvalidNumber, err)
	}
	if !phonenumbers.IsValidNumber(pn) {
		return Number{}, fmt.Errorf("%w: no such number in its country's numbering plan", ErrInvalidNumber)
	}
	t, ok := types[phonenumbers.GetNumberType(pn)]
	if !ok {
		t = Unknown
	}
	if !receivesSMS(t) {
		return Number{}, fmt.Errorf("%w: %s number", ErrCannotReceiveSMS, t)
	}
	return Number{E164: phonenumbers.Format(pn, phonenumbers.E164), Region: phonenumbers.GetRegionCodeForNumber(pn), Type: t}, nil
}
