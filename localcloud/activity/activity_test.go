package activity

import (
	"testing"
	"time"
)

func TestBusFansOutAndDropsForSlowSubscribers(t *testing.T) {
	var nilBus *Bus
	nilBus.Publish(Event{Kind: KindRequest}) // a nil bus drops everything
	b := NewBus()
	if b.Active() {
		t.Fatal("a bus without subscribers says it is active")
	}
	b.Publish(Event{Kind: KindRequest}) // nobody listens: nothing to do
	fast, stopFast := b.Subscribe(10)
	slow, stopSlow := b.Subscribe(1)
	if !b.Active() {
		t.Fatal("a bus with subscribers says it is inactive")
	}
	for i := 0; i < 3; i++ {
		b.Publish(Event{Kind: KindInvocation, Name: "f", Status: i})
	}
	for i := 0; i < 3; i++ {
		select {
		case e := <-fast:
			if e.Status != i || e.Time.IsZero() {
				t.Errorf("event %d: got %+v", i, e)
			}
		case <-time.After(time.Second):
			t.Fatalf("event %d never arrived", i)
		}
	}
	if got := len(slow); got != 1 {
		t.Errorf("slow subscriber holds %d events, want 1 (the rest dropped, the cloud not slowed)", got)
	}
	stopFast()
	stopFast() // idempotent
	if _, open := <-fast; open {
		t.Errorf("the channel is open after the subscription ended")
	}
	stopSlow()
	if b.Active() {
		t.Errorf("the bus is active after every subscription ended")
	}
}

func TestTapSeesEveryEventInOrder(t *testing.T) {
	b := NewBus()
	var got []int
	stop := b.Tap(func(e Event) { got = append(got, e.Status) })
	if !b.Active() {
		t.Fatal("a bus with a tap says it is inactive")
	}
	slow, stopSlow := b.Subscribe(1) // a slow subscriber drops, the tap does not
	defer stopSlow()
	for i := 0; i < 100; i++ {
		b.Publish(Event{Kind: KindRequest, Status: i})
	}
	if len(got) != 100 || got[99] != 99 {
		t.Fatalf("tap saw %d events, want 100 in order", len(got))
	}
	if len(slow) != 1 {
		t.Fatalf("slow subscriber holds %d", len(slow))
	}
	stop()
	stopSlow()
	if b.Active() {
		t.Fatal("a bus without taps or subscribers says it is active")
	}
	b.Publish(Event{Kind: KindRequest})
	if len(got) != 100 {
		t.Fatal("a removed tap still sees events")
	}
}
