// Package sns is the local cloud's Amazon SNS: topics, subscriptions and
// publishing over the awsQuery protocol (Version 2010-03-31), with delivery
// to SQS queues (synchronously: when Publish answers, the message is in every
// matching queue), Lambda functions and HTTP/S endpoints (asynchronously,
// from a durable outbox, with retries and subscription dead-letter queues),
// raw message delivery and subscription filter policies (FilterPolicy).
//
// Mobile push platform applications and endpoints are kept as SNS keeps
// them and enabled endpoints accept publishes, but nothing reaches a device
// (the local cloud cannot call Apple's or Google's push services); platform
// credentials are never stored. SMS account attributes are kept; the local
// cloud sends no text messages, so no number is opted out and the account
// stays in the SMS sandbox.
//
// State lives in sns.db under the cloud's data directory; whatever a response
// acknowledges is committed before it is written.
package sns
