// Package sendlimit bounds how often the out-of-band factors send a
// message: a cool-down between two sends to one destination, sliding
// windows per destination, per region (a phone number's country) and
// overall. It guards against SMS pumping (sends to premium ranges that
// earn the attacker money), message bombing (a victim's phone or inbox
// flooded by someone typing their address) and a runaway bill.
//
// The counts live in memory, per process: with several replicas each
// counts its own sends, and a restart forgets them. The limits are a
// ceiling on cost and nuisance, not an authentication control (failed
// verifications are counted in the store, by factor.Limiter), so a
// ceiling per replica still bounds what an attacker can spend.
//
// The SMS and WhatsApp factors count a number under its country (package
// phone gives both); the email factor counts an address under no region.
package sendlimit
