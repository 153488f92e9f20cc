// Package monitoring is the local cloud's CloudWatch (service id
// "monitoring"): metrics (PutMetricData, GetMetricStatistics with
// percentiles, GetMetricData with metric math, ListMetrics), metric and
// composite alarms that evaluate and notify SNS topics, dashboards and tags.
//
// It answers the three protocols CloudWatch clients speak: awsQuery (AWS CLI
// 2.9: Action= form bodies, XML answers), rpcv2-cbor (current
// aws-sdk-go-v2: POST /service/GraniteServiceVersion20100801/operation/<Op>,
// gzip-compressed PutMetricData bodies) and awsJson1_0. Each request is
// read into one tree and decoded into the operation's input by AWS's member
// names, so the three share every operation and every validation.
//
// Storage: every datum is a row in monitoring.db (SQLite, group commit) and
// a point in memory; alarms, dashboards and tags are JSON rows, alarm
// history its own table. Datapoints are kept for 15 days (AWS keeps 1-minute
// data that long, and coarser rollups longer, which the local cloud does
// not), alarm history for 30 days. What a response acknowledged survives
// kill -9.
//
// Alarms are evaluated every Config.EvaluationInterval (a minute, as on
// AWS) over their last EvaluationPeriods periods, the current one included,
// with AWS's rules for DatapointsToAlarm and TreatMissingData and AWS's
// reason texts; a state change records history and publishes AWS's alarm
// JSON to the SNS topics among the new state's actions.
package monitoring
