// Package conformance holds a local cloud service's responses to AWS's own
// description of them: botocore's service models, the data every AWS SDK's
// code generator reads.
//
// A test loads a model with [Load] (or [LoadForTest], which skips when the
// machine has no botocore), drives the service through the real
// aws-sdk-go-v2 client with a [Recorder] as its HTTP client, and hands the
// recorded calls to [Model.CheckCall]. Each [Violation] names the path in
// the body and what is wrong: a key or element the output shape does not
// have (AWS never sends it), a required member missing, a value of the
// wrong type (a string where the model has an integer, an ISO date where
// the JSON protocol sends epoch seconds), a value outside the shape's enum.
//
// JSON bodies (the json and rest-json protocols, and SQS's JSON answers to
// its query-protocol model), XML bodies (query and rest-xml) and rpcv2-cbor
// bodies (CloudWatch) are checked; members bound to headers or the status
// code are not part of the body, and for the rest protocols the headers
// are checked on their own. Members and enum values AWS added after the
// installed model are accepted through Model.Newer and Model.NewerValues,
// which a test fills only with what aws-sdk-go-v2's types have
// ([VerifyNewer]).
package conformance
