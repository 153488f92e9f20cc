// Package kit is the lab kit. Its Kit builds the course's reference
// deployment (labs 1 to 5 of week 1) in an account, converges a partly built
// or broken one back to it, deletes it, and drives it (channel tokens, the
// downstream failure switch, a load generator).
//
// A Kit talks to its target only through aws-sdk-go-v2, so the same code
// path serves the local cloud and a real AWS account. Every method is
// idempotent: run over an existing deployment it brings each setting back to
// the reference (it does not only create what is missing) and waits until
// what it changed is ready (table ACTIVE, function Active and its last update
// Successful, event source mapping Enabled).
//
// Function code is packaged with package bundle from the solutions (or the
// starter, or any directory) of the labkit source tree; zips are cached in
// the user cache directory by a hash of their sources, so an unchanged
// function is neither rebuilt nor re-uploaded.
package kit
