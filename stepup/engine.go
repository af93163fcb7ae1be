package stepup

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup/rules"
)

// ClientPolicy is what an OpenID Connect client's configuration adds to
// every decision about its users.
type ClientPolicy struct {
	MinimumLevel acr.Level
	Methods      []acr.Method // the methods its users may verify with; empty: any
	// Action is the action whose rules decide its sign-ins; empty means
	// SignIn.
	Action string
}

// SignIn is the action of an OpenID Connect sign-in, unless the client
// names another.
const SignIn = "signIn"

// EngineOptions configure an Engine. Every field is optional.
type EngineOptions struct {
	Clients map[string]ClientPolicy
	// Rules are the actions' rules; an action without rules (or a nil
	// RuleBook) allows what the session's level and the request allow.
	Rules *RuleBook
	// Signals fill the rules' input; nil leaves it all unknown.
	Signals *Signals
	Now     func() time.Time
}

// Engine makes every decision of stepup in one place: the requested level
// and the client's minimum are a floor, the action's rules over risk
// signals may raise it, review or block, and the session's verifications
// then decide whether a challenge is needed.
type Engine struct {
	clients map[string]ClientPolicy
	rules   *RuleBook
	signals *Signals
	now     func() time.Time
}

// NewEngine returns an engine.
func NewEngine(o EngineOptions) *Engine {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Signals == nil {
		o.Signals = &Signals{}
	}
	return &Engine{clients: o.Clients, rules: o.Rules, signals: o.Signals, now: o.Now}
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

// Decide answers a Request.
//
// The level needed starts at the request's and the client's minimum: a
// floor. The action's rules, when it has any, see the request and its
// signals: BLOCK and REVIEW end the decision whatever the session holds;
// a CHALLENGE raises the level (never lowers it), may ask for fresher
// verifications (its max_age) and narrows the methods. Then the session's
// verifications that count decide: ALLOW when they reach the level,
// CHALLENGE otherwise. A rule that fails to evaluate does not match; its
// error is in the decision's record.
func (e *Engine) Decide(ctx context.Context, r Request) (Decision, error) {
	now := e.now()
	d := Decision{Level: max(r.Requested, acr.OneFactor), Action: r.Action}
	if r.Requested > acr.None {
		d.Reasons = append(d.Reasons, fmt.Sprintf("the request asks for %v", r.Requested))
	}
	// A tracked action's ClientID names the API key that asked, not an
	// OpenID Connect client: no client's policy applies to it.
	if p, ok := e.clients[r.ClientID]; ok && !r.Tracked {
		if p.MinimumLevel > d.Level {
			d.Level = p.MinimumLevel
			d.Reasons = append(d.Reasons, fmt.Sprintf("client %s needs at least %v", r.ClientID, p.MinimumLevel))
		}
		d.Methods = slices.Clone(p.Methods)
		if d.Action == "" {
			d.Action = p.Action
		}
	}
	if d.Action == "" {
		d.Action = SignIn
	}
	if r.MaxAge != nil {
		d.Since = r.FlowStarted
		if *r.MaxAge > 0 {
			d.Since = now.Add(-*r.MaxAge)
		}
		d.Reasons = append(d.Reasons, fmt.Sprintf("only verifications since %s count (max_age %s)", d.Since.Format(time.RFC3339), *r.MaxAge))
	}
	if err := e.applyRules(ctx, r, now, &d); err != nil {
		return Decision{}, err
	}
	if d.Outcome == Block {
		return d, nil
	}
	d.Assurance = acr.Assess(Counted(r.Verifications, d.Methods), d.Since)
	if d.Outcome == Review {
		// Held for a person, whatever the session holds; the assurance
		// says what it holds once they approve.
		return d, nil
	}
	if d.Assurance.Level.Satisfies(d.Level) {
		d.Outcome = Allow
		d.Reasons = append(d.Reasons, fmt.Sprintf("the session is at %v", d.Assurance.Level))
	} else {
		d.Outcome = Challenge
		d.Reasons = append(d.Reasons, fmt.Sprintf("the session is at %v, below %v", d.Assurance.Level, d.Level))
	}
	return d, nil
}

// applyRules evaluates the action's rules, if it has any, into d.
func (e *Engine) applyRules(ctx context.Context, r Request, now time.Time, d *Decision) error {
	if e.rules == nil {
		return nil
	}
	set, ok := e.rules.Get(d.Action)
	if !ok {
		return nil
	}
	in, err := e.signals.input(ctx, r, d.Action, now)
	if err != nil {
		return err
	}
	res := set.Rules.Evaluate(ctx, in)
	d.Rules = &Evaluation{Version: set.Version, Result: res, Values: set.Rules.Values(in, res.Matched), Input: withoutLists(in)}
	for _, re := range res.Errors {
		// Not matching is the rules package's answer to a rule it cannot
		// evaluate (a custom key not sent); the record says so.
		d.Reasons = append(d.Reasons, fmt.Sprintf("rule %s could not be evaluated and did not match: %s", re.Rule, re.Message))
	}
	by := "the default of " + d.Action + "'s rules"
	if res.Rule != "" {
		by = "rule " + res.Rule
	}
	switch res.Outcome {
	case rules.Block:
		d.Outcome = Block
		d.Reasons = append(d.Reasons, by+" blocks")
	case rules.Review:
		d.Outcome = Review
		d.Reasons = append(d.Reasons, by+" asks for a review")
	case rules.Challenge:
		if res.Level > d.Level {
			d.Level = res.Level
			d.Reasons = append(d.Reasons, fmt.Sprintf("%s asks for %v", by, res.Level))
		}
		if res.HasMaxAge {
			// Verifications made during this flow count, however long it
			// takes: otherwise a max_age of 0 could never be met.
			since := now.Add(-res.MaxAge)
			if !r.FlowStarted.IsZero() && r.FlowStarted.Before(since) {
				since = r.FlowStarted
			}
			if since.After(d.Since) {
				d.Since = since
				d.Reasons = append(d.Reasons, fmt.Sprintf("%s counts only verifications since %s", by, since.Format(time.RFC3339)))
			}
		}
		if len(res.Methods) > 0 {
			narrowed := narrow(d.Methods, res.Methods)
			if len(narrowed) == 0 {
				// The rule's methods are all ones the client refuses: no
				// verification could satisfy both.
				d.Outcome = Block
				d.Reasons = append(d.Reasons, by+" asks for methods the client does not allow")
				return nil
			}
			// The rule's methods are what the step-up may use; the
			// sign-in it steps up from counts whatever the client took it
			// with, or a rule naming only TOTP could never be met. (A
			// tracked action's sign-in is the application's, which
			// always counts: the methods bound its challenge alone.)
			for _, m := range firstFactors {
				if !r.Tracked && MethodAllowed(d.Methods, m) && !slices.Contains(narrowed, m) {
					narrowed = append(narrowed, m)
				}
			}
			d.Methods = narrowed
		}
	}
	return nil
}

// withoutLists is a copy of in without its named lists.
func withoutLists(in *rules.Input) *rules.Input {
	c := *in
	c.Lists = nil
	return &c
}

// narrow returns the methods of want that the client's allowed (all of
// want when the client names none).
func narrow(allowed, want []acr.Method) []acr.Method {
	if len(allowed) == 0 {
		return slices.Clone(want)
	}
	var out []acr.Method
	for _, m := range want {
		if MethodAllowed(allowed, m) {
			out = append(out, m)
		}
	}
	return out
}

// Remember records a successful sign-in or step-up of userID from o: its
// device becomes known to the device signals, and its address the place
// travel compares the user's next request with. Only a success may:
// otherwise merely trying would make an attacker's device known.
func (e *Engine) Remember(ctx context.Context, userID string, o Origin) error {
	if e.signals.Devices == nil || o.DeviceID == "" || userID == "" {
		return nil
	}
	ip := ""
	if o.IP.IsValid() {
		ip = o.IP.String()
	}
	return e.signals.Devices.Remember(ctx, userID, o.DeviceID, o.UserAgent, ip, e.now())
}

// Attempted counts a sign-in attempt of userID (a password or passkey
// submitted, right or wrong) for the velocity signals. The address was
// counted when the attempt's authorization request arrived.
func (e *Engine) Attempted(userID string) {
	if e.signals.Velocity != nil && userID != "" {
		e.signals.Velocity.Request(userID, "", e.now())
	}
}

// Failed counts a failed verification of userID (a wrong password or
// code, a refused passkey) for velocity.failures_1h.
func (e *Engine) Failed(userID string) {
	if e.signals.Velocity != nil && userID != "" {
		e.signals.Velocity.Failure(userID, e.now())
	}
}
