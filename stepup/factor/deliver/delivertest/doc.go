// Package delivertest runs, inside a test, the servers the out-of-band
// factors send to: a real SMTP server (emersion/go-smtp) on 127.0.0.1 that
// keeps each message it receives with its parts decoded, and a loopback
// HTTP server that plays Twilio's Messages API, checking each request's
// shape as Twilio documents it. Tests read the code or link a user would
// read from what these servers received.
package delivertest
