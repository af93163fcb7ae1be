package config

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/stepup-auth/stepup/acr"
)

// Upstream is an OpenID Provider users may sign in through (Keycloak,
// Cognito, Auth0, any OIDC IdP): the sign-in page offers a button for it,
// and stepup runs the authorization code flow with PKCE, state and nonce as
// its relying party. stepup's own step-up then applies on top.
type Upstream struct {
	// ID names the upstream in URLs (/upstream/{id}/callback) and logs.
	ID string `yaml:"id"`
	// Name is the sign-in button's label; default: the ID.
	Name     string `yaml:"name"`
	Issuer   URL    `yaml:"issuer"`
	ClientID string `yaml:"client_id"`
	// ClientSecret is stepup's secret at the upstream; read it from the
	// environment. Empty: a public client, which PKCE alone protects.
	ClientSecret string   `yaml:"client_secret"`
	Scopes       []string `yaml:"scopes"`
	// Claims names the ID token claims stepup reads.
	Claims UpstreamClaims `yaml:"claims"`
	// LinkByEmail lets a first sign-in through this upstream take over the
	// stepup account with the same email, when the upstream says the email
	// is verified. Off, an upstream identity is linked by issuer and
	// subject alone, and a new one gets a new account: whoever controls an
	// upstream account with an unverified address must not get the stepup
	// account of that address.
	LinkByEmail bool `yaml:"link_by_email"`
	// Trust says which of the upstream's acr and amr values stepup
	// believes, and as which level. Empty: nothing, and a sign-in through
	// the upstream is one factor.
	Trust Trust `yaml:"trust"`
	// ForwardACR is what stepup asks the upstream for (acr_values) when a
	// relying party asks stepup for a level.
	ForwardACR ForwardACR `yaml:"forward_acr"`
	// ACRMap is forward_acr: map's table, from stepup level (1fa, mfa,
	// phr, phrh) to the upstream's acr value.
	ACRMap map[string]string `yaml:"acr_map"`
}

// UpstreamClaims names the claims of an upstream's ID token that stepup
// reads.
type UpstreamClaims struct {
	Username string `yaml:"username"` // default preferred_username
	Email    string `yaml:"email"`    // default email; its verification is always email_verified
	Name     string `yaml:"name"`     // default name
}

// Trust maps an upstream's acr and amr onto stepup's levels. A sign-in
// gets the highest level any entry gives it.
type Trust struct {
	// ACR maps an upstream acr value to the level it proves, e.g.
	// Keycloak's "2" to mfa.
	ACR map[string]acr.Level `yaml:"acr"`
	// AMR gives a level to a sign-in whose amr holds every value of an
	// entry's all, e.g. [pwd, otp] to mfa.
	AMR []AMRTrust `yaml:"amr"`
}

// AMRTrust is one entry of Trust.AMR.
type AMRTrust struct {
	All   []string  `yaml:"all"`
	Level acr.Level `yaml:"level"`
}

// ForwardACR says what an upstream is asked for.
type ForwardACR string

// The acr forwarding modes.
const (
	// ForwardNever sends no acr_values upstream: the upstream's sign-in
	// is the first factor, and stepup steps up on its own.
	ForwardNever ForwardACR = "never"
	// ForwardAsIs sends the relying party's acr_values as they came, for
	// an upstream that understands them.
	ForwardAsIs ForwardACR = "forward"
	// ForwardMap sends the upstream's value for the level stepup needs,
	// from acr_map.
	ForwardMap ForwardACR = "map"
)

var forwardModes = []ForwardACR{ForwardNever, ForwardAsIs, ForwardMap}

// UnmarshalText accepts never, forward or map, in any case.
func (f *ForwardACR) UnmarshalText(b []byte) error {
	v, err := parseChoice(string(b), forwardModes, "acr forwarding")
	if err != nil {
		return err
	}
	*f = v
	return nil
}

// setDefaults gives an upstream listed in the file its defaults before its
// keys are decoded.
func (u *Upstream) setDefaults() {
	u.Scopes = []string{"openid", "profile", "email"}
	u.Claims = UpstreamClaims{Username: "preferred_username", Email: "email", Name: "name"}
	u.ForwardACR = ForwardNever
}

// upstreamIDPattern keeps an upstream's id a plain URL path segment.
var upstreamIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)

// claimPattern is what a claim name may be: no spaces or control
// characters, which no provider uses and a typo or a paste might add.
var claimPattern = regexp.MustCompile(`^[!-~]{1,64}$`)

