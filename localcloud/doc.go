// Package localcloud is the embedded AWS-compatible endpoint: one listener that
// serves DynamoDB (with Streams), SQS, SNS, IAM, STS, CloudWatch Logs, Lambda
// and API Gateway HTTP APIs well enough that aws-sdk-go-v2, the AWS CLI and
// boto3 work against it unchanged, with state kept in a data directory.
//
// Each service lives in its own package and is an http.Handler with a
// protocol.Route; this package only builds them, wires the few calls one
// service makes to another, and serves them.
package localcloud
