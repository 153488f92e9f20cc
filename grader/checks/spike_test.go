package checks_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/stretchr/testify/assert"

	"github.com/labkit-dev/labkit/grader"
)

// TestSpikeFailsWithoutThePipeline: lab 5's spike on an account whose
// orders cannot complete is a failure that says why, never a check that
// ran out of time (a grader error): with a queue of labs 3-4 missing it
// fails at once; with the workers' mappings disabled it waits, then
// counts what did not complete within the time it kept for that. Before,
// the second waited the check's whole time and then erred reading the
// downstream tables (a learner graded --lab all before reaching lab 4 was
// a grader error after 2 minutes).
func TestSpikeFailsWithoutThePipeline(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs Lambda functions")
	}
	t.Parallel()
	tests := []struct {
		name    string
		timeout time.Duration
		mutate  func(ctx context.Context, d *deployment)
		want    string
	}{
		{"a queue missing", 0, func(ctx context.Context, d *deployment) {
			_, err := d.sqs.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: aws.String(d.queueURL(ctx, "inventoryQueue"))})
			d.must(err, "delete queue")
		}, "inventory-orders"},
		{"the workers stopped", 25 * time.Second, func(ctx context.Context, d *deployment) {
			for _, fn := range []string{"inventoryWorker", "accountingWorker"} {
				_, err := d.lam.UpdateEventSourceMapping(ctx, &lambda.UpdateEventSourceMappingInput{UUID: d.mappingOf(ctx, fn), Enabled: aws.Bool(false)})
				d.must(err, "disable mapping")
			}
		}, "did not reach both statuses DONE"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d, cfg := solved(t, nil, nil)
			tc.mutate(context.Background(), d)
			spike := *only(t, "lab5/spike")[0]
			if tc.timeout > 0 {
				spike.Timeout = tc.timeout
			}
			start := time.Now()
			r := gradeChecks(t, cfg, nil, []*grader.Check{&spike})[0]
			assert.Equal(t, grader.Fail, r.Status, "%s: %v", r.Reason, r.Parts)
			assert.Contains(t, r.Reason+partsText(r.Parts), tc.want)
			t.Logf("%s in %s: %s", r.Status, time.Since(start).Round(time.Millisecond), r.Reason)
		})
	}
}

func partsText(ps []grader.Part) string {
	s := ""
	for _, p := range ps {
		s += " " + p.Name + ": " + p.Detail
	}
	return s
}
