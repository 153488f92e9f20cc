// Package checks is the grader's library of check kinds: the code behind the
// `kind:` a lab manifest names. Resource kinds inspect the account through
// aws-sdk-go-v2; functional kinds send test traffic to the learner's API.
//
// Library returns every kind; a new lab that needs only existing kinds needs
// no Go, just a manifest.
package checks

import "github.com/labkit-dev/labkit/grader"

// Library returns the grader's check kinds.
func Library() *grader.Library {
	l := grader.NewLibrary()
	for _, kinds := range [][]grader.Kind{dynamoKinds(), iamKinds(), lambdaKinds(), apigwKinds(), mappingKinds(),
		snsKinds(), sqsKinds(), logsKinds(), cloudwatchKinds(), functionalKinds()} {
		for _, k := range kinds {
			l.Register(k)
		}
	}
	return l
}
