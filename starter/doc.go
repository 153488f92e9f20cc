// Package starter holds nothing but this comment and the test that guards the starter code.
//
// Its subfolders are the Lambda functions the learner completes in labs 2 to 4
// (order-authorizer, order-intake, order-publisher, inventory-worker, accounting-worker): each
// compiles and deploys, and has `// TODO(lab N):` comments where the learner writes the logic.
// Their learner tests sit behind the build tag "learner" (see README.md):
//
//	go test -tags learner ./starter/...
//
// The untagged test in this folder runs those learner tests twice: against the untouched
// starter, where the listed tests must fail, and against the reference solutions (the same
// test files placed into solutions/ with go test -overlay), where all must pass.
package starter
