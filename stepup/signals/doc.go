// Package signals computes facts about a request that stepup's rules read:
// where an address is, whether it is on a list, whether the user agent is
// automation, whether the user could have travelled here since the last
// sign-in. It knows nothing of HTTP, of CEL or of the rules; it turns an
// address, a user agent or two sightings into plain values.
//
// Each signal below says what data it needs and how it fails. A signal that
// needs no file works without one. A file that is configured but missing or
// corrupt is an error when stepup starts, naming the file and what is wrong,
// never a surprise in the middle of a sign-in; errors report every problem
// at once. Once started, no signal returns an error: what cannot be known
// is reported as unknown. Every type is safe for concurrent use.
//
//	signal       entry point     needs                         rules read
//	geo          Geo.Lookup      MaxMind DB files, optional    country, city, ASN, anonymizer
//	lists        Lists.Match     CIDR lists, inline or file    ip.lists
//	             Lists.Values    value lists, inline or file   lists.<name>
//	bot          IsBot           nothing                       whether the agent is automation
//	travel       Travel          two sightings with places     km, km/h, impossible, previous country
//	device       Devices         the store's devices           device id, new, first seen, count
//	velocity     VelocityCounters nothing (in memory)          requests per user and address, failures
//
// # Geo: country, city, ASN, anonymizer
//
// [OpenGeo] opens up to three MaxMind DB files, each optional ([GeoFiles]):
// a City database (GeoIP2-City, GeoLite2-City; a Country database gives the
// country alone), an ASN database (GeoLite2-ASN) and an Anonymous IP
// database (GeoIP2-Anonymous-IP). DB-IP's Lite files of the same layouts fit
// too. [Geo.Lookup] returns a [Location]: country code, English city name,
// coordinates, ASN and its organisation, and whether the address is an
// anonymizer (VPN, proxy, Tor, hosting). A lookup takes about half a
// microsecond and allocates nothing.
//
// Fails: at start-up, for a file that cannot be opened, is not a MaxMind
// DB, is of the wrong type for its slot (an ASN file given as the City
// database), or fails verification. Verification reads the whole file
// (about 2.5 s per million networks on a small machine), so a corrupt
// download is found at start-up rather than as wrong answers later. At run
// time: private, loopback, link-local and multicast addresses, and
// addresses in no database, are an unknown Location (Known false).
//
// # Lists: ip.lists and lists.*
//
// [NewLists] reads named lists ([ListsConfig]), each written inline, in a
// file (one entry per line, '#' comments), or both. Network lists hold CIDR
// prefixes and addresses; [Lists.Match] returns the names of those holding
// an address, sorted, in tens of nanoseconds whatever their size (a
// gaissmai/bart prefix table per list). Value lists hold strings such as
// emails; [Lists.Values] hands them to the rules as they are. Values are
// compared exactly, case included: write email lists in lower case and
// lower-case the email in the rule.
//
// Needs: nothing unless configured. Fails: at start-up, for a name that is
// not an identifier, a list with neither entries nor a file, a file that
// cannot be read, and each bad entry, named by file and line (10.0.0.1/8 is
// refused rather than guessed at).
//
// # Bot: automated user agents
//
// [IsBot] says whether a User-Agent header names automation: a crawler or
// link previewer, a command-line tool or HTTP library, or a headless or
// remote-controlled browser. An empty agent is a bot. HeadlessChrome is a
// bot, so stepup's own browser tests are bots: example rules should not
// block bots outright; whether to is the integrator's choice. The patterns
// are a short hand-written list (bot.go says why no library), matched in one
// pass in a few hundred nanoseconds without allocating.
//
// Needs: nothing. Fails: never; an agent that pretends to be a browser is
// not a bot to it.
//
// # Travel: impossible journeys
//
// [Travel] compares two [Sighting]s, typically the previous sign-in's
// Location and this one's ([Location.Sighting]), and returns the
// great-circle distance, the speed, the previous country, and whether the
// journey is impossible: longer than 100 km and faster than 1000 km/h, or
// with no time between the two. [TravelPolicy] changes both numbers. The
// minimum distance is there because geo-IP places one address in
// neighbouring cities from one day to the next.
//
// Needs: coordinates, so a City database, and a previous sighting, kept by
// the caller. Fails: a sighting without coordinates makes the result
// unknown (Known false); the previous country is still given.
//
// # Device: new or known
//
// A device ID comes from the hosted pages' long-lived device cookie
// ([DeviceCookie]: a random ID and its HMAC) or from a deviceId a backend
// passes to the track API ([CallerDeviceID]); each kind has its own prefix,
// so neither can pass for the other. [Devices.Recognize] says whether the
// user has signed in on the device before, when first, and how many
// devices they have; it writes nothing. Only [Devices.Remember], after a
// successful sign-in or step-up, makes a device known: if trying alone did,
// an attacker with a stolen password would fail the second factor once and
// come back on a "known" device. A user keeps at most 50 devices (the least
// recently seen go first), each forgotten after 400 days unseen.
//
// Needs: the store. Fails: a malformed device ID is an error
// ([ErrInvalidDeviceID]), and so is a store failure.
//
// # Velocity: how often
//
// [VelocityCounters] counts requests per user and per address (an IPv6
// address per /64) and failed verifications per user, in sliding windows
// of a minute, an hour and a day ([Velocity]). A count is never low and at
// most one bucket (5 s, 5 min, 1 h) high. Memory is bounded: the least
// recently counted keys are dropped first. The counts are per process (see
// velocity.go); [Counter] is the seam for a shared one.
//
// Needs: nothing. Fails: never.
package signals
