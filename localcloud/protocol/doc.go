// Package protocol holds what every service of the local cloud shares about the
// AWS wire protocols: who is calling (account and region from the SigV4
// credential scope), how a request is routed to a service (X-Amz-Target,
// Action= form bodies, REST paths), and how responses and errors are written in
// the awsJson, awsQuery and restJson shapes that the AWS SDKs decode into their
// typed errors.
//
// Services are plain http.Handlers. JSONService and QueryService turn a table
// of operation methods into such a handler; REST services write their own
// handlers with WriteJSON and WriteRESTError.
package protocol
