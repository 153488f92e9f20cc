//go:build race

package dynamo

// raceEnabled: the race detector multiplies a process's memory (its shadow
// memory is several times the heap), so memory bounds are not measured.
const raceEnabled = true
