// Package rules decides, for one action, what a request needs: ALLOW,
// CHALLENGE (verify to a level first), REVIEW or BLOCK. Fraud and security
// analysts write the rules in CEL (https://cel.dev), one rule set per
// action; Compile checks and compiles a rule set once, and Evaluate runs it
// for each decision against an Input the engine fills from the session and
// the risk signals.
//
// The package knows nothing of HTTP, of the store or of how signals are
// computed. The engine (stepup.Engine) combines a Result with the level the
// relying party asked for, which rules may raise but never lower, and with
// the session: a session that already has the level within max_age passes
// without a new challenge.
//
// # A rule set
//
// A rule set is a YAML (or JSON) document:
//
//	action: payment
//	default: ALLOW
//	rules:
//	  - id: tor-exit
//	    description: Tor and VPN exits are refused
//	    priority: 1
//	    when: ip.anonymizer
//	    outcome: BLOCK
//	  - id: big-payment-new-device
//	    priority: 10
//	    when: has(action.custom.amount) && action.custom.amount > 1000 && device.new
//	    outcome: CHALLENGE
//	    level: phr
//	    max_age: 5m
//	    methods: [PASSKEY, SECURITY_KEY]
//
// The document's keys:
//
//   - action: the decision point the rules are for ("signIn", "payment",
//     "changeSettings", ...).
//   - default: what happens when no rule matches. Either an outcome alone
//     (default: ALLOW) or a mapping of outcome, level, max_age and methods
//     as in a rule (default: {outcome: CHALLENGE, level: mfa}).
//   - rules: the rules, in a list; optional.
//
// Each rule's keys:
//
//   - id: a name, unique in the set, that decisions and errors show.
//   - description: optional, for people.
//   - priority: a whole number from 0; required. Among the rules that
//     match, the lowest number wins; between equal numbers, the rule written
//     first.
//   - when: a CEL expression over the input (below) that is true or false.
//   - outcome: ALLOW, CHALLENGE, REVIEW or BLOCK.
//   - level (CHALLENGE only, required): the level to reach, 1fa, mfa, phr
//     or phrh, or its ACR value (urn:stepup:acr:mfa).
//   - max_age (CHALLENGE only): how recent the verifications that count
//     must be, as a Go duration (30s, 5m, 1h); 0s asks for a verification
//     now.
//   - methods (CHALLENGE only): the methods the user may verify with,
//     among PASSWORD, PASSKEY, SECURITY_KEY, TOTP, EMAIL_OTP,
//     EMAIL_MAGIC_LINK, SMS, WHATSAPP, PUSH, RECOVERY_CODE, UPSTREAM;
//     none listed allows any.
//
// Unknown keys are errors, and so are a level, max_age or methods on an
// outcome other than CHALLENGE. Compile reports every problem of a document
// at once, each with its line and column, and for an error in an
// expression its place in the expression too:
//
//	rules: 2 problems:
//		12:15: rules[1].when (rule "big-payment"): undefined field 'emial' (expression 1:5)
//		18:5: rules[2].outcome (rule "odd"): unknown outcome "DENY" (want ALLOW, CHALLENGE, REVIEW or BLOCK)
//
// Compile is the validator: a document that compiles is valid.
//
// YAML reads some expressions as something else. Quote an expression that
// starts with ! (when: '!device.new'), that holds ": " or " #", or write
// it as a literal block, where errors are placed exactly:
//
//	when: |
//	  !device.new &&
//	  geo.country != "FR"
//
// Anchors, aliases and merge keys are not supported.
//
// # Outcomes
//
//   - ALLOW: go on, with whatever level the relying party asked for.
//   - CHALLENGE: the user must first verify to level (within max_age, with
//     one of methods). The engine raises the requested level to it, never
//     lowers it, and a session that already has it passes.
//   - REVIEW: hold the action for a person to look at.
//   - BLOCK: refuse.
//
// # How a rule set decides
//
// Every rule is evaluated, so a decision records all the rules that
// matched (Result.Matched), not only the one that won (Result.Rule, "" when
// the default decided).
//
// A rule whose evaluation fails does not match, and the failure is in
// Result.Errors. The usual failure is a key the caller did not send:
// action.custom.amount > 1000 fails when amount is missing. Guard with
// has(action.custom.amount) && ..., or read the key as an optional with a
// default: action.custom.?amount.orValue(0) > 1000.
//
// A rule's work is bounded: past a cost limit (about a hundred thousand
// operations, a few milliseconds) its evaluation stops with an error, and
// a rule that loops (all, exists, map, filter) also stops when the
// decision's deadline passes. An expression holds at most 16,384
// characters, a set at most 1,000 rules, and a document 1 MiB.
//
// # The input
//
// Each name below is a variable of the expressions; a field name that is
// not listed, or a value of the wrong type (user.id > 3), is an error when
// the rule set is compiled. Timestamps compare with now: now -
// user.created < duration("72h").
//
//	now                          timestamp  the time of the decision
//
//	user.id                      string     the user's id
//	user.email                   string
//	user.attributes              map(string, string)  profile attributes: user.attributes.dept == "sales"
//	user.methods                 list(string)  enrolled methods: "PASSKEY" in user.methods
//	user.created                 timestamp  when the account was created
//	user.exists                  bool       false for a username that names nobody
//
//	session.exists               bool       the user has an SSO session
//	session.level                string     its level: "none", "1fa", "mfa", "phr" or "phrh"
//	session.amr                  list(string)  RFC 8176 amr values: "otp" in session.amr
//	session.seconds_since_verification  int  age of the newest verification; -1 when none
//
//	device.id                    string     the device's id
//	device.new                   bool       first time the user is seen on it
//	device.first_seen            timestamp
//	device.count                 int        the user's known devices, this one included
//	device.bot                   bool       the user agent is a known bot or script
//	device.user_agent            string
//
//	ip.address                   string     the client's IP address
//	ip.lists                     list(string)  the configured CIDR lists that hold it: "office" in ip.lists
//	ip.anonymizer                bool       a Tor exit, public VPN or open proxy
//
//	geo.known                    bool       the address is in the geolocation database
//	geo.country                  string     ISO 3166-1 alpha-2: "FR"
//	geo.city                     string
//	geo.asn                      int        autonomous system number
//	geo.asn_org                  string     its organisation
//
//	travel.known                 bool       there is a previous located request
//	travel.km                    double     distance from it
//	travel.kmh                   double     the speed that implies
//	travel.impossible            bool       faster than an airliner
//	travel.previous_country      string
//
//	velocity.user_1m, user_1h, user_24h  int  the user's attempts in the last minute, hour, day
//	velocity.ip_1m, ip_1h, ip_24h        int  the IP address's attempts
//	velocity.failures_1h                 int  the user's failed verifications in the last hour
//
//	request.client               string     the OpenID Connect client or API client
//	request.level                string     the requested level, "none" if none
//	request.max_age              int        the requested max_age in seconds, -1 if none
//
//	action.code                  string     the action: "payment"
//	action.custom                map(string, dyn)  the caller's JSON data: action.custom.amount
//
//	lists                        map(string, list(string))  named value lists: user.email in lists.vip
//
// The numbers in action.custom are compared across types, so
// action.custom.amount > 1000 holds for 1500 and for 1500.0 alike; a
// comparison yields a bool, but an expression that is only a custom value
// (action.custom.flagged) has no known type, and must be compared
// (action.custom.flagged == true).
//
// # Functions
//
// Besides CEL's own (size, contains, startsWith, endsWith, matches, in,
// has, all, exists, exists_one, map, filter, duration, timestamp, int,
// double, string):
//
//   - level.atLeast(other): the level named by a string is at least
//     other's, in the order none < 1fa < mfa < phr < phrh:
//     session.level.atLeast("mfa"), session.level.atLeast(request.level).
//     Compare levels with it, never with < on the names. A level name
//     written in the expression that is not one is a compile error.
//   - the string extensions: lowerAscii, upperAscii, trim, split, replace,
//     indexOf, substring, join, format, ...
//   - the set extensions: sets.contains(list, sublist),
//     sets.intersects(list, list), sets.equivalent(list, list).
//   - optional values: action.custom.?amount.orValue(0),
//     user.attributes.?tier.hasValue().
//
// # The record of a decision
//
// A Result encodes to JSON for the action record:
//
//	{"outcome":"CHALLENGE","level":"phr","max_age":"5m0s","methods":["PASSKEY","SECURITY_KEY"],
//	 "rule":"big-payment-new-device","matched":["big-payment-new-device"]}
//
// and RuleSet.Values gives the input values the matched rules read, so an
// analyst can see why: {"action.custom.amount": 1500, "device.new": true}.
package rules