func (v *validator) upstreams(us []Upstream) {
	seen := map[string]int{}
	for i := range us {
		u := &us[i]
		base := fmt.Sprintf("upstreams[%d]", i)
		switch first, dup := seen[u.ID]; {
		case u.ID == "":
			v.errorf(base+".id", "is required")
		case !upstreamIDPattern.MatchString(u.ID):
			v.errorf(base+".id", "%q must be 1 to 32 lower-case letters, digits, _ or -, starting with a letter or digit", u.ID)
		case dup:
			v.errorf(base+".id", "duplicate upstream id %q, also used by upstreams[%d]", u.ID, first)
		default:
			seen[u.ID] = i
		}
		if strings.ContainsFunc(u.Name, unicode.IsControl) || len(u.Name) > 64 {
			v.errorf(base+".name", "must be at most 64 characters with no control characters")
		}
		switch {
		case u.Issuer.URL == nil:
			v.errorf(base+".issuer", "is required")
		case !webURL(u.Issuer):
			v.errorf(base+".issuer", "must be an absolute https URL, or http on localhost, 127.0.0.1 or [::1]")
		case u.Issuer.RawQuery != "" || u.Issuer.Fragment != "" || u.Issuer.User != nil:
			v.errorf(base+".issuer", "must not have a query, fragment or user name")
		}
		if u.ClientID == "" {
			v.errorf(base+".client_id", "is required")
		}
		if u.ClientSecret != "" && !v.d.fromEnv[base+".client_secret"] && v.fromFile {
			v.warnf(base+".client_secret", "is written in the file; read it from the environment, e.g. ${%s_SECRET}", strings.ToUpper(strings.ReplaceAll(u.ID, "-", "_")))
		}
		if !slices.Contains(u.Scopes, "openid") {
			v.errorf(base+".scopes", "must include openid: stepup needs the upstream's ID token")
		}
		for j, s := range u.Scopes {
			if s == "" || strings.ContainsFunc(s, unicode.IsSpace) {
				v.errorf(fmt.Sprintf("%s.scopes[%d]", base, j), "a scope must be one word, got %q", s)
			}
		}
		for key, c := range map[string]string{"username": u.Claims.Username, "email": u.Claims.Email, "name": u.Claims.Name} {
			if !claimPattern.MatchString(c) {
				v.errorf(base+".claims."+key, "must be a claim name (1 to 64 printable characters, no spaces), got %q", c)
			}
		}
		if u.Claims.Email != "email" && claimPattern.MatchString(u.Claims.Email) {
			// email_verified speaks of the standard claim only: another
			// claim (Entra's preferred_username) is not what it verified.
			v.warnf(base+".claims.email", "is %q, but email_verified speaks of the email claim: stepup never takes this address as verified", u.Claims.Email)
		}
		v.trust(base+".trust", &u.Trust)
		v.forwardACR(base, u)
	}
}

func (v *validator) trust(base string, t *Trust) {
	for _, value := range slices.Sorted(maps.Keys(t.ACR)) {
		path := base + ".acr[" + strconv.Quote(value) + "]"
		if value == "" || strings.ContainsFunc(value, unicode.IsSpace) {
			v.errorf(path, "an upstream acr value must not be empty or contain whitespace")
		}
		if t.ACR[value] == acr.None {
			v.errorf(path, "must be a built-in level: 1fa, mfa, phr or phrh")
		}
	}
	for i, e := range t.AMR {
		path := fmt.Sprintf("%s.amr[%d]", base, i)
		if len(e.All) == 0 {
			// An empty set is in every amr: it would trust every sign-in.
			v.errorf(path+".all", "must list at least one amr value")
		}
		for j, a := range e.All {
			if a == "" || strings.ContainsFunc(a, unicode.IsSpace) {
				v.errorf(fmt.Sprintf("%s.all[%d]", path, j), "an amr value must not be empty or contain whitespace")
			}
		}
		if e.Level == acr.None {
			v.errorf(path+".level", "must be a built-in level: 1fa, mfa, phr or phrh")
		}
	}
}

func (v *validator) forwardACR(base string, u *Upstream) {
	if !slices.Contains(forwardModes, u.ForwardACR) {
		v.errorf(base+".forward_acr", "must be %s", orList(forwardModes))
		return
	}
	if u.ForwardACR == ForwardMap && len(u.ACRMap) == 0 {
		v.errorf(base+".acr_map", "is required with forward_acr: map")
	}
	if u.ForwardACR != ForwardMap && len(u.ACRMap) > 0 {
		v.warnf(base+".acr_map", "is used only with forward_acr: map, and forward_acr is %s", u.ForwardACR)
	}
	for _, level := range slices.Sorted(maps.Keys(u.ACRMap)) {
		path := base + ".acr_map[" + strconv.Quote(level) + "]"
		if _, err := acr.ParseLevel(level); err != nil {
			v.errorf(path, "%q is not a level: the keys are stepup's levels (1fa, mfa, phr, phrh)", level)
		}
		if value := u.ACRMap[level]; value == "" || strings.ContainsFunc(value, unicode.IsSpace) {
			v.errorf(path, "an upstream acr value must not be empty or contain whitespace")
		}
	}
}
