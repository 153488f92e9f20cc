package localcloud

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// activityStream serves GET /_lab/activity?account=A[&account=B]: the
// activity bus's events of those accounts as server-sent events, one JSON
// activity.Event per "data:" line, until the client goes away. It is the
// lab's own endpoint (the classroom demo reads it when the local cloud runs
// in another process), under the router's guard like every request: a
// browser page of another origin or another host name is refused. A client
// that reads too slowly loses events rather than slowing the cloud.
func (c *Cloud) activityStream(w http.ResponseWriter, r *http.Request) {
	want := map[string]bool{}
	for _, a := range r.URL.Query()["account"] {
		if !protocol.IsAccountID(a) {
			http.Error(w, fmt.Sprintf("account %q: want a 12-digit account id", a), http.StatusBadRequest)
			return
		}
		want[a] = true
	}
	if len(want) == 0 {
		http.Error(w, "which accounts? add ?account=123456789012 (repeatable)", http.StatusBadRequest)
		return
	}
	rc := http.NewResponseController(w)
	events, stop := c.bus.Subscribe(8192)
	defer stop()
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	if err := rc.Flush(); err != nil {
		return
	}
	keepalive := time.NewTicker(15 * time.Second)
	defer keepalive.Stop()
	enc := json.NewEncoder(w)
	for {
		select {
		case <-r.Context().Done():
			return
		case <-keepalive.C:
			if _, err := fmt.Fprint(w, ": keepalive\n\n"); err != nil {
				return
			}
		case e := <-events:
			if !want[e.Account] {
				continue
			}
			fmt.Fprint(w, "data: ")
			if err := enc.Encode(e); err != nil { // Encode ends the line
				return
			}
			if _, err := fmt.Fprint(w, "\n"); err != nil {
				return
			}
		}
		// Flush once the burst is written, not per event.
		if len(events) == 0 {
			if err := rc.Flush(); err != nil {
				return
			}
		}
	}
}
