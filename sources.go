// Package labkit carries the sources the lab kit builds Lambda functions
// from, so that a prebuilt `lab` binary (built with -trimpath, run outside
// a clone) can still build them: the module's go.mod and go.sum, the
// reference solutions and the starter.
package labkit

import "embed"

// Sources holds go.mod, go.sum, solutions/ and starter/ as they are in the
// module, at the paths they have there.
//
//go:embed go.mod go.sum solutions starter
var Sources embed.FS
