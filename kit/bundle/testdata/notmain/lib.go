// Package notmain is not a main package: Build must refuse it.
package notmain

// X exists so the package is not empty.
const X = 1
