// Package grader decides whether a learner's deployment does what a lab asks.
//
// A lab's manifest lists checks; each names a Kind from the check library
// and gives it parameters. Run runs a lab's checks concurrently, respecting
// their dependencies, and reports each Result as it finishes. Results are
// plain values: the terminal, JSON and JUnit renderers in package report,
// the web app and the instructor tools all read the same ones.
//
// The grader talks to AWS only through aws-sdk-go-v2 and to the learner's
// API only over HTTP; it never knows whether the account is real AWS or the
// local cloud.
package grader
