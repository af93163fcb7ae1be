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
//
// Every error a Sender returns wraps ErrUndelivered, whose text a page may
// show; the rest of the error is for the log. A sender tries again (at
// most Retry.Attempts times, with a doubling backoff, within the context)
// only when the message provably was not accepted; after an ambiguous
// outcome, such as a timeout once the message was sent, it gives up
// rather than risk sending a second code.
package deliver
