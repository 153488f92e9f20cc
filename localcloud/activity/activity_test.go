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
