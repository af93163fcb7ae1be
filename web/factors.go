package web

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"slices"
	"time"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup"
	"github.com/stepup-auth/stepup/stepup/factor"
	"github.com/stepup-auth/stepup/stepup/store"
)

// Factors are the second factors the pages offer, enroll and verify. A
// nil factor is off: the pages neither offer nor enroll it.
type Factors struct {
	Passkey  Passkeys
	TOTP     factor.Enroller
	Recovery RecoveryCodes
	// Codes are the factors that send a code: email, SMS, WhatsApp, by
	// method.
	Codes map[acr.Method]Codes
	// MagicLink sends links to the addresses of the email code factor.
	MagicLink MagicLinks
	// Push asks the user's enrolled devices to approve, with number
	// matching.
	Push Pushes
	// Limiter bounds failed verifications; required with any factor.
	Limiter        *factor.Limiter
	Authenticators store.Authenticators
	// A change of factors (adding one, removing one, new recovery codes)
	// needs a step-up within ChangeWindow to at least ChangeLevel and
	// the level the factor concerned gives, as far as the user's factors
	// can reach; the first factor, a sign-in within ChangeWindow.
	ChangeWindow time.Duration
	ChangeLevel  acr.Level
}

// Passkeys is the WebAuthn factor: passkeys and security keys.
type Passkeys interface {
	factor.Enroller
	factor.Discoverable
	// HardwareBound reports whether a's key cannot leave its device.
	HardwareBound(a *store.Authenticator) bool
}

// RecoveryCodes is the recovery-code factor.
type RecoveryCodes interface {
	factor.Factor
	// Generate replaces the user's recovery codes with new ones.
	Generate(ctx context.Context, userID string) ([]string, error)
	// Remaining says how many unused codes a holds.
	Remaining(a *store.Authenticator) int
}

// Codes is a factor that sends a one-time code to an address or number.
type Codes interface {
	factor.Enroller
	// BeginEnrollTo sends a code to dest as the user typed it; an error
	// about dest has a text the page may show.
	BeginEnrollTo(ctx context.Context, u *store.User, t factor.Target, dest, name string) (factor.Prompt, error)
	// Resend sends a new code in place of the one challengeID sent.
	Resend(ctx context.Context, t factor.Target, challengeID string) (factor.Prompt, error)
	// Sent returns the code of t's flow still waiting for its answer.
	Sent(ctx context.Context, t factor.Target) (factor.Prompt, bool, error)
	// CanSendTo reports whether a code may go to dest.
	CanSendTo(dest string) bool
}

// Pushes is the push factor as the pages use it.
type Pushes interface {
	factor.Enroller
	// Answered reports whether a device answered push (or enrolled with
	// the enrollment) id of t, changing nothing.
	Answered(ctx context.Context, t factor.Target, id string) (bool, error)
	// EnrolledDevice returns the device that enrolled with enrollment id,
	// for the user to recognise before FinishEnroll makes it theirs.
	EnrolledDevice(ctx context.Context, u *store.User, t factor.Target, id string) (*store.Authenticator, error)
}

func (f Factors) enabled() bool {
	return f.Passkey != nil || f.TOTP != nil || len(f.Codes) > 0 || f.Push != nil
}

// codes returns the code factor of method m, nil if it is off.
func (f Factors) codes(m acr.Method) Codes { return f.Codes[m] }

// sendsCode reports whether m is a method whose code is sent.
func sendsCode(m acr.Method) bool { return m == acr.EmailOTP || m == acr.SMS || m == acr.WhatsApp }

// sends reports whether m sends something (a code, a link) the user asks
// for first.
func sends(m acr.Method) bool { return sendsCode(m) || m == acr.EmailMagicLink || m == acr.Push }

// waits reports whether m's answer comes from elsewhere (a link opened, a
// device's approval), which the page waits for.
func waits(m acr.Method) bool { return m == acr.EmailMagicLink || m == acr.Push }

