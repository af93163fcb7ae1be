// Package deliver sends the messages of the out-of-band factors: email,
// SMS and WhatsApp. It knows nothing of codes or links; a factor renders
// a message with the Renderer, gives it an id (NewID) and hands it to a
// Sender.
//
// # Senders
//
//   - SMTPSender: email through a submission server, with net/smtp.
//     STARTTLS is required unless ImplicitTLS (port 465) is chosen;
//     InsecurePlaintext works only towards a loopback address. AUTH PLAIN
//     is used only over TLS. The message is multipart/alternative with a
//     plain-text and an HTML part, both quoted-printable.
//   - TwilioSender: SMS and WhatsApp with Twilio's Messages API.
//   - WebhookSender: a signed JSON POST to the operator's own endpoint, so
//     that any provider can be plugged in.
//
// Every error a Sender returns wraps ErrUndelivered, whose text a page may
// show; the rest of the error is for the log. A sender tries again (at
// most Retry.Attempts times, with a doubling backoff, within the context)
// only when the message provably was not accepted; after an ambiguous
// outcome, such as a timeout once the message was sent, it gives up
// rather than risk sending a second code.
//
// # Webhook scheme
//
// WebhookSender posts the JSON of a WebhookPayload:
//
//	{"id":"3f0c…","channel":"sms","to":"+4915112345678",
//	 "text":"123456 is your Example code. …","created":"2026-11-29T14:00:00Z"}
//
// with Content-Type application/json and two headers:
//
//	Stepup-Timestamp: 1795960800
//	Stepup-Signature: v1=<hex of HMAC-SHA256(secret, timestamp + "." + body)>
//
// The timestamp is in Unix seconds, taken at each attempt. A receiver
// recomputes the HMAC over the raw body bytes it received, compares in
// constant time, and refuses a timestamp more than five minutes from its
// clock either way; VerifyWebhook does all this. The signature header may
// list several comma-separated "v1=" values, any of which may match, for
// rotating the secret.
//
// Any 2xx answer means the receiver took the message. A 429 or a failure
// to connect is retried with the same id; a 5xx is not (the receiver may
// have passed the message on before failing). Receivers should still
// drop a repeated id, since a proxy between them may repeat a request.
package deliver
