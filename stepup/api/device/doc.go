// Package device is the device API: the endpoints a push app calls to
// enroll, to fetch the pushes waiting for it and to answer them. The
// protocol, with the strings a device signs, is in package push's
// documentation; this is its HTTP side.
//
//	POST /v1/device/enroll           {"token","public_key","name","platform","proof"} -> 201 {"device_id"}
//	GET  /v1/device/challenges       ?wait=<0..25 seconds>: long poll -> 200 {"challenges": [...], "server_time"}
//	POST /v1/device/challenges/{id}  {"decision": "approve", "number": 42} or {"decision": "deny"}
//	                                 -> 200 {"state": "approved" | "wrong_number" | "denied"}
//
// A challenge is {"id", "choices": [17, 42, 63], "created", "expires"}:
// the app shows the choices as buttons with the time of the request, and
// a deny button; the user picks the number the sign-in page shows.
//
// Enrollment is authenticated by its one-time token and the proof of the
// key; every other request by the device's signature in its Authorization
// header (push.ParseAuthorization). A request that fails it is 401 with
// WWW-Authenticate: StepupDevice and a message that says what to fix
// (a clock more than five minutes off: the Date header of the answer has
// the server's). An answer to a push that is not waiting for it
// (answered, expired, sent to other devices) is 409: drop the push.
//
// The long poll answers as soon as a push waits for the device, and after
// the wait (default and most 25 seconds) with an empty list; the app then
// polls again. A push created by this process wakes it at once, and one
// created by another replica within about a second. The operator's
// webhook (push.WebhookNotifier) lets their backend wake a sleeping app
// through APNs or FCM, so it need not poll while in the background.
//
// A device holds a few long polls at once (Options.MaxPolls, 4) and sends
// at most its share of requests in ten minutes (Options.ReplaysPerDevice,
// 600): past either it is answered 429 rate_limited with Retry-After, and
// its other requests go on. An app that long-polls, one poll at a time,
// stays far below both.
//
// Errors are JSON, {"error":{"code","message"}}, as in every stepup API
// (package api). Bodies are at most 4 KiB.
package device
