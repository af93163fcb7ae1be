// Package push is the push factor with number matching: the user's phone
// holds a P-256 key, is told of a sign-in, and the user approves it by
// picking, among three numbers, the one the sign-in page shows.
//
// # Enrollment
//
// BeginEnroll returns a one-time URI (and its QR code) valid ten minutes:
//
//	stepup-push://enroll?server=https%3A%2F%2Fid.example.com&token=<token>
//
// The app generates a P-256 key pair (in the Secure Enclave or Android
// Keystore where it can) and posts to <server>/v1/device/enroll:
//
//	{"token": "<token>", "public_key": "<key>", "name": "Alice's Pixel",
//	 "platform": "android", "proof": "<signature>"}
//
// public_key is the SubjectPublicKeyInfo DER of the key, base64url without
// padding (Android: PublicKey.getEncoded(); iOS: the 65-byte X9.63 key of
// SecKeyCopyExternalRepresentation after the fixed 26-byte P-256 SPKI
// header 3059301306072a8648ce3d020106082a8648ce3d030107034200). proof is
// the key's signature of
//
//	"STEPUP-DEVICE-ENROLL-V1\n" + token + "\n" + public_key
//
// It proves the app holds the private key. The answer, 201
// {"device_id": "<id>"}, names the device in its requests from then on.
// The page meanwhile polls FinishEnroll, which says ErrPending until the
// device has enrolled, and then confirms the device: until that moment
// the device is not yet the user's factor, and its requests are refused
// as an unknown device's. A token enrolls one device.
//
// # Signatures and requests
//
// Signatures are ES256: ECDSA P-256 over the SHA-256 of the message, sent
// as the 64 bytes r||s (each big-endian, left-padded to 32 bytes),
// base64url without padding. (Android and iOS give DER: convert.)
//
// Every other request carries
//
//	Authorization: StepupDevice id="<device id>", ts="<unix seconds>", nonce="<nonce>", sig="<signature>"
//
// with nonce 16 to 64 random base64url characters, new for each request,
// and sig the signature of the canonical request, these lines joined by
// "\n" with no newline at the end:
//
//	STEPUP-DEVICE-V1
//	<method>                   GET, POST
//	<path and query>           as sent: /v1/device/challenges?wait=25
//	<device id>
//	<ts>
//	<nonce>
//	<hex SHA-256 of the body>  of the empty body for a GET
//
// The server refuses a ts more than five minutes (MaxSkew) from its clock,
// and a request it has seen within that time (same device, ts, nonce,
// path and body), so a captured request cannot be replayed. The path
// names the push an answer is for, so an approval cannot be moved onto
// another push; a push takes one answer, so it cannot be replayed onto
// the same one either.
//
// # Pushes
//
// BeginVerify stores a push for the user's devices, with a random number
// from 10 to 99 for the page to show (Prompt.Display) and three choices
// for the device: that number and two others, shuffled. It wakes the
// device API's long polls in this process and tells the operator's
// Notifier (WebhookNotifier: signed JSON, so the operator wakes the app
// through APNs or FCM). The device fetches its pushes with
//
//	GET /v1/device/challenges?wait=<seconds, at most 25>
//
// and answers one with
//
//	POST /v1/device/challenges/<id>   {"decision": "approve", "number": 42}
//	                                  {"decision": "deny"}
//
// An approval with another number than the page's is refused
// (StateWrongNumber): number matching makes the user look at the page
// they are signing in on, so that a push they did not start is not
// approved by reflex. The page polls FinishVerify: ErrPending while the
// push waits, ErrWrongAnswer once for a deny or a wrong number, the
// verification for a right approval, which consumes the push.
//
// # Limits
//
// Against push bombing, Limits bound what a user is sent, counted in the
// store so that they hold across restarts and replicas: one push waits at
// a time, at most three in ten minutes, and none for five minutes after a
// deny or a wrong number (DefaultLimits). A push refused by them is a
// *factor.WaitError with the time to wait.
package push
