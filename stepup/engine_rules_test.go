package stepup_test

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/maxmind/mmdbwriter/mmdbtype"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup"
	"github.com/stepup-auth/stepup/stepup/factor/factortest"
	"github.com/stepup-auth/stepup/stepup/signals"
	"github.com/stepup-auth/stepup/stepup/signals/signalstest"
	"github.com/stepup-auth/stepup/stepup/store"
)

var now = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

// paymentRules reads every section of the input. Priorities are far apart
// so that each case below trips the rule it is about and no lower one.
const paymentRules = `
action: payment
default: ALLOW
rules:
  - {id: tor, priority: 1, when: ip.anonymizer, outcome: BLOCK}
  - {id: bad-asn, priority: 2, when: geo.asn == 64666, outcome: BLOCK}
  - {id: scripted, priority: 3, when: device.bot, outcome: BLOCK}
  - {id: burst, priority: 4, when: velocity.user_1m > 3 || velocity.ip_1m > 5, outcome: BLOCK}
  - id: impossible-travel
    priority: 5
    when: travel.impossible
    outcome: CHALLENGE
    level: phr
  - id: failing
    priority: 6
    when: velocity.failures_1h >= 3
    outcome: CHALLENGE
    level: mfa
    methods: [PASSKEY]
  - id: big-new-device
    priority: 10
    when: has(action.custom.amount) && action.custom.amount > 1000 && device.new
    outcome: CHALLENGE
    level: phr
    methods: [PASSKEY, SECURITY_KEY]
  - id: big
    priority: 11
    when: has(action.custom.amount) && action.custom.amount > 1000
    outcome: CHALLENGE
    level: mfa
    max_age: 5m
  - id: new-payee
    priority: 15
    when: has(action.custom.payee_new) && action.custom.payee_new == true && action.custom.amount > 500
    outcome: REVIEW
  - id: country-change
    priority: 20
    when: travel.known && geo.country != travel.previous_country
    outcome: CHALLENGE
    level: mfa
  - id: vip-at-the-office
    priority: 25
    when: '"office" in ip.lists && user.email in lists.vip'
    outcome: ALLOW
  - id: new-account
    priority: 30
    when: user.exists && now - user.created < duration("24h")
    outcome: CHALLENGE
    level: mfa
  - id: no-second-factor
    priority: 40
    when: user.exists && !("TOTP" in user.methods) && !("PASSKEY" in user.methods)
    outcome: CHALLENGE
    level: mfa
  - id: asks-phr
    priority: 50
    when: request.level == "phr" && request.client == "bank" && request.max_age == 60
    outcome: CHALLENGE
    level: phrh
  - id: stale-session
    priority: 60
    when: session.exists && session.seconds_since_verification > 3600 && !session.level.atLeast("mfa")
    outcome: CHALLENGE
    level: 1fa
    max_age: 10m
  - id: strong-session-known-device
    priority: 70
    when: session.level.atLeast("phr") && "hwk" in session.amr && !device.new && device.count >= 1
    outcome: ALLOW
`

// riskEnv is an engine over a real store and real signals: geo files
// built for the test, lists, remembered devices, velocity counters.
type riskEnv struct {
	st      store.Store
	book    *stepup.RuleBook
	engine  *stepup.Engine
	signals *stepup.Signals
	laptop  string // alice's known device, last seen in London 3 hours ago
}

var (
	london    = netip.MustParseAddr("81.2.69.160")
	stockholm = netip.MustParseAddr("89.160.20.112")
	tokyo     = netip.MustParseAddr("175.16.199.10")
	torExit   = netip.MustParseAddr("185.220.101.7")
	badASN    = netip.MustParseAddr("203.0.113.9")
	office    = netip.MustParseAddr("10.1.2.3")
)

