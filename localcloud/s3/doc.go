// Package s3 is the local cloud's Amazon S3: buckets and objects over S3's
// REST-XML protocol, path-style (http://localhost:4566/bucket/key, what
// SDKs use with a custom endpoint and UsePathStyle) and virtual-host style
// (http://bucket.localhost:4566/key).
//
// It serves the calls a learner's deployment and code make: ListBuckets,
// CreateBucket, HeadBucket, GetBucketLocation, DeleteBucket, PutObject
// (plain, aws-chunked and with trailing checksums), GetObject (with a byte
// Range and conditional headers), HeadObject, CopyObject, DeleteObject,
// DeleteObjects, ListObjects, ListObjectsV2 and multipart uploads. Other
// sub-resources (ACLs, policies, versioning, tagging...) answer AWS's
// NotImplemented. Buckets are unversioned: the only version id is "null".
//
// Object bodies are files under the data directory named by random ids,
// never by their keys, so a key (untrusted, up to 1,024 bytes of anything)
// cannot name a path; their metadata lives in s3.db. Bodies are streamed in
// and out, never held whole in memory.
package s3
