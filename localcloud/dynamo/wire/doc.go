// Package wire checks DynamoDB requests against botocore's model of the API
// before they are decoded, and answers as DynamoDB does: a JSON value of the
// wrong type for a member is a SerializationException with the message of
// DynamoDB's deserializer ("NUMBER_VALUE cannot be converted to String",
// "Unexpected field type", ...). Members the model does not know
// are ignored, as DynamoDB ignores them.
//
// The table of shapes (shapes_gen.go) is generated from botocore's
// service-2.json by internal/gen; the messages are DynamoDB's, as a
// conformance suite run against real DynamoDB records them.
package wire
