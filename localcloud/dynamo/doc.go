// Package dynamo is the local cloud's DynamoDB and DynamoDB Streams API
// (awsJson1_0, targets DynamoDB_20120810.* and DynamoDBStreams_20120810.*).
//
// # What it implements
//
// Tables: CreateTable (key schema, attribute definitions checked against
// keys and indexes, PAY_PER_REQUEST or PROVISIONED, global and local
// secondary indexes with ALL / KEYS_ONLY / INCLUDE projections, streams,
// tags, SSE settings), DescribeTable (ACTIVE at once, so waiters work),
// ListTables, UpdateTable (billing mode, throughput, streams, GSI
// create/update/delete, deletion protection), DeleteTable, continuous
// backups (PITR flag), tags, time to live (with expiry), DescribeLimits and
// DescribeEndpoints.
//
// Items: PutItem, GetItem, UpdateItem, DeleteItem, Query, Scan (with
// segments), BatchGetItem, BatchWriteItem, TransactWriteItems (with client
// request tokens) and TransactGetItems, using the expressions of package
// expr. Conditional failures carry the old item when asked
// (ReturnValuesOnConditionCheckFailure), cancelled transactions their
// CancellationReasons, as the SDKs read them. The legacy parameters
// (Expected, AttributeUpdates, ConditionalOperator, KeyConditions,
// QueryFilter, ScanFilter, AttributesToGet) are served too: checked with
// DynamoDB's rules and messages (legacy.go), then run as the equivalent
// expressions.
//
// Streams: ListStreams, DescribeStream, GetShardIterator (TRIM_HORIZON,
// LATEST, AT_ and AFTER_SEQUENCE_NUMBER; iterators expire after 15 minutes)
// and GetRecords. Each stream has a single shard that holds every record in
// commit order. A write that changes nothing (an identical PutItem, an
// UpdateItem that sets what is there, deleting a missing item) writes no
// record, as the DynamoDB Streams documentation states. Re-enabling a
// stream creates a new stream (new label and ARN), and a disabled stream
// stays readable until its records age out (24 hours). Items whose time to
// live has passed are deleted within a minute, with a REMOVE record whose
// userIdentity is the DynamoDB service.
//
// # Durability and concurrency
//
// State lives in memory and on disk (dynamodb.db, SQLite, and
// dynamodb.journal in the data dir): each table keeps its items in ordered
// per-partition slices, and each secondary index its own, rebuilt at
// start-up. A write takes the table's lock, checks its condition against
// memory, applies the change in memory and submits the item row and its
// stream record to the single writer; it answers only once they are
// durable. The writer batches the requests that arrive together (group
// commit) and appends each batch's item changes and stream records to the
// journal in one write; it copies the journal into SQLite many batches per
// transaction (when a few thousand changes are pending, when writes pause,
// and before anything reads stream records from SQLite), and table metadata
// commits straight to SQLite. Durable means surviving the process being
// killed (kill -9), not a power cut. Because an item change and its
// stream record always travel in the same journal frame, every acknowledged
// write appears in the stream exactly once, also after a crash. Reads may
// see a write a few hundred microseconds before it is acknowledged.
package dynamo
