package dynamo

// handCases are requests written by hand for what the model cannot
// generate: expressions, keys, items, lifecycle and protocol edges.
func handCases() []diffCase {
	return nil
}
