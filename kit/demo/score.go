package demo

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// Side is one design's column of the scoreboard.
type Side struct {
	// Sent orders the spikes offered; the door's answers: Accepted (201),
	// Throttled (429), Refused (other 4xx), Failed (5xx, timeouts).
	Sent      int `json:"sent"`
	Accepted  int `json:"accepted"`
	Throttled int `json:"throttled"`
	Refused   int `json:"refused"`
	Failed    int `json:"failed"`
	// Stored orders are in the design's table; Complete ones were applied
	// by both downstream services; Inconsistent = Stored - Complete: stored
	// and not applied, or applied by one service and not the other.
	Stored       int `json:"stored"`
	Complete     int `json:"complete"`
	Inconsistent int `json:"inconsistent"`
	// Waiting messages sit in the design's queues and dead-letter queues:
	// inconsistent orders that will still be applied (the monolith has none).
	Waiting int `json:"waiting"`
	// Latency of the door's answers.
	Latency Latency `json:"latencyMs"`
}

// tally counts a design's orders against its downstream services' records.
func (d *Demo) tally(ctx context.Context, c clients, table string) (stored, complete, deliveries int, err error) {
	orders, err := scan(ctx, c.ddb, table, "orderId")
	if err != nil {
		return 0, 0, 0, err
	}
	applied := map[string]int{}
	for _, t := range []string{d.names["inventoryTable"], d.names["accountingTable"]} {
		recs, err := scan(ctx, c.ddb, t, "orderId, deliveries")
		if err != nil {
			return 0, 0, 0, err
		}
		seen := map[string]bool{}
		for _, r := range recs {
			id := str(r["orderId"])
			n, _ := strconv.Atoi(num(r["deliveries"]))
			deliveries += n
			if !seen[id] {
				seen[id] = true
				applied[id]++
			}
		}
	}
	for _, o := range orders {
		if applied[str(o["orderId"])] == 2 {
			complete++
		}
	}
	return len(orders), complete, deliveries, nil
}

// scan reads a whole table (the demo's tables hold a class's worth of orders).
func scan(ctx context.Context, db *dynamodb.Client, table, projection string) ([]map[string]types.AttributeValue, error) {
	var items []map[string]types.AttributeValue
	p := dynamodb.NewScanPaginator(db, &dynamodb.ScanInput{TableName: aws.String(table), ProjectionExpression: aws.String(projection),
		ConsistentRead: aws.Bool(true)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("scan %s: %w", table, err)
		}
		items = append(items, out.Items...)
	}
	return items, nil
}

func str(v types.AttributeValue) string {
	if s, ok := v.(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}

func num(v types.AttributeValue) string {
	if n, ok := v.(*types.AttributeValueMemberN); ok {
		return n.Value
	}
	return "0"
}

// queueDepths reads every demo queue's visible and in-flight messages.
func (d *Demo) queueDepths(ctx context.Context) (map[string][2]int, error) {
	out := map[string][2]int{}
	for node, url := range d.queueURL {
		a, err := d.c.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
			AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages,
				sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible}})
		if err != nil {
			return nil, fmt.Errorf("read depth of %s: %w", node, err)
		}
		v, _ := strconv.Atoi(a.Attributes["ApproximateNumberOfMessages"])
		f, _ := strconv.Atoi(a.Attributes["ApproximateNumberOfMessagesNotVisible"])
		out[node] = [2]int{v, f}
	}
	return out, nil
}

// pipelineLogBytes sums the stored bytes of the pipeline functions' log groups.
func (d *Demo) pipelineLogBytes(ctx context.Context) (int64, error) {
	want := map[string]bool{}
	for fn, node := range d.top.nodes {
		if node != "inventory" && node != "accounting" {
			want["/aws/lambda/"+fn] = true
		}
	}
	var total int64
	p := cloudwatchlogs.NewDescribeLogGroupsPaginator(d.c.logs, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("/aws/lambda/")})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return 0, fmt.Errorf("read log groups: %w", err)
		}
		for _, g := range out.LogGroups {
			if want[aws.ToString(g.LogGroupName)] {
				total += aws.ToInt64(g.StoredBytes)
			}
		}
	}
	return total, nil
}

// poll refreshes the scoreboard, the queue depths and the log bytes.
func (d *Demo) poll(ctx context.Context) error {
	st, done, deliveries, err := d.tally(ctx, d.c, d.names["ordersTable"])
	if err != nil {
		return err
	}
	mst, mdone, _, err := d.tally(ctx, d.mc, "MonolithOrders")
	if err != nil {
		return err
	}
	depth, err := d.queueDepths(ctx)
	if err != nil {
		return err
	}
	logBytes, err := d.pipelineLogBytes(ctx)
	if err != nil {
		return err
	}
	waiting := 0
	for node, v := range depth {
		if !strings.HasPrefix(node, "pub") {
			waiting += v[0] + v[1]
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.score = map[string]Side{
		"decoupled": d.side("decoupled", st, done, waiting),
		"monolith":  d.side("monolith", mst, mdone, 0),
	}
	d.depth = depth
	d.logBytes = logBytes
	d.dsWrites = int64(deliveries)
	return nil
}

// side builds a design's column; d.mu is held.
func (d *Demo) side(design string, stored, complete, waiting int) Side {
	door := func(class string) int { return int(d.meter.total("door:" + design + ":" + class)) }
	return Side{Sent: d.sent[design], Accepted: door("ok"), Throttled: door("throttled"), Refused: door("refused"), Failed: door("failed"),
		Stored: stored, Complete: complete, Inconsistent: stored - complete, Waiting: waiting, Latency: d.meter.percentiles(design)}
}