// byMethod returns the factor that verifies method m, nil if it is off.
// One factor verifies passkeys and security keys alike.
func (f Factors) byMethod(m acr.Method) factor.Factor {
	switch {
	case (m == acr.Passkey || m == acr.SecurityKey) && f.Passkey != nil:
		return f.Passkey
	case m == acr.TOTP && f.TOTP != nil:
		return f.TOTP
	case m == acr.RecoveryCode && f.Recovery != nil:
		return f.Recovery
	case m == acr.EmailMagicLink && f.MagicLink != nil:
		return f.MagicLink
	case m == acr.Push && f.Push != nil:
		return f.Push
	case f.Codes[m] != nil:
		return f.Codes[m]
	}
	return nil
}

// enroller returns the factor that enrolls method m, nil if none does.
func (f Factors) enroller(m acr.Method) factor.Enroller {
	switch {
	case m == acr.Passkey && f.Passkey != nil:
		return f.Passkey
	case m == acr.TOTP && f.TOTP != nil:
		return f.TOTP
	case m == acr.Push && f.Push != nil:
		return f.Push
	case f.Codes[m] != nil:
		return f.Codes[m]
	}
	return nil
}

// allowed reports whether the flow lets the user verify with m.
func allowed(flow stepup.Flow, m acr.Method) bool { return stepup.MethodAllowed(flow.Methods, m) }

// counted returns the session's verifications that count for the flow,
// as the engine counts them.
func counted(sess *store.Session, flow stepup.Flow) []acr.Verification {
	return flow.Counted(stepup.Verifications(sess))
}

// methodOrder is how methods are listed when they reach the same level:
// phishing-resistant first, recovery codes, the last resort, last.
var methodOrder = []acr.Method{acr.Passkey, acr.SecurityKey, acr.Push, acr.TOTP, acr.EmailOTP, acr.EmailMagicLink, acr.SMS, acr.WhatsApp, acr.RecoveryCode, acr.Password}

// methodLabel names a method for people.
func methodLabel(m acr.Method) string {
	switch m {
	case acr.Passkey, acr.SecurityKey:
		return "Passkey or security key"
	case acr.TOTP:
		return "Authenticator app"
	case acr.EmailOTP:
		return "Code by email"
	case acr.EmailMagicLink:
		return "Link by email"
	case acr.Push:
		return "Approve on your phone"
	case acr.SMS:
		return "Code by text message"
	case acr.WhatsApp:
		return "Code by WhatsApp"
	case acr.RecoveryCode:
		return "Recovery code"
	case acr.Password:
		return "Password"
	}
	return string(m)
}

// candidate is the verification that verifying a now would add: a
// WebAuthn ceremony always verifies the user, as the factor requires it.
func (f Factors) candidate(a *store.Authenticator, now time.Time) (acr.Verification, bool) {
	if !a.Verified || f.byMethod(a.Method) == nil {
		return acr.Verification{}, false
	}
	v := acr.Verification{Method: a.Method, At: now}
	switch a.Method {
	case acr.Passkey, acr.SecurityKey:
		v.UserVerified = true
		v.HardwareBound = f.Passkey.HardwareBound(a)
	case acr.RecoveryCode:
		if f.Recovery.Remaining(a) == 0 {
			return acr.Verification{}, false
		}
	}
	return v, true
}

// strong reports whether a is a factor of its own (not recovery codes,
// which only stand in for one).
func strong(a *store.Authenticator) bool {
	return a.Verified && a.Method != acr.RecoveryCode
}

// offer is a method the step-up page offers, and the level the session
// reaches with it.
type offer struct {
	Method acr.Method
	Label  string
	Level  acr.Level
	// Enroll: the user has none yet and may set one up.
	Enroll bool
	// Sends: the method sends a code, which the user asks for first.
	Sends bool
	// Vouched: the code goes to where the application vouches the user
	// reads messages, and sets that up as the user's factor.
	Vouched bool
}

