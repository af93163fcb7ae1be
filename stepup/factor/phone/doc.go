// Package phone decides which numbers the SMS and WhatsApp factors may
// send a code to, against SMS pumping. It sends nothing and knows nothing
// of codes, or of how often (package sendlimit); a factor calls it before
// handing a deliver.Message to a sender.
//
// # Numbers
//
// Parse turns what a user typed into a Number in E.164 form with its
// region and type, using github.com/nyaruka/phonenumbers (Google's
// libphonenumber metadata). It accepts mobile numbers, and numbers the
// plan cannot tell from mobile (the whole North American plan); it
// refuses fixed-line, toll-free, premium-rate, shared-cost, VoIP,
// personal, pager, UAN, voicemail and unknown ranges, numbers with an
// extension or letters, and input over MaxInputLen bytes. Premium-rate and
// shared-cost ranges are how pumping earns its money; the others cannot
// receive a text or, for VoIP, are a cheap supply of throwaway factors.
//
// # Countries
//
// A Policy adds a country allow-list: a number is checked by the region
// its own digits place it in (+1 876 is Jamaica, not the United States),
// not by what the user chose. An empty list means the deployment's default
// region only.
//
// # Send limits
//
// How often a number may be sent to is package sendlimit's: a factor
// counts each send under the number's E.164 form and its Region, so that
// a country's sends share a limit of their own.
//
// Errors for the user wrap ErrInvalidNumber, ErrCannotReceiveSMS or
// ErrCountryNotAllowed, whose texts a page may show;
// the rest of an error is for the log. No error repeats the number.
package phone
