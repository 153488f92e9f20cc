// Command inventory-worker applies each placed order to the inventory service, once in effect.
//
// It consumes the inventory-orders queue (an SQS event source mapping with
// FunctionResponseTypes ReportBatchItemFailures). The queue is subscribed to order-events with
// raw message delivery, so each message body is the order JSON itself. For each order it calls
// POST {INVENTORY_URL}/reservations with the header Idempotency-Key: <orderId> and the order
// as the body, then sets inventoryStatus = "DONE" on the order in the Orders table. A message
// it cannot parse, or whose call or update fails, is reported as a batch item failure: SQS
// redelivers it, and after maxReceiveCount receives moves it to the dead-letter queue, while
// the rest of the batch completes.
//
// Redeliveries are harmless: an order already DONE is skipped, and the service applies a key
// it has seen before only once.
//
// The code is solutions/internal/worker's, shared with the other worker; this command only
// names its service. Environment (see worker.New):
//
//	INVENTORY_URL          base URL of the inventory service (required)
//	TABLE_NAME             the orders table (default Orders)
//	DOWNSTREAM_TIMEOUT_MS  timeout of one call to the service (default 5000)
//	AWS_LAMBDA_LOG_LEVEL   DEBUG, INFO (default), WARN or ERROR
//	AWS_REGION, AWS_ENDPOINT_URL ... the SDK's standard configuration
package main

import "github.com/labkit-dev/labkit/solutions/internal/worker"

func main() { worker.Main(worker.Inventory) }
