// Package stepup is the decision engine of stepup, with no HTTP in it:
// requests become decisions, sessions reach levels, flows carry a pending
// sign-in or step-up to its completion target. Its sub-packages hold what the
// engine stands on: store (persistence), and in later work rules, signals and
// factors.
package stepup
