// Package magiclink is the magic-link factor: a signed, single-use,
// short-lived link sent to one of the user's verified email addresses,
// which completes a sign-in or step-up in the browser that asked for it,
// and only there.
//
// # Protocol
//
// The addresses are the user's verified email authenticators (method
// EMAIL_OTP, Destination the address), which the email-code factor
// enrolls. A link proves the same thing a code sent there does, control of
// the mailbox, and is reported as EMAIL_MAGIC_LINK (amr "otp").
//
//  1. BeginVerify, in the tab that asks (tab A, in browser A), stores a
//     challenge bound to the user, the flow and a keyed hash of
//     Target.Browser (the hash of browser A's binding cookie), in state
//     pending, for at most ten minutes (NIST SP 800-63B §5.1.3.2), and
//     mails <BaseURL>/magic?token=<id>.<mac>, where mac is
//     HMAC-SHA256(Key, "stepup magiclink token v1\x00" + id). The prompt
//     gives tab A the challenge id and the masked address.
//  2. Tab A polls FinishVerify with the challenge id: factor.ErrPending.
//  3. GET /magic?token=… calls Peek, which checks the MAC and that the
//     challenge is pending and unexpired, and shows a page naming the site
//     and the masked address with one button, Continue (a POST form with a
//     CSRF token). Peek writes nothing.
//  4. The POST calls Open with the token and the posting browser's
//     binding. Open moves the challenge out of pending once, by a
//     compare-and-set, so a second Open fails with factor.ErrExpired.
//     - Same browser (A): state confirmed. The page says "Go back to
//     your first tab; it continues". Tab A's next poll of FinishVerify
//     consumes the challenge and returns the verification.
//     - Any other browser (B), or none: state elsewhere, and a new
//     six-digit code, stored only as an HMAC, which Open returns for
//     page B to show. Tab A's poll now gets ErrOpenedElsewhere and asks
//     for the code; FinishVerify with it consumes the challenge. Five
//     codes may be tried (Challenges.Attempt); then the challenge is gone.
//
// Open returns no session and no user: opening a link never signs in the
// browser that opens it, whichever it is. Only tab A, which already holds
// the flow, finishes it.
//
// # Threats
//
// Mail scanners and link previews fetch every URL in a message, some
// before the user sees it. The GET only reads (Peek); what spends the link
// is a POST with a CSRF token from the page, which a prefetch does not
// make. A scanner that renders the page and presses the button acts as
// another browser: it is shown a code nobody reads, and the user has to
// ask for a new link. That is a nuisance, not a sign-in.
//
// Tab A's challenge id is no link. The id is in tab A's prompt, so the
// person who starts a flow knows it; the link also needs the MAC, which
// only the key makes and only the mail carries. A token whose MAC does not
// verify is refused before the store is read.
//
// A forwarded link, or one opened on a phone, is opened in browser B. It
// is single use, so the first opening spends it, and in B it only shows a
// code: whoever holds the mail but not tab A gets nothing they can use.
//
// An attacker who knows the victim's password starts a flow in their own
// browser, so the link goes to the victim, and hopes the victim clicks.
// The victim's browser is not the attacker's, so the victim sees a code
// that works only in the attacker's tab: the victim must read it out or
// type it in a page the attacker shows them, knowingly. The page that
// shows the code must therefore say where it belongs and that no one else
// may have it, in words such as: "Someone asked to sign in to Site. If it
// was you, type this code in the window where you started signing in:
// 123 456. If you did not start a sign-in just now, close this page: do not
// type the code anywhere else, and do not tell it to anyone, even someone
// who says they are from Site." It never says "you are signed in".
//
// A link someone steals lives at most ten minutes and opens once. In the
// browser that asked for it, and in that one only, it completes the step
// without a code: taking that browser's binding cookie is the same
// attack as taking its session.
//
// A wrong guess at the code is one of five; a guess at the token is
// against a 256-bit MAC. Codes and browser hashes are keyed HMACs
// (separate domains under one key), compared in constant time.
package magiclink