func newRiskEnv(t testing.TB) *riskEnv {
	t.Helper()
	clock := func() time.Time { return now }
	st := factortest.NewStore(t, clock)
	ctx := context.Background()

	alice := factortest.NewUser(t, st, "alice")
	alice.Email, alice.PasswordHash, alice.CreatedAt = "alice@example.com", "x", now.Add(-100*24*time.Hour)
	if err := st.Users().Update(ctx, alice); err != nil {
		t.Fatal(err)
	}
	if err := st.Authenticators().Create(ctx, &store.Authenticator{ID: "a-totp", UserID: "alice", Method: acr.TOTP, CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	bob := factortest.NewUser(t, st, "bob") // created now, password only
	bob.PasswordHash, bob.CreatedAt = "x", now.Add(-time.Hour)
	if err := st.Users().Update(ctx, bob); err != nil {
		t.Fatal(err)
	}
	carol := factortest.NewUser(t, st, "carol") // an old account with no second factor
	carol.PasswordHash, carol.CreatedAt = "x", now.Add(-100*24*time.Hour)
	if err := st.Users().Update(ctx, carol); err != nil {
		t.Fatal(err)
	}

	geo, err := signals.OpenGeo(signals.GeoFiles{
		City: signalstest.WriteMMDB(t, "GeoLite2-City", map[string]mmdbtype.Map{
			"81.2.69.0/24":    signalstest.City("GB", "London", 51.5142, -0.0931),
			"89.160.20.0/24":  signalstest.City("SE", "Stockholm", 59.3293, 18.0686),
			"175.16.199.0/24": signalstest.City("JP", "Tokyo", 35.6762, 139.6503),
			"203.0.113.0/24":  signalstest.City("GB", "Manchester", 53.4808, -2.2426),
		}),
		ASN: signalstest.WriteMMDB(t, "GeoLite2-ASN", map[string]mmdbtype.Map{
			"81.2.69.0/24":   signalstest.ASN(20712, "Andrews & Arnold"),
			"203.0.113.0/24": signalstest.ASN(64666, "Bad Hosting"),
		}),
		Anonymous: signalstest.WriteMMDB(t, "GeoIP2-Anonymous-IP", map[string]mmdbtype.Map{
			"185.220.101.0/24": signalstest.Anonymous("is_anonymous", "is_tor_exit_node"),
		}),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { geo.Close() })
	lists, err := signals.NewLists(signals.ListsConfig{
		Networks: map[string]signals.ListSource{"office": {Entries: []string{"10.0.0.0/8"}}},
		Values: map[string]signals.ListSource{
			"vip":               {Entries: []string{"alice@example.com"}},
			"watch":             {Entries: []string{"mallory@example.com"}},
			"bad_devices":       {Entries: []string{"caller:stolen-phone"}},
			"blocked_countries": {Entries: []string{"KP", "IR"}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	devices := signals.NewDevices(st.Devices(), signals.DeviceOptions{})
	laptop, err := signals.CallerDeviceID("alice-laptop")
	if err != nil {
		t.Fatal(err)
	}
	if err := devices.Remember(ctx, "alice", laptop, "Mozilla/5.0", london.String(), now.Add(-3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	sig := &stepup.Signals{
		Users: st.Users(), Authenticators: st.Authenticators(), Devices: devices, Geo: geo, Lists: lists,
		Velocity: signals.NewVelocityCounters(signals.NewVelocity(signals.VelocityOptions{}),
			signals.NewVelocity(signals.VelocityOptions{}), signals.NewVelocity(signals.VelocityOptions{})),
	}
	book, err := stepup.NewRuleBook(ctx, st.RuleSets(), st.Audit(), clock)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := book.Publish(ctx, []byte(paymentRules), 0, "analyst", "first rules"); err != nil {
		t.Fatal(err)
	}
	engine := stepup.NewEngine(stepup.EngineOptions{
		Clients: map[string]stepup.ClientPolicy{
			"bank":      {MinimumLevel: acr.OneFactor, Action: "payment"},
			"otp-only":  {Methods: []acr.Method{acr.Password, acr.TOTP}, Action: "payment"},
			"no-rules":  {Action: "unruled"},
			"sign-in":   {},
			"mfa-floor": {MinimumLevel: acr.MFA, Action: "payment"},
		},
		Rules: book, Signals: sig, Now: clock,
	})
	return &riskEnv{st: st, book: book, engine: engine, signals: sig, laptop: laptop}
}

const browser = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15"

func TestTheEngineDecidesByTheRules(t *testing.T) {
	pwd := acr.Verification{Method: acr.Password, At: now.Add(-10 * time.Minute)}
	freshPwd := acr.Verification{Method: acr.Password, At: now.Add(-2 * time.Minute)}
	oldPwd := acr.Verification{Method: acr.Password, At: now.Add(-2 * time.Hour)}
	totp := acr.Verification{Method: acr.TOTP, At: now.Add(-time.Minute)}
	oldTOTP := acr.Verification{Method: acr.TOTP, At: now.Add(-20 * time.Minute)}
	passkey := acr.Verification{Method: acr.Passkey, At: now.Add(-time.Minute), UserVerified: true}
	hwk := acr.Verification{Method: acr.SecurityKey, At: now.Add(-time.Minute), UserVerified: true, HardwareBound: true}
	dur := func(d time.Duration) *time.Duration { return &d }
	amount := func(a any) map[string]any { return map[string]any{"amount": a} }

	// base is alice paying from her laptop in London, signed in with a
	// password ten minutes ago.
	base := func(change func(*stepup.Request)) stepup.Request {
		r := stepup.Request{
			ClientID: "bank", UserID: "alice", Verifications: []acr.Verification{pwd},
			Origin: stepup.Origin{IP: london, UserAgent: browser},
		}
		if change != nil {
			change(&r)
		}
		return r
	}
	env := newRiskEnv(t)
	onLaptop := func(r *stepup.Request) { r.DeviceID = env.laptop }

	tests := []struct {
		name    string
		r       stepup.Request
		outcome stepup.Outcome
		level   acr.Level
		rule    string // the winning rule, "" for the default or no rules
	}{
		// Defaults and floors.
		{"nothing matches: the default allows a 1fa session", base(onLaptop), stepup.Allow, acr.OneFactor, ""},
		{"the default allows, but the requested level is a floor", base(func(r *stepup.Request) {
			onLaptop(r)
			r.Requested = acr.MFA
		}), stepup.Challenge, acr.MFA, ""},
		{"the client's minimum is a floor the rules keep", base(func(r *stepup.Request) { onLaptop(r); r.ClientID = "mfa-floor" }),
			stepup.Challenge, acr.MFA, ""},
		{"a rule asking for less does not lower the floor", base(func(r *stepup.Request) {
			onLaptop(r)
			r.Requested, r.Verifications = acr.MFA, []acr.Verification{oldPwd}
		}), stepup.Challenge, acr.MFA, "stale-session"},
		{"an action without rules decides by level alone", base(func(r *stepup.Request) { r.ClientID = "no-rules"; r.Origin.IP = torExit }),
			stepup.Allow, acr.OneFactor, ""},
		{"a client without an action is decided as signIn, which has no rules", base(func(r *stepup.Request) {
			r.ClientID = "sign-in"
			r.Origin.IP = torExit
		}), stepup.Allow, acr.OneFactor, ""},
		{"the request's action wins over the client's", base(func(r *stepup.Request) {
			r.ClientID, r.Action = "no-rules", "payment"
			r.Origin.IP = torExit
		}), stepup.Block, acr.OneFactor, "tor"},

		// Network signals.
		{"a Tor exit is blocked, even with a strong session", base(func(r *stepup.Request) {
			r.Origin.IP = torExit
			r.Verifications = []acr.Verification{pwd, hwk}
		}), stepup.Block, acr.OneFactor, "tor"},
		{"an ASN on the rules' list is blocked", base(func(r *stepup.Request) { r.Origin.IP = badASN }), stepup.Block, acr.OneFactor, "bad-asn"},
		{"a bot user agent is blocked", base(func(r *stepup.Request) { r.Origin.UserAgent = "curl/8.5.0" }), stepup.Block, acr.OneFactor, "scripted"},
		{"no user agent at all is a bot", base(func(r *stepup.Request) { r.Origin.UserAgent = "" }), stepup.Block, acr.OneFactor, "scripted"},
		{"a VIP at the office is allowed past later rules", base(func(r *stepup.Request) { r.Origin.IP = office; r.UserID = "alice" }),
			stepup.Allow, acr.OneFactor, "vip-at-the-office"},
		{"someone else at the office is not a VIP", base(func(r *stepup.Request) { r.Origin.IP = office; r.UserID = "carol" }),
			stepup.Challenge, acr.MFA, "no-second-factor"},

		// Travel, from the laptop's last sighting in London 3 hours ago.
		{"London to Tokyo in 3 hours is impossible", base(func(r *stepup.Request) { onLaptop(r); r.Origin.IP = tokyo }),
			stepup.Challenge, acr.PhishingResistant, "impossible-travel"},
		{"London to Stockholm in 3 hours is possible, but another country", base(func(r *stepup.Request) {
			onLaptop(r)
			r.Origin.IP = stockholm
		}), stepup.Challenge, acr.MFA, "country-change"},
		{"another country, with a fresh second factor, passes", base(func(r *stepup.Request) {
			onLaptop(r)
			r.Origin.IP = stockholm
			r.Verifications = []acr.Verification{pwd, totp}
		}), stepup.Allow, acr.MFA, "country-change"},

		// Action data.
		{"a small payment passes", base(func(r *stepup.Request) { onLaptop(r); r.Custom = amount(50) }), stepup.Allow, acr.OneFactor, ""},
		{"a big payment from a new device asks for a passkey", base(func(r *stepup.Request) { r.Custom = amount(1500) }),
			stepup.Challenge, acr.PhishingResistant, "big-new-device"},
		{"a big payment as a double, from a new device, too", base(func(r *stepup.Request) { r.Custom = amount(1500.5) }),
			stepup.Challenge, acr.PhishingResistant, "big-new-device"},
		{"a big payment from the known laptop asks for mfa", base(func(r *stepup.Request) { onLaptop(r); r.Custom = amount(1500) }),
			stepup.Challenge, acr.MFA, "big"},
		{"a big payment with a fresh password and TOTP passes", base(func(r *stepup.Request) {
			onLaptop(r)
			r.Custom = amount(1500)
			r.Verifications = []acr.Verification{freshPwd, totp}
		}), stepup.Allow, acr.MFA, "big"},
		{"a big payment's max_age drops a password older than 5 minutes", base(func(r *stepup.Request) {
			onLaptop(r)
			r.Custom = amount(1500)
			r.Verifications = []acr.Verification{pwd, totp}
		}), stepup.Challenge, acr.MFA, "big"},
		{"a big payment with a TOTP older than the rule's max_age is challenged again", base(func(r *stepup.Request) {
			onLaptop(r)
			r.Custom = amount(1500)
			r.Verifications = []acr.Verification{freshPwd, oldTOTP}
		}), stepup.Challenge, acr.MFA, "big"},
		{"the rule's max_age counts what this flow verified, however long it took", base(func(r *stepup.Request) {
			onLaptop(r)
			r.Custom = amount(1500)
			r.FlowStarted = now.Add(-30 * time.Minute)
			r.Verifications = []acr.Verification{oldTOTP, {Method: acr.Password, At: now.Add(-25 * time.Minute)}}
		}), stepup.Allow, acr.MFA, "big"},
		{"a new payee over 500 is held for review", base(func(r *stepup.Request) {
			onLaptop(r)
			r.Custom = map[string]any{"amount": 700, "payee_new": true}
		}), stepup.Review, acr.OneFactor, "new-payee"},
		{"a rule reading a key not sent does not match, and says why", base(func(r *stepup.Request) {
			onLaptop(r)
			r.Custom = map[string]any{"payee_new": true}
		}), stepup.Allow, acr.OneFactor, ""},

		// Users.
		{"a day-old account must step up", base(func(r *stepup.Request) { r.UserID = "bob"; r.DeviceID = "" }),
			stepup.Challenge, acr.MFA, "new-account"},
		{"an unknown user is no account at all", base(func(r *stepup.Request) { r.UserID = "nobody" }), stepup.Allow, acr.OneFactor, ""},
		{"an account with no second factor must step up", base(func(r *stepup.Request) { r.UserID = "carol" }),
			stepup.Challenge, acr.MFA, "no-second-factor"},

		// Methods: a rule's methods narrow the client's.
		{"a passkey rule for a client that takes no passkey blocks", base(func(r *stepup.Request) {
			r.ClientID, r.Custom = "otp-only", amount(1500)
		}), stepup.Block, acr.PhishingResistant, "big-new-device"},

		// Request and session.
		{"the request's level, client and max_age reach the rules", base(func(r *stepup.Request) {
			onLaptop(r)
			r.Requested, r.MaxAge = acr.PhishingResistant, dur(time.Minute)
		}), stepup.Challenge, acr.PhishingResistantHardware, "asks-phr"},
		{"a stale 1fa session re-verifies within the rule's max_age", base(func(r *stepup.Request) {
			onLaptop(r)
			r.Verifications = []acr.Verification{oldPwd}
		}), stepup.Challenge, acr.OneFactor, "stale-session"},
		{"a fresh passkey session is no longer stale", base(func(r *stepup.Request) {
			onLaptop(r)
			r.Verifications = []acr.Verification{oldPwd, passkey}
		}), stepup.Allow, acr.OneFactor, ""},
		{"a hardware key session on a known device is allowed by its rule", base(func(r *stepup.Request) {
			onLaptop(r)
			r.Verifications = []acr.Verification{pwd, hwk}
		}), stepup.Allow, acr.OneFactor, "strong-session-known-device"},
		{"priority: the lowest number wins among matching rules", base(func(r *stepup.Request) {
			r.UserID = "bob" // new-account (30) and big-new-device (10) both match
			r.Custom = amount(5000)
		}), stepup.Challenge, acr.PhishingResistant, "big-new-device"},
	}
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := env.engine.Decide(ctx, tt.r)
			if err != nil {
				t.Fatal(err)
			}
			rule := ""
			if d.Rules != nil {
				rule = d.Rules.Result.Rule
			}
			if d.Outcome != tt.outcome || d.Level != tt.level || rule != tt.rule {
				t.Fatalf("Decide = %v at %v by rule %q, want %v at %v by %q\nreasons: %q\nrules: %+v",
					d.Outcome, d.Level, rule, tt.outcome, tt.level, tt.rule, d.Reasons, d.Rules)
			}
		})
	}
}

func TestVelocityCountsAttempts(t *testing.T) {
	env := newRiskEnv(t)
	ctx := context.Background()
	r := stepup.Request{ClientID: "bank", UserID: "alice", Attempt: true,
		Verifications: []acr.Verification{{Method: acr.Password, At: now}},
		Origin:        stepup.Origin{IP: london, UserAgent: browser}}
	r.DeviceID = env.laptop
	var outcomes []stepup.Outcome
	for range 4 {
		d, err := env.engine.Decide(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		outcomes = append(outcomes, d.Outcome)
	}
	// The fourth attempt in a minute is one too many (velocity.user_1m > 3).
	if want := []stepup.Outcome{stepup.Allow, stepup.Allow, stepup.Allow, stepup.Block}; !slices.Equal(outcomes, want) {
		t.Fatalf("four attempts: %v, want %v", outcomes, want)
	}
	// Decisions after a verification of the same attempt are not counted.
	r2 := r
	r2.UserID, r2.Attempt = "carol", false
	for range 5 {
		if d, _ := env.engine.Decide(ctx, r2); d.Outcome == stepup.Block {
			t.Fatal("decisions that are not attempts were counted")
		}
	}
	// Failures, which the pages report, count too.
	for range 3 {
		env.signals.Velocity.Failure("carol", now)
	}
	r2.Origin.IP = stockholm // carol's own address count is not what is tested
	d, err := env.engine.Decide(ctx, r2)
	if err != nil {
		t.Fatal(err)
	}
	// The rule's methods, and the first factors a sign-in may have used.
	if d.Outcome != stepup.Challenge || d.Rules.Result.Rule != "failing" ||
		!slices.Equal(d.Methods, []acr.Method{acr.Passkey, acr.Password, acr.SecurityKey, acr.Upstream}) {
		t.Fatalf("after 3 failures: %v by %q with %v, want a passkey challenge by failing", d.Outcome, d.Rules.Result.Rule, d.Methods)
	}
}

func TestTheDecisionRecordsTheRulesAndValues(t *testing.T) {
	env := newRiskEnv(t)
	decide := func(custom map[string]any) *stepup.Evaluation {
		t.Helper()
		d, err := env.engine.Decide(context.Background(), stepup.Request{
			ClientID: "bank", UserID: "alice", Custom: custom, Origin: stepup.Origin{IP: london, UserAgent: browser},
		})
		if err != nil || d.Rules == nil {
			t.Fatalf("Decide: %v, %+v", err, d)
		}
		return d.Rules
	}
	ev := decide(map[string]any{"amount": 1500})
	if ev.Version != 1 || ev.Result.Rule != "big-new-device" || !slices.Equal(ev.Result.Matched, []string{"big-new-device", "big"}) ||
		len(ev.Result.Errors) != 0 {
		t.Fatalf("the record: %+v", ev)
	}
	if fmt.Sprint(ev.Values["action.custom.amount"]) != "1500" || ev.Values["device.new"] != true {
		t.Errorf("the values the matched rules read: %v", ev.Values)
	}
	// new-payee reads an amount that was not sent: an error, recorded, and
	// no match.
	ev = decide(map[string]any{"payee_new": true})
	if len(ev.Result.Errors) != 1 || ev.Result.Errors[0].Rule != "new-payee" || slices.Contains(ev.Result.Matched, "new-payee") {
		t.Errorf("rule errors: %+v", ev.Result)
	}
}
