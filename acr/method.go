package acr

import (
	"fmt"
	"strings"
)

// Method names a way to prove identity. Each verification of a method yields
// RFC 8176 amr values.
type Method string

// The methods stepup knows.
const (
	Password       Method = "PASSWORD"
	Passkey        Method = "PASSKEY"
	SecurityKey    Method = "SECURITY_KEY"
	TOTP           Method = "TOTP"
	EmailOTP       Method = "EMAIL_OTP"
	EmailMagicLink Method = "EMAIL_MAGIC_LINK"
	SMS            Method = "SMS"
	WhatsApp       Method = "WHATSAPP"
	Push           Method = "PUSH"
	RecoveryCode   Method = "RECOVERY_CODE"
	Upstream       Method = "UPSTREAM"
)

var methods = []Method{
	Password, Passkey, SecurityKey, TOTP, EmailOTP, EmailMagicLink,
	SMS, WhatsApp, Push, RecoveryCode, Upstream,
}

// Methods lists every known method.
func Methods() []Method { return append([]Method(nil), methods...) }

// ParseMethod turns a method name into a Method, without regard to case.
func ParseMethod(s string) (Method, error) {
	for _, m := range methods {
		if strings.EqualFold(s, string(m)) {
			return m, nil
		}
	}
	return "", fmt.Errorf("acr: unknown method %q", s)
}

// UnmarshalText decodes a method name with ParseMethod.
func (m *Method) UnmarshalText(b []byte) error {
	v, err := ParseMethod(string(b))
	if err != nil {
		return err
	}
	*m = v
	return nil
}
