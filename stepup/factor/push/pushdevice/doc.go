// Package pushdevice is a reference push device: the protocol of package
// push, as a phone app speaks it, in a small Go client. stepup's tests use
// it as the phone; a mobile developer can read it beside push's
// documentation to check their app.
//
// A device makes a key (New), enrolls with the URI the user scanned
// (Enroll), waits for pushes (Next, a long poll), and answers each with
// the number the user picked (Approve) or a refusal (Deny). It keeps its
// key and id in memory only: a real app keeps them in the platform's key
// store.
package pushdevice
