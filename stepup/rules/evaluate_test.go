package rules

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/acr"
)

func noAmount(in *Input) { delete(in.Action.Custom, "amount") }

// set returns a document with a default and rules written as flow
// mappings.
func set(def string, rules ...string) string {
	return "action: payment\ndefault: " + def + "\nrules:\n  - " + strings.Join(rules, "\n  - ") + "\n"
}

// only returns a document whose only rule, "r", BLOCKs when expr holds:
// for tests about what an expression sees.
func only(expr string) string {
	return "action: payment\ndefault: ALLOW\nrules:\n  - id: r\n    priority: 0\n    outcome: BLOCK\n    when: " + expr + "\n"
}

func TestEvaluate(t *testing.T) {
	type want struct {
		outcome   Outcome
		level     acr.Level
		maxAge    time.Duration
		hasMaxAge bool
		methods   []acr.Method
		rule      string
		matched   []string
		errors    []string // rule ids
	}
	tests := []struct {
		name  string
		doc   string
		input func(*Input)
		want  want
	}{
		{"no rule matches: the default",
			set("ALLOW", `{id: a, priority: 1, when: device.new, outcome: BLOCK}`), nil,
			want{outcome: Allow}},
		{"a default that challenges",
			set("{outcome: CHALLENGE, level: mfa, max_age: 10m, methods: [TOTP, PASSKEY]}", `{id: a, priority: 1, when: device.new, outcome: BLOCK}`), nil,
			want{outcome: Challenge, level: acr.MFA, maxAge: 10 * time.Minute, hasMaxAge: true, methods: []acr.Method{acr.TOTP, acr.Passkey}}},
		{"ALLOW",
			set("BLOCK", `{id: a, priority: 1, when: user.exists, outcome: ALLOW}`), nil,
			want{outcome: Allow, rule: "a", matched: []string{"a"}}},
		{"CHALLENGE with a level, max_age and methods",
			set("ALLOW", `{id: a, priority: 1, when: user.exists, outcome: CHALLENGE, level: phr, max_age: 5m, methods: [passkey, SECURITY_KEY]}`), nil,
			want{outcome: Challenge, level: acr.PhishingResistant, maxAge: 5 * time.Minute, hasMaxAge: true, methods: []acr.Method{acr.Passkey, acr.SecurityKey}, rule: "a", matched: []string{"a"}}},
		{"CHALLENGE with a max_age of 0: verify now",
			set("ALLOW", `{id: a, priority: 1, when: user.exists, outcome: CHALLENGE, level: urn:stepup:acr:1fa, max_age: 0s}`), nil,
			want{outcome: Challenge, level: acr.OneFactor, hasMaxAge: true, rule: "a", matched: []string{"a"}}},
		{"REVIEW",
			set("ALLOW", `{id: a, priority: 1, when: user.exists, outcome: REVIEW}`), nil,
			want{outcome: Review, rule: "a", matched: []string{"a"}}},
		{"BLOCK",
			set("ALLOW", `{id: a, priority: 1, when: user.exists, outcome: block}`), nil,
			want{outcome: Block, rule: "a", matched: []string{"a"}}},
		{"the lowest priority number wins, wherever it is written",
			set("ALLOW",
				`{id: late, priority: 9, when: user.exists, outcome: BLOCK}`,
				`{id: early, priority: 2, when: user.exists, outcome: REVIEW}`,
				`{id: mid, priority: 5, when: user.exists, outcome: CHALLENGE, level: mfa}`), nil,
			want{outcome: Review, rule: "early", matched: []string{"late", "early", "mid"}}},
		{"a tie goes to the rule written first",
			set("ALLOW",
				`{id: first, priority: 3, when: user.exists, outcome: REVIEW}`,
				`{id: second, priority: 3, when: user.exists, outcome: BLOCK}`), nil,
			want{outcome: Review, rule: "first", matched: []string{"first", "second"}}},
		{"a rule that does not match cannot win, whatever its priority",
			set("ALLOW",
				`{id: top, priority: 0, when: device.bot, outcome: BLOCK}`,
				`{id: low, priority: 100, when: user.exists, outcome: REVIEW}`), nil,
			want{outcome: Review, rule: "low", matched: []string{"low"}}},

		// Every section of the input, every field read at least once.
		{"now", only(`now == timestamp("2026-11-24T12:00:00Z") && now - user.created > duration("8760h")`), nil,
			want{outcome: Block, rule: "r", matched: []string{"r"}}},
		{"user", only(`user.exists && user.id == "u-42" && user.email.endsWith("@example.com") && user.attributes.dept == "sales" && "TOTP" in user.methods && user.created < now`), nil,
			want{outcome: Block, rule: "r", matched: []string{"r"}}},
		{"an unknown user", only(`'!user.exists'`), func(in *Input) { in.User = User{} },
			want{outcome: Block, rule: "r", matched: []string{"r"}}},
		{"session", only(`session.exists && session.level == "mfa" && "otp" in session.amr && session.seconds_since_verification == 600`), nil,
			want{outcome: Block, rule: "r", matched: []string{"r"}}},
		{"device", only(`device.id == "d-7" && !device.new && device.first_seen < now - duration("720h") && device.count == 2 && !device.bot && device.user_agent.contains("Safari")`), nil,
			want{outcome: Block, rule: "r", matched: []string{"r"}}},
		{"ip", only(`ip.address == "203.0.113.9" && "customers" in ip.lists && !ip.anonymizer`), nil,
			want{outcome: Block, rule: "r", matched: []string{"r"}}},
		{"geo", only(`geo.known && geo.country == "FR" && geo.city == "Lyon" && geo.asn == 3215 && geo.asn_org == "Orange"`), nil,
			want{outcome: Block, rule: "r", matched: []string{"r"}}},
		{"travel", only(`travel.known && travel.km == 12.0 && travel.kmh < 5.0 && !travel.impossible && travel.previous_country == geo.country`), nil,
			want{outcome: Block, rule: "r", matched: []string{"r"}}},
		{"impossible travel", only(`travel.impossible && travel.kmh > 1000`), func(in *Input) { in.Travel = Travel{Known: true, KM: 9000, KMH: 4500, Impossible: true} },
			want{outcome: Block, rule: "r", matched: []string{"r"}}},
		{"velocity", only(`velocity.user_1m == 1 && velocity.user_1h == 2 && velocity.user_24h == 5 && velocity.ip_1m == 1 && velocity.ip_1h == 3 && velocity.ip_24h == 9 && velocity.failures_1h == 0`), nil,
			want{outcome: Block, rule: "r", matched: []string{"r"}}},
		{"request", only(`request.client == "bank-web" && request.level == "mfa" && request.max_age == -1`), nil,
			want{outcome: Block, rule: "r", matched: []string{"r"}}},
		{"action", only(`action.code == "payment" && action.custom.currency == "EUR" && action.custom.new_payee == false`), nil,
			want{outcome: Block, rule: "r", matched: []string{"r"}}},
		{"nested custom data", only(`action.custom.payee.iban.startsWith("FR76") && action.custom.items.size() == 2`),
			func(in *Input) {
				in.Action.Custom = map[string]any{"payee": map[string]any{"iban": "FR7630006000011234567890189"}, "items": []any{"a", "b"}}
			},
			want{outcome: Block, rule: "r", matched: []string{"r"}}},
		{"a list", only(`user.email in lists.vip`), func(in *Input) { in.User.Email = "customer7@example.com" },
			want{outcome: Block, rule: "r", matched: []string{"r"}}},
		{"not in a list", only(`user.email in lists.vip`), nil,
			want{outcome: Allow}},
		{"a list that is not configured is an error", only(`user.email in lists.nope`), nil,
			want{outcome: Allow, errors: []string{"r"}}},
		{"sets", only(`sets.intersects(user.methods, ["PASSKEY", "TOTP"]) && !sets.contains(user.methods, ["PASSKEY"])`), nil,
			want{outcome: Block, rule: "r", matched: []string{"r"}}},

		// Levels.
		{"atLeast: the same level", only(`session.level.atLeast("mfa")`), nil,
			want{outcome: Block, rule: "r", matched: []string{"r"}}},
		{"atLeast: a lower level", only(`session.level.atLeast("1fa") && session.level.atLeast("none")`), nil,
			want{outcome: Block, rule: "r", matched: []string{"r"}}},
		{"atLeast: a higher level", only(`session.level.atLeast("phr")`), nil,
			want{outcome: Allow}},
		{"atLeast: none", only(`'!session.level.atLeast("1fa")'`), func(in *Input) { in.Session = Session{Level: "none"} },
			want{outcome: Block, rule: "r", matched: []string{"r"}}},
		{"atLeast: an ACR value", only(`session.level.atLeast("urn:stepup:acr:MFA")`), nil,
			want{outcome: Block, rule: "r", matched: []string{"r"}}},
		{"atLeast: one input against another", only(`'!session.level.atLeast(request.level)'`), func(in *Input) { in.Request.Level = "phrh" },
			want{outcome: Block, rule: "r", matched: []string{"r"}}},
		{"atLeast: an unknown level in the input is an error", only(`session.level.atLeast("mfa")`), func(in *Input) { in.Session.Level = "high" },
			want{outcome: Allow, errors: []string{"r"}}},

		// Custom numbers: int or double, the rule reads the same.
		{"custom int", only(`action.custom.amount > 1000`), func(in *Input) { in.Action.Custom["amount"] = 1500 },
			want{outcome: Block, rule: "r", matched: []string{"r"}}},
		{"custom int64", only(`action.custom.amount > 1000`), func(in *Input) { in.Action.Custom["amount"] = int64(1500) },
			want{outcome: Block, rule: "r", matched: []string{"r"}}},
		{"custom double", only(`action.custom.amount > 1000`), func(in *Input) { in.Action.Custom["amount"] = 1500.0 },
			want{outcome: Block, rule: "r", matched: []string{"r"}}},
		{"custom double against a double", only(`action.custom.amount > 1000.5`), func(in *Input) { in.Action.Custom["amount"] = 1000 },
			want{outcome: Allow}},
		{"custom double, just under", only(`action.custom.amount > 1000`), func(in *Input) { in.Action.Custom["amount"] = 999.99 },
			want{outcome: Allow}},
		{"custom equality across types", only(`action.custom.amount == 1500`), func(in *Input) { in.Action.Custom["amount"] = 1500.0 },
			want{outcome: Block, rule: "r", matched: []string{"r"}}},
		{"a missing custom key is an error, and no match", only(`action.custom.amount > 1000`), noAmount,
			want{outcome: Allow, errors: []string{"r"}}},
		{"a missing custom key guarded with has()", only(`has(action.custom.amount) && action.custom.amount > 1000`), noAmount,
			want{outcome: Allow}},
		{"a missing custom key read as optional", only(`action.custom.?amount.orValue(0) > 1000`), noAmount,
			want{outcome: Allow}},
		{"no custom data at all", only(`has(action.custom.amount)`), func(in *Input) { in.Action.Custom = nil },
			want{outcome: Allow}},
		{"an erroring rule does not stop the others",
			set("ALLOW",
				`{id: broken, priority: 0, when: 'action.custom.amount > 1000', outcome: BLOCK}`,
				`{id: fine, priority: 5, when: user.exists, outcome: REVIEW}`), noAmount,
			want{outcome: Review, rule: "fine", matched: []string{"fine"}, errors: []string{"broken"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs := mustCompile(t, tt.doc)
			in := paymentInput()
			if tt.input != nil {
				tt.input(in)
			}
			got := rs.Evaluate(context.Background(), in)
			w := tt.want
			if got.Outcome != w.outcome || got.Level != w.level || got.MaxAge != w.maxAge || got.HasMaxAge != w.hasMaxAge ||
				!slices.Equal(got.Methods, w.methods) || got.Rule != w.rule || !slices.Equal(got.Matched, w.matched) {
				t.Errorf("result %+v, want %+v", got, w)
			}
			var errs []string
			for _, e := range got.Errors {
				errs = append(errs, e.Rule)
			}
			if !slices.Equal(errs, w.errors) {
				t.Errorf("errors %v, want errors from rules %v", got.Errors, w.errors)
			}
		})
	}
}

func TestEvaluateErrorMessages(t *testing.T) {
	rs := mustCompile(t, set("ALLOW",
		`{id: amount, priority: 0, when: 'action.custom.amount > 1000', outcome: BLOCK}`,
		`{id: level, priority: 0, when: 'session.level.atLeast("mfa")', outcome: BLOCK}`))
	in := paymentInput()
	noAmount(in)
	in.Session.Level = "high"
	got := rs.Evaluate(context.Background(), in).Errors
	want := []RuleError{
		{Rule: "amount", Message: "no such key: amount"},
		{Rule: "level", Message: `rules: unknown level "high"`},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("errors %v, want %v", got, want)
	}
	if s := got[0].Error(); s != `rules: rule "amount": no such key: amount` {
		t.Errorf("Error() = %q", s)
	}
}

func TestEvaluateZeroInput(t *testing.T) {
	rs := paymentRules(t)
	for _, in := range []*Input{nil, {}} {
		got := rs.Evaluate(context.Background(), in)
		// No user agent: the bot rule, first of the blocking rules, wins.
		if got.Outcome != Block || got.Rule != "bot" {
			t.Errorf("Evaluate(%v) = %+v, want BLOCK by the bot rule (no user agent)", in, got)
		}
	}
}

// TestEvaluatePayment checks a few decisions of the realistic rule set
// the benchmarks use.
func TestEvaluatePayment(t *testing.T) {
	rs := paymentRules(t)
	tests := []struct {
		name    string
		input   func(*Input)
		outcome Outcome
		rule    string
		matched []string
	}{
		{"an ordinary payment", nil, Allow, "", nil},
		{"a big payment from a new device", func(in *Input) {
			in.Action.Custom["amount"] = 1500
			in.Device.New, in.Device.FirstSeen, in.Device.Count = true, now, 3
		}, Challenge, "big-payment-new-device", []string{"big-payment-new-device"}},
		{"a huge payment from a new device", func(in *Input) {
			in.Action.Custom["amount"] = 25000.0
			in.Device.New = true
		}, Review, "huge-payment", []string{"huge-payment", "big-payment-new-device"}},
		{"from Tor", func(in *Input) { in.IP.Anonymizer = true }, Block, "anonymizer", []string{"anonymizer"}},
		{"from Tor at the office", func(in *Input) { in.IP.Anonymizer, in.IP.Lists = true, []string{"office"} }, Allow, "", nil},
		{"a VIP", func(in *Input) {
			in.User.Email, in.User.Attributes["tier"], in.IP.Address = "customer3@example.com", "gold", "10.1.2.3"
		}, Allow, "vip", []string{"vip"}},
		{"phr requested of an mfa session", func(in *Input) { in.Request.Level = "phr" }, Challenge, "requested-high", []string{"requested-high"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := paymentInput()
			if tt.input != nil {
				tt.input(in)
			}
			got := rs.Evaluate(context.Background(), in)
			if got.Outcome != tt.outcome || got.Rule != tt.rule || !slices.Equal(got.Matched, tt.matched) || got.Errors != nil {
				t.Errorf("result %+v, want %v by %q, matched %v", got, tt.outcome, tt.rule, tt.matched)
			}
		})
	}
}

func TestEvaluateResultIsTheCallers(t *testing.T) {
	rs := mustCompile(t, set("ALLOW", `{id: a, priority: 1, when: 'true', outcome: CHALLENGE, level: mfa, methods: [TOTP]}`))
	got := rs.Evaluate(context.Background(), nil)
	got.Methods[0] = acr.SMS
	if again := rs.Evaluate(context.Background(), nil); again.Methods[0] != acr.TOTP {
		t.Fatalf("changing a Result's methods changed the rule set: %v", again.Methods)
	}
}

func TestEvaluateConcurrently(t *testing.T) {
	rs := paymentRules(t)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			in := paymentInput()
			in.Action.Custom["amount"] = 1500 + i
			in.Device.New = true
			for range 100 {
				if got := rs.Evaluate(context.Background(), in); got.Rule != "big-payment-new-device" {
					t.Errorf("rule %q, want big-payment-new-device", got.Rule)
					return
				}
			}
		})
	}
	wg.Wait()
}
