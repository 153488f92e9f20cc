// Package logs serves the local cloud's CloudWatch Logs API (awsJson1_1,
// X-Amz-Target Logs_20140328.<Op>): log groups and streams, retention,
// PutLogEvents, GetLogEvents, FilterLogEvents with AWS's filter pattern
// syntax (see CompilePattern), metric filters (which publish their metrics
// to CloudWatch, as do the embedded-metric-format lines functions write) and
// TestMetricFilter, tags, and a subset of Logs
// Insights (StartQuery, GetQueryResults, StopQuery: fields, display, filter,
// sort, limit and stats commands), evaluated when the query starts, with
// DescribeQueries, GetLogRecord (a result's @ptr), GetLogGroupFields and saved
// query definitions.
//
// Subscription filters deliver matching events to Lambda functions as AWS
// does (an asynchronous invocation by logs.amazonaws.com with the gzipped,
// base64 awslogs DATA_MESSAGE; see SetFunctions). The local cloud has no
// Kinesis or Firehose: those destinations are refused with the error AWS
// gives for a stream that is not there. Resource policies, destinations
// (recorded, nothing is delivered to them) and KMS key associations are
// kept as AWS shows them. With no S3 in the local cloud no bucket exists:
// CreateExportTask validates its request and group, then answers AWS's
// missing-bucket error.
//
// State is kept per account and region in logs.db. Events are committed by
// one writer that takes every caller waiting at that moment into a single
// transaction (group commit), so many concurrent writers (PutLogEvents and
// other services through Append) cost few SQLite commits. Events older than
// their group's retention are neither returned nor kept.
package logs
