// Package downstream simulates the customer's existing downstream services (inventory
// fulfillment and accounting) as HTTP API Lambdas, so the labs can count what reached them.
//
// Each service has its own DynamoDB table (partition key idempotencyKey, S) and two routes:
//
//	POST <effect path>   apply an order: header Idempotency-Key (required, at most 255
//	                     bytes), body the order JSON with a non-empty orderId. The first
//	                     request with a key records the effect (count 1); a repeat only counts
//	                     a delivery. Both answer 201 with the same body, the effect:
//	                     {"idempotencyKey","orderId","service","count","firstAt"}; a repeat
//	                     also carries the header Idempotent-Replayed: true.
//	                     400 MissingIdempotencyKey / ValidationError; 503 ServiceUnavailable
//	                     when the failure switch fires (before any effect).
//	GET /records         every record (the table is scanned to the end), optionally only
//	GET <effect path>    those of ?orderId=..., with a summary; ?view=summary gives only the
//	                     summary. See Listing. The second form lets one HTTP API front both
//	                     services (ANY /reservations and ANY /entries routes), where a shared
//	                     /records route could reach only one of them.
//
// Any other route answers 404. The failure switch is read from the environment at start:
// FAIL_RATE (0..1, the fraction of effect requests answered 503) and LATENCY_MS (added to
// every effect request); the kit flips them with UpdateFunctionConfiguration, which starts
// fresh environments.
//
// Duplicated effects show as more than one record for one orderId (the caller used a
// different key for the same order); redeliveries as deliveries > 1 on one record.
package downstream
