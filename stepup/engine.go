package stepup

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/stepup-auth/stepup/acr"
)

// ClientPolicy is what an OpenID Connect client's configuration adds to
// every decision about its users.
type ClientPolicy struct {
	MinimumLevel acr.Level
	Methods      []acr.Method // the methods its users may verify with; empty: any
}

// Engine makes every decision of stepup in one place. Today it applies the
// requested level and the client's minimum; rules over risk signals come
// with the decision-engine work, behind the same Decide.
type Engine struct {
	clients map[string]ClientPolicy
	now     func() time.Time
}

// NewEngine returns an engine with the given client policies.
func NewEngine(clients map[string]ClientPolicy, now func() time.Time) *Engine {
	if now == nil {
		now = time.Now
	}
	return &Engine{clients: clients, now: now}
}

// Counted returns the verifications that count for a client that allows
// methods (all of them if it names none): a TOTP step-up made for another
// client does not reach mfa for one that takes only passkeys. Passkeys and
// security keys are one family, as one WebAuthn ceremony serves both.
// Without a sign-in the client takes among them (its first factor gone,
// a password for a passkey-only client), none count: a second factor
// alone is no sign-in. The engine and the hosted pages weigh a session
// with it alike.
func Counted(vs []acr.Verification, methods []acr.Method) []acr.Verification {
	if len(methods) == 0 {
		return vs
	}
	vs = slices.DeleteFunc(slices.Clone(vs), func(v acr.Verification) bool { return !MethodAllowed(methods, v.Method) })
	if !slices.ContainsFunc(vs, func(v acr.Verification) bool { return slices.Contains(firstFactors, v.Method) }) {
		return nil
	}
	return vs
}

// firstFactors are the methods a sign-in is made with.
var firstFactors = []acr.Method{acr.Password, acr.Passkey, acr.SecurityKey, acr.Upstream}

// MethodAllowed reports whether a client that allows methods (all, if it
// names none) takes a verification of m.
func MethodAllowed(methods []acr.Method, m acr.Method) bool {
	webauthn := func(m acr.Method) bool { return m == acr.Passkey || m == acr.SecurityKey }
	return len(methods) == 0 || slices.Contains(methods, m) ||
		webauthn(m) && slices.ContainsFunc(methods, webauthn)
}

// Decide answers a Request. It allows the action when the session's fresh
// verifications reach the needed level, and otherwise asks for a challenge
// to that level. A level nobody can reach (none above phrh) does not exist,
// so today's engine never reviews or blocks.
func (e *Engine) Decide(_ context.Context, r Request) (Decision, error) {
	d := Decision{Level: max(r.Requested, acr.OneFactor)}
	if r.Requested > acr.None {
		d.Reasons = append(d.Reasons, fmt.Sprintf("the request asks for %v", r.Requested))
	}
	if p, ok := e.clients[r.ClientID]; ok {
		if p.MinimumLevel > d.Level {
			d.Level = p.MinimumLevel
			d.Reasons = append(d.Reasons, fmt.Sprintf("client %s needs at least %v", r.ClientID, p.MinimumLevel))
		}
		d.Methods = slices.Clone(p.Methods)
	}
	if r.MaxAge != nil {
		d.Since = r.FlowStarted
		if *r.MaxAge > 0 {
			d.Since = e.now().Add(-*r.MaxAge)
		}
		d.Reasons = append(d.Reasons, fmt.Sprintf("only verifications since %s count (max_age %s)", d.Since.Format(time.RFC3339), *r.MaxAge))
	}
	d.Assurance = acr.Assess(Counted(r.Verifications, d.Methods), d.Since)
	if d.Assurance.Level.Satisfies(d.Level) {
		d.Outcome = Allow
		d.Reasons = append(d.Reasons, fmt.Sprintf("the session is at %v", d.Assurance.Level))
	} else {
		d.Outcome = Challenge
		d.Reasons = append(d.Reasons, fmt.Sprintf("the session is at %v, below %v", d.Assurance.Level, d.Level))
	}
	return d, nil
}
