package lambda

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/labkit-dev/labkit/localcloud/activity"
	"github.com/labkit-dev/labkit/localcloud/cloudtest"
	"github.com/labkit-dev/labkit/localcloud/dynamo"
	"github.com/labkit-dev/labkit/localcloud/protocol"
)

func TestStreamWrite(t *testing.T) {
	t.Parallel()
	req := func(service, op string, status int) activity.Event {
		return activity.Event{Kind: activity.KindRequest, Service: service, Name: op, Status: status}
	}
	for _, c := range []struct {
		ev   activity.Event
		want bool
	}{
		{req("dynamodb", "PutItem", 200), true},
		{req("dynamodb", "TransactWriteItems", 200), true},
		{req("dynamodb", "PutItem", 400), false}, // refused: nothing written
		{req("dynamodb", "GetItem", 200), false},
		{req("dynamodb", "GetRecords", 200), false}, // the pollers' own reads must not wake them
		{req("sqs", "PutItem", 200), false},
		{activity.Event{Kind: activity.KindInvocation, Service: "dynamodb", Name: "PutItem"}, false},
	} {
		if got := streamWrite(c.ev); got != c.want {
			t.Errorf("streamWrite(%s %s %d %s) = %v, want %v", c.ev.Service, c.ev.Name, c.ev.Status, c.ev.Kind, got, c.want)
		}
	}
}

// TestStreamWakerWakesOnWrite: a write reported on the bus closes the
// channel a poller waits on; the bus is listened to only while a poller
// runs.
func TestStreamWakerWakesOnWrite(t *testing.T) {
	t.Parallel()
	bus := activity.NewBus()
	w := &streamWaker{bus: bus}
	unwatch := w.watch()
	unwatch2 := w.watch()
	if !bus.Active() {
		t.Fatal("a running poller does not listen to the bus")
	}
	written := w.written()
	bus.Publish(activity.Event{Kind: activity.KindRequest, Service: "dynamodb", Name: "PutItem", Status: 200})
	select {
	case <-written:
	case <-time.After(10 * time.Second): // a hang guard, not a latency bound
		t.Fatal("a PutItem did not wake the poller")
	}
	if next := w.written(); next == written {
		t.Fatal("after a wake, the next wait returns the closed channel again")
	}
	unwatch()
	unwatch() // idempotent
	if !bus.Active() {
		t.Fatal("the bus subscription ended while a poller still runs")
	}
	unwatch2()
	if bus.Active() {
		t.Fatal("the bus is still listened to after the last poller stopped")
	}
}

// TestStreamWakerWithoutBus: without a bus nothing wakes the pollers; they
// poll at their interval.
func TestStreamWakerWithoutBus(t *testing.T) {
	t.Parallel()
	w := &streamWaker{}
	defer w.watch()()
	select {
	case <-w.written():
		t.Fatal("woken without a bus")
	default:
	}
}

// TestStreamWakerHearsDynamoDBWrites: the router's report of a PutItem (its
// operation name as the router logs it) wakes the pollers.
func TestStreamWakerHearsDynamoDBWrites(t *testing.T) {
	t.Parallel()
	ddbSvc, err := dynamo.New(dynamo.Config{DataDir: t.TempDir(), Logger: cloudtest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ddbSvc.Close() })
	bus := activity.NewBus()
	rt := protocol.NewRouter(protocol.RouterConfig{Logger: cloudtest.Logger(t), Bus: bus})
	rt.Handle(ddbSvc.Route())
	srv := httptest.NewServer(rt)
	t.Cleanup(srv.Close)
	w := &world{ddb: dynamodb.NewFromConfig(cloudtest.Config(srv.URL, cloudtest.Account, "us-east-1"))}
	w.table(t, "orders")

	wk := &streamWaker{bus: bus}
	defer wk.watch()()
	written := wk.written()
	w.put(t, "orders", map[string]string{"pk": "a"})
	select {
	case <-written:
	case <-time.After(10 * time.Second): // a hang guard, not a latency bound
		t.Fatal("a PutItem through the router did not wake the pollers")
	}
}

// TestSleepOrWake: a wake ends the wait long before its interval; a
// cancelled context ends it with false.
func TestSleepOrWake(t *testing.T) {
	t.Parallel()
	woken := make(chan struct{})
	close(woken)
	done := make(chan bool, 1)
	go func() { done <- sleepOrWake(context.Background(), time.Hour, time.Millisecond, woken) }()
	select {
	case live := <-done:
		if !live {
			t.Error("a wake reported the context as ended")
		}
	case <-time.After(10 * time.Second): // a hang guard, not a latency bound
		t.Fatal("a wake did not end an hour's wait")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if sleepOrWake(ctx, time.Hour, 0, make(chan struct{})) {
		t.Error("a cancelled context reported as live")
	}
}
