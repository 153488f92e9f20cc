package dynamo

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/labkit-dev/labkit/localcloud/activity"
	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// CloudWatch's AWS/DynamoDB table metrics come from the data-plane
// operations: each request carries a meter in its context, capacity()
// (items.go) adds the units it consumed on each table to it, and the
// request publishes one activity.KindTable event per table it touched when
// it ends: the operation, its outcome and duration, and the units.

// meteredOps are the operations AWS publishes table metrics for.
var meteredOps = map[string]bool{"PutItem": true, "GetItem": true, "UpdateItem": true, "DeleteItem": true, "Query": true, "Scan": true,
	"BatchGetItem": true, "BatchWriteItem": true, "TransactWriteItems": true, "TransactGetItems": true}

type meterKey struct{}

// meter gathers the units one request consumed, by table.
type meter struct {
	mu     sync.Mutex
	tables []string
	units  map[string]*[2]float64 // read, write
}

// meterUnits adds units consumed on table to the request's meter, if any.
func meterUnits(ctx context.Context, table string, units float64, read bool) {
	m, _ := ctx.Value(meterKey{}).(*meter)
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	u := m.units[table]
	if u == nil {
		u = &[2]float64{}
		m.units[table] = u
		m.tables = append(m.tables, table)
	}
	if read {
		u[0] += units
	} else {
		u[1] += units
	}
}

// metered wraps the data-plane operations so they publish their table
// metrics while anyone listens to the bus.
func (s *Service) metered(ops map[string]protocol.JSONOp) map[string]protocol.JSONOp {
	for name, op := range ops {
		if !meteredOps[name] {
			continue
		}
		ops[name] = func(ctx context.Context, body []byte) (any, error) {
			if !s.cfg.Bus.Active() {
				return op(ctx, body)
			}
			m := &meter{units: map[string]*[2]float64{}}
			began := time.Now()
			out, err := op(context.WithValue(ctx, meterKey{}, m), body)
			s.publishMeter(ctx, name, m, time.Since(began), err, body)
			return out, err
		}
	}
	return ops
}

// publishMeter publishes a request's table events: its outcome ("ok",
// "conditional" for a failed condition, "throttled", "error"), duration
// and units per table. A failed request names the table of its body.
func (s *Service) publishMeter(ctx context.Context, op string, m *meter, d time.Duration, err error, body []byte) {
	outcome := "ok"
	if err != nil {
		outcome = "error"
		if pe, ok := protocol.AsError(err); ok {
			switch pe.Code {
			case "ConditionalCheckFailedException":
				outcome = "conditional"
			case "ThrottlingException", "ProvisionedThroughputExceededException", "RequestLimitExceeded":
				outcome = "throttled"
			}
		}
	}
	tables := m.tables
	if len(tables) == 0 && err != nil {
		var in struct{ TableName string }
		if json.Unmarshal(body, &in) == nil && in.TableName != "" {
			tables = []string{in.TableName}
		}
	}
	id := protocol.IdentityFrom(ctx)
	for _, t := range tables {
		ev := activity.Event{Kind: activity.KindTable, Service: "dynamodb", Name: t, Route: op, Account: id.AccountID, Region: id.Region, Outcome: outcome, Duration: d}
		if u := m.units[t]; u != nil {
			ev.Read, ev.Write = u[0], u[1]
		}
		s.cfg.Bus.Publish(ev)
	}
}
