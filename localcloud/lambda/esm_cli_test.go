package lambda

import (
	"testing"
	"time"
)

func TestESMCLI(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "")
	src, arn := w.queue(t, "cli-queue", redrive(30, "", 0))
	w.function(t, "cli-worker", 3, nil)
	aws := awsCLI(t, w.url)

	var created struct {
		UUID, State, EventSourceArn, FunctionArn string
		BatchSize                                int
		FilterCriteria                           struct{ Filters []struct{ Pattern string } }
		FunctionResponseTypes                    []string
	}
	aws(&created, "lambda", "create-event-source-mapping", "--function-name", "cli-worker", "--event-source-arn", arn,
		"--batch-size", "5", "--function-response-types", "ReportBatchItemFailures",
		"--filter-criteria", `{"Filters":[{"Pattern":"{\"body\":{\"kind\":[\"order\"]}}"}]}`)
	if created.UUID == "" || created.EventSourceArn != arn || created.BatchSize != 5 || len(created.FilterCriteria.Filters) != 1 ||
		created.FilterCriteria.Filters[0].Pattern != `{"body":{"kind":["order"]}}` || len(created.FunctionResponseTypes) != 1 {
		t.Errorf("create-event-source-mapping: got %+v", created)
	}

	var list struct {
		EventSourceMappings []struct{ UUID, State string }
	}
	aws(&list, "lambda", "list-event-source-mappings", "--function-name", "cli-worker")
	if len(list.EventSourceMappings) != 1 || list.EventSourceMappings[0].UUID != created.UUID || list.EventSourceMappings[0].State != "Enabled" {
		t.Errorf("list-event-source-mappings: got %+v, want the one mapping, Enabled", list)
	}

	w.send(t, src, `{"kind":"order"}`, `{"kind":"other"}`)
	waitFor(t, 15*time.Second, "the queue to empty", func() bool { return w.depth(t, src) == 0 })

	var up struct {
		State     string
		BatchSize int
	}
	aws(&up, "lambda", "update-event-source-mapping", "--uuid", created.UUID, "--no-enabled", "--batch-size", "7")
	if up.State != "Updating" || up.BatchSize != 7 {
		t.Errorf("update-event-source-mapping: got %+v, want Updating, batch 7", up)
	}
	var got struct{ State string }
	aws(&got, "lambda", "get-event-source-mapping", "--uuid", created.UUID)
	if got.State != "Disabled" {
		t.Errorf("get-event-source-mapping after --no-enabled: got State %q, want Disabled", got.State)
	}

	var del struct{ State string }
	aws(&del, "lambda", "delete-event-source-mapping", "--uuid", created.UUID)
	if del.State != "Deleting" {
		t.Errorf("delete-event-source-mapping: got State %q, want Deleting", del.State)
	}
}
