package acr

import "slices"

// RFC 8176 authentication method reference values, plus "pop" from OpenID
// EAP ACR Values 1.0.
const (
	AMRPassword = "pwd"  // password
	AMROTP      = "otp"  // one-time password
	AMRSMS      = "sms"  // confirmation by SMS
	AMRHardware = "hwk"  // proof of possession of a hardware-secured key
	AMRSoftware = "swk"  // proof of possession of a software-secured key
	AMRUser     = "user" // user presence test
	AMRPIN      = "pin"  // personal identification number or pattern
	AMRMulti    = "mfa"  // multiple-factor authentication
	AMRPoP      = "pop"  // proof of possession of a key (EAP ACR)
)

// kind is the NIST SP 800-63B authentication factor a method proves.
type kind int

const (
	kindNone       kind = iota
	kindKnowledge       // something you know
	kindPossession      // something you have
	kindUpstream        // a sign-in another party vouches for, whatever it was
)

// methodKind says which factor a verification of a method proves. A
// look-up secret (recovery code) is something you have, as NIST counts it.
// An upstream sign-in proves nothing by itself: what it proves comes from
// the upstream's trust mapping, carried in the verification.
var methodKind = map[Method]kind{
	Password:       kindKnowledge,
	Passkey:        kindPossession,
	SecurityKey:    kindPossession,
	TOTP:           kindPossession,
	EmailOTP:       kindPossession,
	EmailMagicLink: kindPossession,
	SMS:            kindPossession,
	WhatsApp:       kindPossession,
	Push:           kindPossession,
	RecoveryCode:   kindPossession,
	Upstream:       kindNone,
}

// methodAMR is the table of the amr values each method yields, before the
// per-verification extras of AMR (user verification, hardware binding).
var methodAMR = map[Method][]string{
	Password:       {AMRPassword},
	Passkey:        {AMRPoP, AMRUser},
	SecurityKey:    {AMRHardware, AMRPoP, AMRUser},
	TOTP:           {AMROTP},
	EmailOTP:       {AMROTP},
	EmailMagicLink: {AMROTP},
	SMS:            {AMROTP, AMRSMS},
	WhatsApp:       {AMROTP},
	Push:           {AMRSoftware, AMRUser},
	RecoveryCode:   {AMROTP},
	Upstream:       nil,
}

// phishingResistant reports whether a method's verification cannot be
// relayed by a phishing site: WebAuthn binds it to the origin.
func phishingResistant(m Method) bool { return m == Passkey || m == SecurityKey }

// hardwareBound reports whether v's key cannot leave its device. A
// security key is hardware by definition.
func hardwareBound(v Verification) bool { return v.HardwareBound || v.Method == SecurityKey }

// AMR returns the amr values one verification yields, in a fixed order.
func AMR(v Verification) []string {
	amr := slices.Clone(methodAMR[v.Method])
	if phishingResistant(v.Method) {
		switch {
		case slices.Contains(amr, AMRHardware):
		case hardwareBound(v):
			amr = append(amr, AMRHardware)
		default:
			amr = append(amr, AMRSoftware)
		}
		if v.UserVerified {
			// The authenticator checked a PIN or a biometric: a second
			// factor on the same device. (Which one is not disclosed.)
			amr = append(amr, AMRMulti)
		}
	}
	for _, extra := range v.AMR {
		if !slices.Contains(amr, extra) {
			amr = append(amr, extra)
		}
	}
	return amr
}
