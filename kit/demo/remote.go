package demo

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labkit-dev/labkit/localcloud/activity"
)

// RemoteSource reads the activity of a local cloud in another process from
// its GET /_lab/activity stream, reconnecting when it drops.
type RemoteSource struct {
	// Endpoint is the local cloud's URL; Accounts are the accounts to follow.
	Endpoint string
	Accounts []string
	// HTTP defaults to a client without a timeout (the stream is long).
	HTTP *http.Client
}

// Subscribe implements Source. The first connection must succeed: a cloud
// too old to have the stream fails here with a clear error.
func (s RemoteSource) Subscribe(ctx context.Context) (<-chan activity.Event, error) {
	client := s.HTTP
	if client == nil {
		client = &http.Client{}
	}
	q := url.Values{"account": s.Accounts}
	u := strings.TrimRight(s.Endpoint, "/") + "/_lab/activity?" + q.Encode()
	resp, err := open(ctx, client, u)
	if err != nil {
		return nil, err
	}
	ch := make(chan activity.Event, 8192)
	go func() {
		defer close(ch)
		for {
			read(ctx, resp, ch)
			if ctx.Err() != nil {
				return
			}
			for resp = nil; resp == nil; {
				select {
				case <-ctx.Done():
					return
				case <-time.After(time.Second):
				}
				resp, _ = open(ctx, client, u)
			}
		}
	}()
	return ch, nil
}

func open(ctx context.Context, client *http.Client, u string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("follow the local cloud's activity (%s): %w", u, err)
	}
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		resp.Body.Close()
		return nil, fmt.Errorf("follow the local cloud's activity (%s): status %d: is it a labkit local cloud new enough to have /_lab/activity?", u, resp.StatusCode)
	}
	return resp, nil
}

// read passes the stream's events on until it ends; a full channel drops
// events, as the bus itself does.
func read(ctx context.Context, resp *http.Response, ch chan<- activity.Event) {
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		data, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		var e activity.Event
		if json.Unmarshal([]byte(data), &e) != nil {
			continue
		}
		select {
		case ch <- e:
		case <-ctx.Done():
			return
		default:
		}
	}
}
