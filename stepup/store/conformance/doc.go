// Package conformance is the one test suite every stepup store backend
// passes. A backend's test file is a few lines: it hands Run a NewBackend
// that makes an empty location for the data and returns a function opening
// it, and the suite does the rest.
//
// The suite checks the contract written in the doc comments of package store:
// records round-trip unchanged (times compared as instants, so a backend may
// return them in another zone); Versions start at 1 and every Update is a
// compare-and-set; missing, expired and consumed records are ErrNotFound and
// lost writes are ErrConflict; secondary keys are unique; the atomic
// primitives (Consume, Redeem, AdvanceCounter, Attempt, Rotate, Publish,
// Append) hold when 32 goroutines race, and Redeem and Rotate store the
// tokens they are given in the same step, or nothing; a record of a user
// needs the user to exist and goes when the user is deleted, and an access
// token needs its refresh family to be live; reads honour ExpiresAt and
// Sweep removes expired records for good, however far off the others
// expire; listings sort keys bytewise; and everything survives closing and
// reopening the store.
//
// Every subtest gets a fresh backend and its own Clock, which stands still
// until the test moves it, so no test sleeps. Record times carry microseconds:
// a backend must keep at least that precision.
package conformance
