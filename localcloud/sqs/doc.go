// Package sqs is the local cloud's Amazon SQS: standard and FIFO queues,
// visibility timeouts, long polling, dead-letter redrive and message move
// tasks, durable in SQLite.
//
// Each operation is implemented once as a typed method; two thin adapters
// put the wire protocols in front of them: awsJson1_0 (what aws-sdk-go-v2 and
// recent CLIs send, X-Amz-Target: AmazonSQS.<Op>) and awsQuery (form bodies
// with Action=<Op>&Version=2012-11-05, what the AWS CLI 2.9 sends, answered
// in XML).
//
// State is kept per account and region. Every queue keeps its messages in
// memory behind its own lock; every change is written to SQLite by one
// writer goroutine that commits concurrent changes together (group commit)
// before the request that made them is answered.
package sqs
