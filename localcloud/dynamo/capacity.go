package dynamo

import (
	"context"
	"math"

	"github.com/labkit-dev/labkit/localcloud/dynamo/attr"
)

// capacity is an answer's ConsumedCapacity for units consumed on t (and as
// much on each of gsis) when mode asks for it: TOTAL names the table and
// the total, INDEXES adds the table's and each index's share, as DynamoDB
// answers (its single-item and batch calls send no Read/WriteCapacityUnits).
// It also meters the units (read or written) for CloudWatch (metrics.go).
func capacity(ctx context.Context, mode string, t *table, units float64, read bool, gsis ...string) map[string]any {
	meterUnits(ctx, t.meta.Name, units, read)
	if mode != "TOTAL" && mode != "INDEXES" {
		return nil
	}
	c := map[string]any{"TableName": t.meta.Name}
	total := units
	if mode == "INDEXES" {
		c["Table"] = map[string]any{"CapacityUnits": units}
		if len(gsis) > 0 {
			g := map[string]any{}
			for _, n := range gsis {
				g[n] = map[string]any{"CapacityUnits": units}
				total += units
			}
			c["GlobalSecondaryIndexes"] = g
		}
	}
	c["CapacityUnits"] = total
	return c
}

func writeUnits(items ...attr.Item) float64 {
	max := 0
	for _, it := range items {
		if it != nil {
			if n := itemSize(it); n > max {
				max = n
			}
		}
	}
	return math.Max(1, math.Ceil(float64(max)/1024))
}

func readUnits(size int, consistent bool) float64 {
	u := math.Max(1, math.Ceil(float64(size)/4096))
	if !consistent {
		u /= 2
	}
	return u
}

// gsisOf names the global secondary indexes that hold any of items.
func (t *table) gsisOf(items ...attr.Item) []string {
	var out []string
	for name, ix := range t.gsis {
		for _, it := range items {
			if it == nil {
				continue
			}
			if _, _, ok := ix.keys(it); ok {
				out = append(out, name)
				break
			}
		}
	}
	return out
}
