package acr

import (
	"slices"
	"time"
)

// Verification is one completed verification of one factor, as a session
// records it.
type Verification struct {
	Method Method
	At     time.Time
	// UserVerified: a WebAuthn ceremony whose authenticator verified the
	// user (PIN or biometric), read from this ceremony's flags.
	UserVerified bool
	// HardwareBound: the key cannot leave its device (a security key, a
	// device-bound passkey, or an AAGUID on the operator's allow-list).
	HardwareBound bool
	// AMR adds values beyond the method's own, e.g. an upstream's amr
	// that its trust mapping accepts.
	AMR []string
	// Level is the level an upstream sign-in proves by its trust mapping;
	// ignored for stepup's own methods, whose level follows from the rule.
	Level Level
}

// Assurance is what a set of verifications proves.
type Assurance struct {
	Level Level
	AMR   []string
	// AuthTime is when the level was reached: the newest verification
	// that counted. Zero when nothing counted.
	AuthTime time.Time
}

// Assess returns the assurance of the verifications done at or after
// since; a zero since counts them all. A relying party's max_age becomes
// since = now - max_age, and max_age=0 or prompt=login becomes the start of
// the flow, so only fresh verifications count.
//
// The rule, highest first:
//   - phrh: phr, with the phishing-resistant key bound to hardware;
//   - phr: mfa, with a phishing-resistant verification (passkey or
//     security key) among those that make it;
//   - mfa: two verifications of different factor kinds (knowledge,
//     possession), or one user-verifying passkey or security key;
//   - 1fa: any verification;
//
// and an upstream sign-in counts at the level its trust mapping gives it;
// trusted at 1fa or more, it is also a factor kind of its own, so that one
// of stepup's possession factors on top of it makes mfa (not a password:
// the upstream's sign-in may have been one).
func Assess(vs []Verification, since time.Time) Assurance {
	var (
		out       Assurance
		kinds     = map[kind]bool{}
		phr, phrh bool // a phishing-resistant verification; one bound to hardware
		uvKey     bool // a user-verifying phishing-resistant verification
		hwUVKey   bool
		upstream  Level
	)
	for _, v := range vs {
		k, known := methodKind[v.Method]
		switch {
		case !known:
			// A method this table does not know proves nothing: counted,
			// it would be a second factor kind of its own.
			continue
		case !since.IsZero() && v.At.Before(since):
			continue
		}
		if v.At.After(out.AuthTime) {
			out.AuthTime = v.At
		}
		for _, a := range AMR(v) {
			if !slices.Contains(out.AMR, a) {
				out.AMR = append(out.AMR, a)
			}
		}
		if v.Method == Upstream {
			if v.Level >= None && v.Level <= PhishingResistantHardware {
				upstream = max(upstream, v.Level) // a level out of range proves no more than a sign-in
			}
			// A sign-in another party vouches for (an upstream IdP, the
			// application calling the track API) is a factor of its own:
			// stepup's own factor on top of it makes two. One it does not
			// vouch for at all is a sign-in and nothing more.
			if v.Level >= OneFactor && v.Level <= PhishingResistantHardware {
				kinds[kindUpstream] = true
			}
			continue
		}
		kinds[k] = true
		if phishingResistant(v.Method) {
			phr = true
			phrh = phrh || hardwareBound(v)
			if v.UserVerified {
				uvKey = true
				hwUVKey = hwUVKey || hardwareBound(v)
			}
		}
	}
	if out.AuthTime.IsZero() {
		return Assurance{}
	}
	n := len(kinds)
	if kinds[kindUpstream] && kinds[kindKnowledge] {
		// Another party's sign-in may well have been a password, the
		// same one even: with stepup's password it is one kind, not two.
		n--
	}
	mfa := uvKey || n >= 2
	switch {
	case mfa && (hwUVKey || phrh && kinds[kindKnowledge]):
		out.Level = PhishingResistantHardware
	case mfa && phr:
		out.Level = PhishingResistant
	case mfa:
		out.Level = MFA
	default:
		out.Level = OneFactor
	}
	if upstream > out.Level {
		out.Level = upstream
	}
	if out.Level >= MFA && !slices.Contains(out.AMR, AMRMulti) {
		out.AMR = append(out.AMR, AMRMulti)
	}
	return out
}