// offers returns the methods among the user's authenticators that bring
// the session's verifications since flow.Since to flow.Level, strongest
// first. A method that cannot reach the level is never offered.
func (f Factors) offers(have []acr.Verification, auths []*store.Authenticator, flow stepup.Flow, now time.Time) []offer {
	var out []offer
	for _, a := range withLinks(auths, f.MagicLink != nil) {
		if !allowed(flow, a.Method) {
			continue
		}
		v, ok := f.candidate(a, now)
		if !ok {
			continue
		}
		m := a.Method
		if m == acr.SecurityKey {
			m = acr.Passkey // one ceremony offers both
		}
		level := acr.Assess(append(slices.Clone(have), v), flow.Since).Level
		if !level.Satisfies(flow.Level) {
			continue
		}
		if i := slices.IndexFunc(out, func(o offer) bool { return o.Method == m }); i >= 0 {
			out[i].Level = max(out[i].Level, level)
			continue
		}
		out = append(out, offer{Method: m, Label: methodLabel(m), Level: level, Sends: sends(m)})
	}
	sortOffers(out)
	return out
}

// passkeysReaching returns the ids of the user's passkeys and security
// keys that, verified now, bring the session to flow.Level: the only ones
// a step-up's WebAuthn prompt names, so that the browser does not offer a
// synced passkey for a step-up to phrh.
func (f Factors) passkeysReaching(have []acr.Verification, auths []*store.Authenticator, flow stepup.Flow, now time.Time) []string {
	var ids []string
	for _, a := range auths {
		if a.Method != acr.Passkey && a.Method != acr.SecurityKey || !allowed(flow, a.Method) {
			continue
		}
		if v, ok := f.candidate(a, now); ok && acr.Assess(append(slices.Clone(have), v), flow.Since).Level.Satisfies(flow.Level) {
			ids = append(ids, a.ID)
		}
	}
	return ids
}

// passwordOffer returns the password as an offer when signing in again
// with it, beside the verifications since flow.Since, reaches the level:
// a session whose password is older than that but whose second factor
// is not (an app's code a minute ago) needs the password, not another
// factor.
func passwordOffer(u *store.User, have []acr.Verification, flow stepup.Flow, now time.Time) (offer, bool) {
	stale := !slices.ContainsFunc(have, func(v acr.Verification) bool {
		return v.Method == acr.Password && !v.At.Before(flow.Since)
	})
	if u.PasswordHash == "" || !allowed(flow, acr.Password) || !stale {
		return offer{}, false
	}
	level := acr.Assess(append(slices.Clone(have), acr.Verification{Method: acr.Password, At: now}), flow.Since).Level
	if !level.Satisfies(flow.Level) {
		return offer{}, false
	}
	return offer{Method: acr.Password, Label: "Your password", Level: level}, true
}

// enrollOffers returns the factors a user with no factor of their own
// may set up now to bring the session to flow.Level.
func (f Factors) enrollOffers(have []acr.Verification, flow stepup.Flow, now time.Time) []offer {
	var out []offer
	try := func(m acr.Method, vs ...acr.Verification) {
		if f.enroller(m) == nil || !allowed(flow, m) {
			return
		}
		for _, v := range vs {
			if level := acr.Assess(append(slices.Clone(have), v), flow.Since).Level; level.Satisfies(flow.Level) {
				out = append(out, offer{Method: m, Label: methodLabel(m), Level: level, Enroll: true, Sends: sendsCode(m)})
				return
			}
		}
	}
	// A new passkey may turn out synced or bound to its device.
	try(acr.Passkey, acr.Verification{Method: acr.Passkey, At: now, UserVerified: true},
		acr.Verification{Method: acr.Passkey, At: now, UserVerified: true, HardwareBound: true})
	try(acr.TOTP, acr.Verification{Method: acr.TOTP, At: now})
	try(acr.Push, acr.Verification{Method: acr.Push, At: now})
	for _, m := range []acr.Method{acr.EmailOTP, acr.SMS, acr.WhatsApp} {
		try(m, acr.Verification{Method: m, At: now})
	}
	sortOffers(out)
	return out
}

// vouchedOffers returns the codes a tracked action's challenge may send to
// where its application vouches the user reads messages (Flow.Vouched),
// for a user with no factor the challenge allows.
func (f Factors) vouchedOffers(have []acr.Verification, flow stepup.Flow, now time.Time) []offer {
	var out []offer
	for _, c := range []struct {
		m    acr.Method
		dest string
	}{{acr.EmailOTP, flow.Vouched.Email}, {acr.SMS, flow.Vouched.Phone}, {acr.WhatsApp, flow.Vouched.Phone}} {
		if c.dest == "" || f.codes(c.m) == nil || !allowed(flow, c.m) || !f.codes(c.m).CanSendTo(c.dest) {
			continue
		}
		if level := acr.Assess(append(slices.Clone(have), acr.Verification{Method: c.m, At: now}), flow.Since).Level; level.Satisfies(flow.Level) {
			out = append(out, offer{Method: c.m, Label: methodLabel(c.m), Level: level, Sends: true, Vouched: true})
		}
	}
	sortOffers(out)
	return out
}

