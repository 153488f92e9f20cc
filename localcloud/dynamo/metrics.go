package dynamo

import (
	"context"
	"encoding/json"
	"slices"
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

// meter gathers the units one request consumed, by table (a request
// touches a few tables at most: a slice, no map).
type meter struct {
	mu    sync.Mutex
	units []tableUnits
}

type tableUnits struct {
	table       string
	read, write float64
}

// meterUnits adds units consumed on table to the request's meter, if any.
func meterUnits(ctx context.Context, table string, units float64, read bool) {
	m, _ := ctx.Value(meterKey{}).(*meter)
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	i := slices.IndexFunc(m.units, func(u tableUnits) bool { return u.table == table })
	if i < 0 {
		m.units = append(m.units, tableUnits{table: table})
		i = len(m.units) - 1
	}
	if read {
		m.units[i].read += units
	} else {
		m.units[i].write += units
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
			m := &meter{}
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
// and units per table. A throttled request, which consumed nothing, names
// the table of its body.
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
	units := m.units
	if len(units) == 0 && outcome == "throttled" {
		var in struct{ TableName string }
		if json.Unmarshal(body, &in) == nil && in.TableName != "" {
			units = []tableUnits{{table: in.TableName}}
		}
	}
	id := protocol.IdentityFrom(ctx)
	for _, u := range units {
		ev := activity.Event{Kind: activity.KindTable, Service: "dynamodb", Name: u.table, Route: op, Account: id.AccountID, Region: id.Region,
			Outcome: outcome, Duration: d, Read: u.read, Write: u.write}
		s.cfg.Bus.Publish(ev)
	}
}
