package rules

import "time"

// Input is what a rule can see about one decision. Each section is a
// top-level name in CEL (user, session, device, ...), and each field is
// known to the type checker by its json name, so a misspelt field is an
// error when the rule set is compiled, not a rule that silently never
// matches.
//
// An Input encodes to JSON by the same names, timestamps in RFC 3339, so
// that a test case (stepup rules test, the admin API's simulate) reads as
// the rules do: {"device":{"new":true},"action":{"custom":{"amount":1500}}}.
//
// The engine fills an Input from the session and the signals; the zero
// value is a valid Input (nothing known), which every compiled rule can be
// evaluated against without panicking.
type Input struct {
	// Now is the time of the decision, "now" in CEL: rules compare it
	// with user.created or device.first_seen. The engine sets it from
	// its clock, so a decision replayed later sees the same now.
	Now      time.Time `json:"now"`
	User     User      `json:"user"`
	Session  Session   `json:"session"`
	Device   Device    `json:"device"`
	IP       IP        `json:"ip"`
	Geo      Geo       `json:"geo"`
	Travel   Travel    `json:"travel"`
	Velocity Velocity  `json:"velocity"`
	Request  Request   `json:"request"`
	Action   Action    `json:"action"`
	// Lists are the named value lists, "lists" in CEL:
	// user.email in lists.vip. The same map may be shared by every
	// Input: evaluation never modifies it.
	Lists map[string][]string `json:"lists"`
}

// User is the user the decision is about, "user" in CEL.
type User struct {
	ID    string `json:"id"`
	Email string `json:"email"`
	// Attributes are the user's profile attributes (department,
	// country, ...), as the operator or the upstream IdP set them.
	Attributes map[string]string `json:"attributes"`
	// Methods are the methods the user has enrolled, by acr.Method name:
	// "PASSWORD", "PASSKEY", "SECURITY_KEY", "TOTP", "RECOVERY_CODE", ...
	Methods []string  `json:"methods"`
	Created time.Time `json:"created"`
	// Exists is false when the username names nobody (a sign-in attempt
	// for an unknown account); the other fields are then empty.
	Exists bool `json:"exists"`
}

// Session is the user's SSO session at stepup, "session" in CEL.
type Session struct {
	Exists bool `json:"exists"`
	// Level is the level the session has reached, by short name: "none",
	// "1fa", "mfa", "phr" or "phrh" (see LevelName). Compare levels with
	// session.level.atLeast("mfa"), not with < on the names.
	Level string `json:"level"`
	// AMR holds the RFC 8176 amr values of the session's verifications.
	AMR []string `json:"amr"`
	// SecondsSinceVerification is the age of the newest verification,
	// -1 when the session has none.
	SecondsSinceVerification int `json:"seconds_since_verification"`
}

// Device is the browser or app the request comes from, "device" in CEL.
type Device struct {
	ID string `json:"id"`
	// New is true the first time the user is seen on this device.
	New       bool      `json:"new"`
	FirstSeen time.Time `json:"first_seen"`
	// Count is how many devices the user is known on, this one included.
	Count int `json:"count"`
	// Bot is true when the user agent is that of a known bot or script.
	Bot       bool   `json:"bot"`
	UserAgent string `json:"user_agent"`
}

// IP is the client's IP address, "ip" in CEL.
type IP struct {
	Address string `json:"address"`
	// Lists names the configured CIDR lists that contain the address
	// ("office", "partners", ...): "office" in ip.lists.
	Lists []string `json:"lists"`
	// Anonymizer is true for Tor exits, public VPNs and open proxies.
	Anonymizer bool `json:"anonymizer"`
}

// Geo is where the IP address is, "geo" in CEL.
type Geo struct {
	// Known is false when the address is not in the geolocation
	// database; the other fields are then empty.
	Known   bool   `json:"known"`
	Country string `json:"country"` // ISO 3166-1 alpha-2, e.g. "FR"
	City    string `json:"city"`
	ASN     int    `json:"asn"`
	ASNOrg  string `json:"asn_org"`
}

// Travel compares this request's place with the user's previous one,
// "travel" in CEL.
type Travel struct {
	// Known is false without a previous located request; the other
	// fields are then zero.
	Known bool    `json:"known"`
	KM    float64 `json:"km"`  // great-circle distance from the previous place
	KMH   float64 `json:"kmh"` // the speed that distance implies
	// Impossible is true when no airliner could have made the trip.
	Impossible      bool   `json:"impossible"`
	PreviousCountry string `json:"previous_country"`
}

// Velocity counts recent attempts, "velocity" in CEL: per user and per IP
// address, over the last minute, hour and day, and the user's failed
// verifications over the last hour.
type Velocity struct {
	User1m     int `json:"user_1m"`
	User1h     int `json:"user_1h"`
	User24h    int `json:"user_24h"`
	IP1m       int `json:"ip_1m"`
	IP1h       int `json:"ip_1h"`
	IP24h      int `json:"ip_24h"`
	Failures1h int `json:"failures_1h"`
}

// Request is what the relying party or the backend asked for, "request"
// in CEL.
type Request struct {
	Client string `json:"client"` // the OpenID Connect client or API key's client
	// Level is the requested level by short name, "none" when none was
	// requested. The engine keeps it as a floor: a rule can ask for
	// more, never for less.
	Level string `json:"level"`
	// MaxAge is the requested max_age in seconds, -1 when none was sent.
	MaxAge int `json:"max_age"`
}

// Action is the decision point, "action" in CEL.
type Action struct {
	Code string `json:"code"` // "signIn", "payment", ...
	// Custom is the caller's own data, as decoded from JSON: nil, bool,
	// float64 or int64 (int also works), string, []any and map[string]any.
	// CEL compares int and double across types, so action.custom.amount
	// > 1000 holds for 1500 and 1500.0 alike. A key the caller did not
	// send is an evaluation error; guard with has(action.custom.amount).
	Custom map[string]any `json:"custom"`
}
