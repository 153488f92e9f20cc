// Package lambda is the Lambda service of the local cloud (restJson1,
// API version 2015-03-31).
//
// It runs what AWS runs on the provided.al2023 runtime: the uploaded zip's
// bootstrap executable, started as a process whose AWS_LAMBDA_RUNTIME_API
// points at a Runtime API that this package serves on a loopback port, one
// per execution environment. Environments are reused while warm, bounded by
// reserved or account concurrency, killed (with their whole process group)
// on timeout, crash, idleness or Close, and their stdout and stderr go to the
// CloudWatch Logs group /aws/lambda/<name> (or LoggingConfig.LogGroup) with
// START, END and REPORT lines.
// Python and Node.js functions run the same way, their process being the
// python3 or node on PATH running a Runtime API loop of runtimes/
// (interpreted.go).
//
// Function definitions, code, permissions, concurrency settings and queued
// asynchronous (Event) invocations are kept in SQLite under the data
// directory and survive a restart; environments always start cold.
//
// PublishVersion (and Publish on CreateFunction and UpdateFunctionCode)
// snapshots $LATEST as a numbered version that keeps its code and
// configuration; aliases name a version (optionally shifting a weighted
// share to a second one). A qualified name or ARN (fn:1, fn:live) invokes
// that version in warm environments of its own (versions.go, aliases.go).
//
// Layer versions (layers.go) are kept as zips with their permissions;
// CreateFunction and UpdateFunctionConfiguration refuse a layer version
// that does not exist or is another account's and not shared, but layers
// are not unpacked into /opt. Function URL configs, event invoke configs
// (eventconfig.go, destinations.go: an Event invocation follows the config
// of the version or alias it was invoked through (an alias without one,
// its version's), $LATEST's when unqualified; a function's DeadLetterConfig queue or topic receives the
// events given up on, deadletter.go) and provisioned concurrency configs are
// per-qualifier settings (fnconfigs.go) that go with their version or alias;
// the URLs themselves are not served. With reserved concurrency 0, Event
// invocations go straight to the dead-letter queue and OnFailure.
//
// Other services invoke functions through InvokeFromService, which checks
// the resource-based policy (AddPermission) of the ARN invoked: each
// version and alias has its own; the function's covers it and $LATEST.
// Another account invokes a function by ARN under the same rule; the local
// cloud's own pollers use Invoke, which checks nothing.
//
// Event source mappings (esm*.go) poll SQS queues and DynamoDB streams
// through the local cloud's own public APIs (the real SDK clients, acting in
// the mapping's account and region) and run batches through s.Invoke, whose
// errors are *protocol.Error (TooManyRequestsException when concurrency is
// exhausted) and whose InvocationResult carries FunctionError for function
// failures. Mappings and stream checkpoints live in lambda.db; pollers run
// under s.wg and stop on s.closed, DeleteEventSourceMapping or Enabled=false.
// An idle stream poller reads its shard again after 250 ms, as AWS does,
// or as soon as the activity bus reports a DynamoDB write (esm_wake.go).
package lambda