// vouchedTo is where flow's application vouches a code of method m goes.
func vouchedTo(flow stepup.Flow, m acr.Method) string {
	if m == acr.EmailOTP {
		return flow.Vouched.Email
	}
	return flow.Vouched.Phone
}

func sortOffers(out []offer) {
	slices.SortStableFunc(out, func(a, b offer) int {
		if c := cmp.Compare(b.Level, a.Level); c != 0 {
			return c
		}
		return cmp.Compare(slices.Index(methodOrder, a.Method), slices.Index(methodOrder, b.Method))
	})
}

// grants is the level a factor of method m gives beside a password.
func grants(m acr.Method) acr.Level {
	switch m {
	case acr.Passkey:
		return acr.PhishingResistant
	case acr.SecurityKey:
		return acr.PhishingResistantHardware
	}
	return acr.MFA
}

// changeNeeds is the level a change of the user's factors concerning
// method m needs, and the instant from which verifications count. With no
// factor of their own yet, the user needs only a recent sign-in: their
// first factor is set up right after it. Otherwise a step-up to
// ChangeLevel and to what m gives, but never beyond what the user's
// factors can reach, so that a user with an authenticator app can add
// their first passkey. After a recovery code within the window (have
// holds the session's verifications), never beyond mfa (or ChangeLevel,
// if higher), what a password and a recovery code reach: recovery codes
// are how a user who lost their passkey sets up a new one and removes
// the lost one. Only a recovery code spent for it lowers the bar: a
// phishable step-up (an app's code) never replaces a passkey.
func (f Factors) changeNeeds(auths []*store.Authenticator, have []acr.Verification, m acr.Method, now time.Time) (acr.Level, time.Time) {
	since := now.Add(-f.ChangeWindow)
	if !hasStrong(auths) {
		return acr.OneFactor, since
	}
	all := []acr.Verification{{Method: acr.Password, At: now}}
	for _, a := range auths {
		if v, ok := f.candidate(a, now); ok {
			all = append(all, v)
		}
	}
	need := min(max(f.ChangeLevel, grants(m)), acr.Assess(all, time.Time{}).Level)
	if slices.ContainsFunc(have, func(v acr.Verification) bool { return v.Method == acr.RecoveryCode && !v.At.Before(since) }) {
		need = min(need, max(f.ChangeLevel, acr.MFA))
	}
	return need, since
}

// target is what a factor's challenge is bound to: the user, and the
// browser and flow it was issued to, so that an answer carried to another
// browser or flow finds no challenge.
func target(userID, binding string, flow stepup.Flow) factor.Target {
	sum := sha256.Sum256([]byte("factor-target\x00" + binding + "\x00" + flow.AuthRequestID + "\x00" + flow.Next + "\x00" + flow.ActionID))
	return factor.Target{UserID: userID, FlowID: base64.RawURLEncoding.EncodeToString(sum[:]), Browser: browserOf(binding)}
}

// listAuthenticators returns the user's authenticators.
func (s *Server) listAuthenticators(ctx context.Context, userID string) ([]*store.Authenticator, error) {
	auths, err := s.factors.Authenticators.ListByUser(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("web: authenticators of user %s: %w", userID, err)
	}
	return auths, nil
}

// withLinks adds to auths, when links are on, a magic link for each
// verified email address: the same address, another way to prove it.
func withLinks(auths []*store.Authenticator, on bool) []*store.Authenticator {
	if !on {
		return auths
	}
	out := slices.Clone(auths)
	for _, a := range auths {
		if a.Method == acr.EmailOTP && a.Verified {
			link := a.Clone()
			link.Method = acr.EmailMagicLink
			out = append(out, link)
		}
	}
	return out
}
