package downstream_test

import (
	"fmt"

	"github.com/labkit-dev/labkit/solutions/downstream"
)

// A load generator reads GET /records and tells redeliveries (harmless: one record, several
// deliveries) from duplicated effects (one order, several records).
func ExampleSummarize() {
	recs := []downstream.Record{
		{IdempotencyKey: "ord-1", OrderID: "ord-1", Count: 1, Deliveries: 3},
		{IdempotencyKey: "ord-2", OrderID: "ord-2", Count: 1, Deliveries: 1},
		{IdempotencyKey: "msg-77", OrderID: "ord-2", Count: 1, Deliveries: 1},
	}
	s := downstream.Summarize(recs)
	fmt.Printf("orders %d, duplicated %d, redeliveries %d\n", s.Orders, s.DuplicateEffects, s.Redeliveries)
	// Output:
	// orders 2, duplicated 1, redeliveries 2
}
