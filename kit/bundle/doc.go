// Package bundle packages a Go Lambda function the way AWS's provided.al2023
// and provided.al2 runtimes run it: a static executable named "bootstrap",
// alone in a zip, marked executable. AWS runs linux executables; the local
// cloud runs executables for the machine it runs on (bootstrap.exe on
// Windows), so the target OS is an option.
//
// Build compiles the main package in a directory with CGO_ENABLED=0,
// GOOS=linux (or the chosen OS), GOARCH=amd64 or arm64, the lambda.norpc tag, -trimpath and
// stripped symbols, and returns the zip's bytes. The zip is deterministic: the
// same source and toolchain give the same bytes, so its CodeSha256 changes
// only when the code does.
package bundle
