package logs_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cwl "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/smithy-go"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
	"github.com/labkit-dev/labkit/localcloud/logs"
	"github.com/labkit-dev/labkit/localcloud/protocol"
)

func newService(t testing.TB, dir string) *logs.Service {
	t.Helper()
	svc, err := logs.New(logs.Config{DataDir: dir, Logger: cloudtest.Logger(t)})
	if err != nil {
		t.Fatalf("logs.New: %v", err)
	}
	t.Cleanup(func() { svc.Close() })
	return svc
}

func newClient(t testing.TB) (*cwl.Client, *logs.Service, string) {
	t.Helper()
	svc := newService(t, t.TempDir())
	url := cloudtest.Serve(t, svc.Route())
	return cwl.NewFromConfig(cloudtest.Config(url, cloudtest.Account, "us-east-1")), svc, url
}

func mustGroup(t testing.TB, c *cwl.Client, group string, streams ...string) {
	t.Helper()
	ctx := context.Background()
	if _, err := c.CreateLogGroup(ctx, &cwl.CreateLogGroupInput{LogGroupName: aws.String(group)}); err != nil {
		t.Fatalf("CreateLogGroup %s: %v", group, err)
	}
	for _, s := range streams {
		if _, err := c.CreateLogStream(ctx, &cwl.CreateLogStreamInput{LogGroupName: aws.String(group), LogStreamName: aws.String(s)}); err != nil {
			t.Fatalf("CreateLogStream %s: %v", s, err)
		}
	}
}

func mustStream(t testing.TB, c *cwl.Client, group, stream string) {
	t.Helper()
	if _, err := c.CreateLogStream(context.Background(), &cwl.CreateLogStreamInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream)}); err != nil {
		t.Fatalf("CreateLogStream %s: %v", stream, err)
	}
}

func put(t testing.TB, c *cwl.Client, group, stream string, msgs ...string) []int64 {
	t.Helper()
	base := time.Now().Add(-time.Minute).UnixMilli()
	var evs []types.InputLogEvent
	var ts []int64
	for i, m := range msgs {
		evs = append(evs, types.InputLogEvent{Timestamp: aws.Int64(base + int64(i)), Message: aws.String(m)})
		ts = append(ts, base+int64(i))
	}
	out, err := c.PutLogEvents(context.Background(), &cwl.PutLogEventsInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream), LogEvents: evs})
	if err != nil {
		t.Fatalf("PutLogEvents: %v", err)
	}
	if out.RejectedLogEventsInfo != nil {
		t.Fatalf("PutLogEvents rejected %+v", out.RejectedLogEventsInfo)
	}
	return ts
}

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func TestGroupsStreamsRetention(t *testing.T) {
	t.Parallel()
	c, _, _ := newClient(t)
	ctx := cloudtest.Context(t)
	mustGroup(t, c, "/aws/lambda/orders", "s-b", "s-a")
	_, err := c.CreateLogGroup(ctx, &cwl.CreateLogGroupInput{LogGroupName: aws.String("/aws/lambda/orders")})
	var exists *types.ResourceAlreadyExistsException
	if !errors.As(err, &exists) {
		t.Errorf("CreateLogGroup twice: got %v, want ResourceAlreadyExistsException", err)
	}
	_, err = c.CreateLogStream(ctx, &cwl.CreateLogStreamInput{LogGroupName: aws.String("/aws/lambda/orders"), LogStreamName: aws.String("s-a")})
	if !errors.As(err, &exists) {
		t.Errorf("CreateLogStream twice: got %v, want ResourceAlreadyExistsException", err)
	}
	_, err = c.CreateLogStream(ctx, &cwl.CreateLogStreamInput{LogGroupName: aws.String("/nope"), LogStreamName: aws.String("s")})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("CreateLogStream in a missing group: got %v, want ResourceNotFoundException", err)
	}
	mustGroup(t, c, "/aws/lambda/payments")
	mustGroup(t, c, "app-logs")

	if _, err := c.PutRetentionPolicy(ctx, &cwl.PutRetentionPolicyInput{LogGroupName: aws.String("/aws/lambda/orders"), RetentionInDays: aws.Int32(7)}); err != nil {
		t.Fatalf("PutRetentionPolicy: %v", err)
	}
	for _, days := range []int32{0, 2, 8, 4000} {
		_, err := c.PutRetentionPolicy(ctx, &cwl.PutRetentionPolicyInput{LogGroupName: aws.String("/aws/lambda/orders"), RetentionInDays: aws.Int32(days)})
		var inv *types.InvalidParameterException
		if !errors.As(err, &inv) {
			t.Errorf("retention %d: got %v, want InvalidParameterException", days, err)
		}
	}
	_, err = c.PutRetentionPolicy(ctx, &cwl.PutRetentionPolicyInput{LogGroupName: aws.String("/missing"), RetentionInDays: aws.Int32(7)})
	if !errors.As(err, &nf) {
		t.Errorf("retention on a missing group: got %v, want ResourceNotFoundException", err)
	}

	out, err := c.DescribeLogGroups(ctx, &cwl.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("/aws/lambda/")})
	if err != nil {
		t.Fatalf("DescribeLogGroups: %v", err)
	}
	if len(out.LogGroups) != 2 {
		t.Fatalf("got %d groups, want 2", len(out.LogGroups))
	}
	g := out.LogGroups[0]
	if got, want := aws.ToString(g.LogGroupName), "/aws/lambda/orders"; got != want {
		t.Errorf("got first group %q, want %q", got, want)
	}
	if got := aws.ToInt32(g.RetentionInDays); got != 7 {
		t.Errorf("got retention %d, want 7", got)
	}
	if got, want := aws.ToString(g.Arn), "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/orders:*"; got != want {
		t.Errorf("got arn %q, want %q", got, want)
	}
	if g.LogGroupClass != types.LogGroupClassStandard || aws.ToInt64(g.CreationTime) == 0 {
		t.Errorf("got class %q creation %d, want STANDARD and a time", g.LogGroupClass, aws.ToInt64(g.CreationTime))
	}
	if out.LogGroups[1].RetentionInDays != nil {
		t.Errorf("got retention %d on a group without a policy, want none", *out.LogGroups[1].RetentionInDays)
	}
	pat, err := c.DescribeLogGroups(ctx, &cwl.DescribeLogGroupsInput{LogGroupNamePattern: aws.String("PAYMENT")})
	if err != nil || len(pat.LogGroups) != 1 {
		t.Errorf("DescribeLogGroups by pattern: got %+v %v, want 1 group", pat, err)
	}

	// Paging with the SDK paginator.
	var names []string
	p := cwl.NewDescribeLogGroupsPaginator(c, &cwl.DescribeLogGroupsInput{Limit: aws.Int32(2)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("DescribeLogGroups page: %v", err)
		}
		for _, g := range page.LogGroups {
			names = append(names, aws.ToString(g.LogGroupName))
		}
	}
	if want := []string{"/aws/lambda/orders", "/aws/lambda/payments", "app-logs"}; !reflect.DeepEqual(names, want) {
		t.Errorf("got %v, want %v", names, want)
	}

	if _, err := c.DeleteRetentionPolicy(ctx, &cwl.DeleteRetentionPolicyInput{LogGroupName: aws.String("/aws/lambda/orders")}); err != nil {
		t.Fatalf("DeleteRetentionPolicy: %v", err)
	}

	put(t, c, "/aws/lambda/orders", "s-b", "later")
	streams, err := c.DescribeLogStreams(ctx, &cwl.DescribeLogStreamsInput{LogGroupName: aws.String("/aws/lambda/orders")})
	if err != nil {
		t.Fatalf("DescribeLogStreams: %v", err)
	}
	if len(streams.LogStreams) != 2 || aws.ToString(streams.LogStreams[0].LogStreamName) != "s-a" {
		t.Fatalf("got streams %+v, want s-a, s-b", streams.LogStreams)
	}
	sb := streams.LogStreams[1]
	if sb.FirstEventTimestamp == nil || sb.LastEventTimestamp == nil || sb.LastIngestionTime == nil {
		t.Errorf("got stream %+v, want event timestamps", sb)
	}
	if got, want := aws.ToString(sb.Arn), "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/orders:log-stream:s-b"; got != want {
		t.Errorf("got stream arn %q, want %q", got, want)
	}
	byTime, err := c.DescribeLogStreams(ctx, &cwl.DescribeLogStreamsInput{LogGroupName: aws.String("/aws/lambda/orders"), OrderBy: types.OrderByLastEventTime, Descending: aws.Bool(true)})
	if err != nil {
		t.Fatalf("DescribeLogStreams by time: %v", err)
	}
	if got := aws.ToString(byTime.LogStreams[0].LogStreamName); got != "s-b" {
		t.Errorf("got newest stream %q, want s-b", got)
	}
	prefixed, err := c.DescribeLogStreams(ctx, &cwl.DescribeLogStreamsInput{LogGroupIdentifier: aws.String("arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/orders"), LogStreamNamePrefix: aws.String("s-a")})
	if err != nil || len(prefixed.LogStreams) != 1 {
		t.Errorf("DescribeLogStreams by prefix and ARN: got %+v %v, want s-a", prefixed, err)
	}

	if _, err := c.DeleteLogStream(ctx, &cwl.DeleteLogStreamInput{LogGroupName: aws.String("/aws/lambda/orders"), LogStreamName: aws.String("s-b")}); err != nil {
		t.Fatalf("DeleteLogStream: %v", err)
	}
	_, err = c.GetLogEvents(ctx, &cwl.GetLogEventsInput{LogGroupName: aws.String("/aws/lambda/orders"), LogStreamName: aws.String("s-b")})
	if !errors.As(err, &nf) {
		t.Errorf("GetLogEvents on a deleted stream: got %v, want ResourceNotFoundException", err)
	}
	if _, err := c.DeleteLogGroup(ctx, &cwl.DeleteLogGroupInput{LogGroupName: aws.String("/aws/lambda/orders")}); err != nil {
		t.Fatalf("DeleteLogGroup: %v", err)
	}
	_, err = c.DeleteLogGroup(ctx, &cwl.DeleteLogGroupInput{LogGroupName: aws.String("/aws/lambda/orders")})
	if !errors.As(err, &nf) {
		t.Errorf("DeleteLogGroup twice: got %v, want ResourceNotFoundException", err)
	}
}

func TestTags(t *testing.T) {
	t.Parallel()
	c, _, _ := newClient(t)
	ctx := cloudtest.Context(t)
	if _, err := c.CreateLogGroup(ctx, &cwl.CreateLogGroupInput{LogGroupName: aws.String("g"), Tags: map[string]string{"lab": "1"}}); err != nil {
		t.Fatal(err)
	}
	arn := "arn:aws:logs:us-east-1:123456789012:log-group:g"
	if _, err := c.TagResource(ctx, &cwl.TagResourceInput{ResourceArn: aws.String(arn), Tags: map[string]string{"team": "a"}}); err != nil {
		t.Fatalf("TagResource: %v", err)
	}
	if _, err := c.UntagResource(ctx, &cwl.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: []string{"lab"}}); err != nil {
		t.Fatalf("UntagResource: %v", err)
	}
	out, err := c.ListTagsForResource(ctx, &cwl.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
	if err != nil {
		t.Fatalf("ListTagsForResource: %v", err)
	}
	if want := map[string]string{"team": "a"}; !reflect.DeepEqual(out.Tags, want) {
		t.Errorf("got tags %v, want %v", out.Tags, want)
	}
	if _, err := c.TagLogGroup(ctx, &cwl.TagLogGroupInput{LogGroupName: aws.String("g"), Tags: map[string]string{"x": "y"}}); err != nil {
		t.Fatalf("TagLogGroup: %v", err)
	}
	old, err := c.ListTagsLogGroup(ctx, &cwl.ListTagsLogGroupInput{LogGroupName: aws.String("g")})
	if err != nil || len(old.Tags) != 2 {
		t.Errorf("ListTagsLogGroup: got %v %v, want 2 tags", old, err)
	}
	_, err = c.ListTagsForResource(ctx, &cwl.ListTagsForResourceInput{ResourceArn: aws.String("arn:aws:logs:us-east-1:123456789012:log-group:nope")})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("tags of a missing group: got %v, want ResourceNotFoundException", err)
	}
}

func TestPutGetLogEventsPaging(t *testing.T) {
	t.Parallel()
	c, _, _ := newClient(t)
	ctx := cloudtest.Context(t)
	mustGroup(t, c, "g", "s")
	var msgs []string
	for i := 0; i < 25; i++ {
		msgs = append(msgs, fmt.Sprintf("line %02d", i))
	}
	ts := put(t, c, "g", "s", msgs...)

	// Forward from the head with the SDK paginator, 10 per page.
	var got []string
	pages := 0
	p := cwl.NewGetLogEventsPaginator(c, &cwl.GetLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s"), StartFromHead: aws.Bool(true), Limit: aws.Int32(10)},
		func(o *cwl.GetLogEventsPaginatorOptions) { o.StopOnDuplicateToken = true })
	for p.HasMorePages() && pages < 20 {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("GetLogEvents: %v", err)
		}
		pages++
		for _, e := range out.Events {
			got = append(got, aws.ToString(e.Message))
		}
	}
	if !reflect.DeepEqual(got, msgs) {
		t.Errorf("got %v, want %v", got, msgs)
	}
	if pages != 4 { // 10, 10, 5, then the repeated token
		t.Errorf("got %d pages, want 4", pages)
	}

	// Default: the newest events, then backwards.
	out, err := c.GetLogEvents(ctx, &cwl.GetLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s"), Limit: aws.Int32(10)})
	if err != nil {
		t.Fatalf("GetLogEvents: %v", err)
	}
	if len(out.Events) != 10 || aws.ToString(out.Events[0].Message) != "line 15" || aws.ToString(out.Events[9].Message) != "line 24" {
		t.Fatalf("got %d events from %q, want lines 15..24", len(out.Events), aws.ToString(out.Events[0].Message))
	}
	back, err := c.GetLogEvents(ctx, &cwl.GetLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s"), Limit: aws.Int32(10), NextToken: out.NextBackwardToken})
	if err != nil {
		t.Fatalf("GetLogEvents backward: %v", err)
	}
	if len(back.Events) != 10 || aws.ToString(back.Events[0].Message) != "line 05" {
		t.Errorf("got %d events from %q, want lines 05..14", len(back.Events), aws.ToString(back.Events[0].Message))
	}
	// The forward token of the newest page sees new events as they come.
	fwd, err := c.GetLogEvents(ctx, &cwl.GetLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s"), NextToken: out.NextForwardToken})
	if err != nil || len(fwd.Events) != 0 || aws.ToString(fwd.NextForwardToken) != aws.ToString(out.NextForwardToken) {
		t.Errorf("tail with no new events: got %d events, token %q (%v), want 0 and the same token", len(fwd.Events), aws.ToString(fwd.NextForwardToken), err)
	}
	later := time.Now().UnixMilli()
	if _, err := c.PutLogEvents(ctx, &cwl.PutLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s"), SequenceToken: aws.String("ignored"),
		LogEvents: []types.InputLogEvent{{Timestamp: aws.Int64(later), Message: aws.String("new")}}}); err != nil {
		t.Fatalf("PutLogEvents: %v", err)
	}
	fwd, err = c.GetLogEvents(ctx, &cwl.GetLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s"), NextToken: out.NextForwardToken})
	if err != nil || len(fwd.Events) != 1 || aws.ToString(fwd.Events[0].Message) != "new" {
		t.Errorf("tail: got %+v %v, want the new event", fwd, err)
	}

	// Time window: [start, end).
	win, err := c.GetLogEvents(ctx, &cwl.GetLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s"), StartFromHead: aws.Bool(true),
		StartTime: aws.Int64(ts[3]), EndTime: aws.Int64(ts[6])})
	if err != nil || len(win.Events) != 3 || aws.ToString(win.Events[0].Message) != "line 03" {
		t.Errorf("window: got %+v %v, want lines 03..05", win, err)
	}
	if win.Events[0].IngestionTime == nil || aws.ToInt64(win.Events[0].Timestamp) != ts[3] {
		t.Errorf("got event %+v, want timestamp %d and an ingestion time", win.Events[0], ts[3])
	}
	_, err = c.GetLogEvents(ctx, &cwl.GetLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s"), NextToken: aws.String("garbage")})
	if got := apiCode(err); got != "InvalidParameterException" {
		t.Errorf("bad token: got %v, want InvalidParameterException", err)
	}
}

func TestPutLogEventsValidation(t *testing.T) {
	t.Parallel()
	c, _, _ := newClient(t)
	ctx := cloudtest.Context(t)
	mustGroup(t, c, "g", "s")
	now := time.Now().UnixMilli()
	ev := func(ts int64, m string) types.InputLogEvent {
		return types.InputLogEvent{Timestamp: aws.Int64(ts), Message: aws.String(m)}
	}
	bad := map[string][]types.InputLogEvent{
		"out of order": {ev(now, "b"), ev(now-10, "a")},
		"spans a day":  {ev(now-25*3600*1000, "a"), ev(now, "b")},
		"too many":     make([]types.InputLogEvent, 10001),
		"too large":    {ev(now, string(make([]byte, 300000)))},
	}
	for i := range bad["too many"] {
		bad["too many"][i] = ev(now, "x")
	}
	for name, evs := range bad {
		_, err := c.PutLogEvents(ctx, &cwl.PutLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s"), LogEvents: evs})
		var inv *types.InvalidParameterException
		if !errors.As(err, &inv) {
			t.Errorf("%s: got %v, want InvalidParameterException", name, err)
		}
	}
	_, err := c.PutLogEvents(ctx, &cwl.PutLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("missing"), LogEvents: []types.InputLogEvent{ev(now, "x")}})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("missing stream: got %v, want ResourceNotFoundException", err)
	}

	out, err := c.PutLogEvents(ctx, &cwl.PutLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s"), LogEvents: []types.InputLogEvent{
		ev(now-15*24*3600*1000, "too old"), ev(now-15*24*3600*1000+1, "too old too"), ev(now, "ok"), ev(now+3*3600*1000, "too new"),
	}})
	if err == nil {
		// The span check comes first on AWS too; split the cases.
		t.Fatalf("PutLogEvents spanning 15 days: got no error, want InvalidParameterException")
	}
	out, err = c.PutLogEvents(ctx, &cwl.PutLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s"), LogEvents: []types.InputLogEvent{
		ev(now, "ok"), ev(now+3*3600*1000, "too new"),
	}})
	if err != nil {
		t.Fatalf("PutLogEvents: %v", err)
	}
	if out.NextSequenceToken == nil {
		t.Errorf("got no nextSequenceToken")
	}
	if r := out.RejectedLogEventsInfo; r == nil || aws.ToInt32(r.TooNewLogEventStartIndex) != 1 {
		t.Errorf("got rejected %+v, want tooNewLogEventStartIndex 1", r)
	}
	old := now - 15*24*3600*1000
	out, err = c.PutLogEvents(ctx, &cwl.PutLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s"), LogEvents: []types.InputLogEvent{
		ev(old, "too old"), ev(old+1, "too old too"),
	}})
	if err != nil {
		t.Fatalf("PutLogEvents: %v", err)
	}
	if r := out.RejectedLogEventsInfo; r == nil || aws.ToInt32(r.TooOldLogEventEndIndex) != 1 {
		t.Errorf("got rejected %+v, want tooOldLogEventEndIndex 1", r)
	}
	got, _ := c.GetLogEvents(ctx, &cwl.GetLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s")})
	if len(got.Events) != 1 || aws.ToString(got.Events[0].Message) != "ok" {
		t.Errorf("got %+v, want only the accepted event", got.Events)
	}
}

func TestRetentionHidesOldEvents(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	now := time.Now()
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	svc, err := logs.New(logs.Config{DataDir: dir, Now: clock, PruneEvery: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	c := cwl.NewFromConfig(cloudtest.Config(cloudtest.Serve(t, svc.Route()), cloudtest.Account, "us-east-1"))
	ctx := cloudtest.Context(t)
	mustGroup(t, c, "g", "s")
	day := int64(24 * 3600 * 1000)
	t0 := now.UnixMilli()
	if _, err := c.PutLogEvents(ctx, &cwl.PutLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s"), LogEvents: []types.InputLogEvent{
		{Timestamp: aws.Int64(t0 - 2*day + 1000), Message: aws.String("two days old")},
		{Timestamp: aws.Int64(t0 - 2*day + 2000), Message: aws.String("also two days old")},
	}}); err != nil {
		t.Fatal(err)
	}
	put(t, c, "g", "s", "fresh")
	if _, err := c.PutRetentionPolicy(ctx, &cwl.PutRetentionPolicyInput{LogGroupName: aws.String("g"), RetentionInDays: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	got, err := c.FilterLogEvents(ctx, &cwl.FilterLogEventsInput{LogGroupName: aws.String("g")})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Events) != 1 || aws.ToString(got.Events[0].Message) != "fresh" {
		t.Errorf("got %d events, want only the fresh one", len(got.Events))
	}
	ge, _ := c.GetLogEvents(ctx, &cwl.GetLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s"), StartFromHead: aws.Bool(true)})
	if len(ge.Events) != 1 {
		t.Errorf("GetLogEvents: got %d events, want 1", len(ge.Events))
	}
	// After a restart the pruner deletes them for good.
	svc.Close()
	svc2, err := logs.New(logs.Config{DataDir: dir, Now: clock, PruneEvery: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc2.Close() })
	c2 := cwl.NewFromConfig(cloudtest.Config(cloudtest.Serve(t, svc2.Route()), cloudtest.Account, "us-east-1"))
	if _, err := c2.DeleteRetentionPolicy(ctx, &cwl.DeleteRetentionPolicyInput{LogGroupName: aws.String("g")}); err != nil {
		t.Fatal(err)
	}
	got, err = c2.FilterLogEvents(ctx, &cwl.FilterLogEventsInput{LogGroupName: aws.String("g")})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Events) != 1 {
		t.Errorf("got %d events after the pruner ran, want 1", len(got.Events))
	}
}

func TestFilterLogEvents(t *testing.T) {
	t.Parallel()
	c, _, _ := newClient(t)
	ctx := cloudtest.Context(t)
	mustGroup(t, c, "/aws/lambda/orders", "2024/01/01/[$LATEST]a", "2024/01/01/[$LATEST]b", "other")
	put(t, c, "/aws/lambda/orders", "2024/01/01/[$LATEST]a",
		`{"level":"INFO","orderId":"o-1","latency":50}`,
		`{"level":"ERROR","orderId":"o-2","latency":500}`,
		"START RequestId: 1 Version: $LATEST")
	put(t, c, "/aws/lambda/orders", "2024/01/01/[$LATEST]b",
		`{"level":"ERROR","orderId":"o-1","latency":150,"lines":[{"sku":"A-1"}]}`,
		"plain ERROR text",
		"REPORT RequestId: 2 Duration: 3 ms")
	put(t, c, "/aws/lambda/orders", "other", `{"orderId":"o-1"}`)

	tests := []struct {
		name string
		in   cwl.FilterLogEventsInput
		want int
	}{
		{"all", cwl.FilterLogEventsInput{}, 7},
		{"term", cwl.FilterLogEventsInput{FilterPattern: aws.String("ERROR")}, 3},
		{"quoted", cwl.FilterLogEventsInput{FilterPattern: aws.String(`"RequestId: 2"`)}, 1},
		{"or terms", cwl.FilterLogEventsInput{FilterPattern: aws.String("?START ?REPORT")}, 2},
		{"json equals", cwl.FilterLogEventsInput{FilterPattern: aws.String(`{ $.orderId = "o-1" }`)}, 3},
		{"json and", cwl.FilterLogEventsInput{FilterPattern: aws.String(`{ $.level = "ERROR" && $.latency > 100 }`)}, 2},
		{"json array", cwl.FilterLogEventsInput{FilterPattern: aws.String(`{ $.lines[0].sku = "A-*" }`)}, 1},
		{"stream names", cwl.FilterLogEventsInput{LogStreamNames: []string{"other"}, FilterPattern: aws.String(`{ $.orderId = "o-1" }`)}, 1},
		{"stream prefix", cwl.FilterLogEventsInput{LogStreamNamePrefix: aws.String("2024/01/01/"), FilterPattern: aws.String(`{ $.orderId = "o-1" }`)}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			in.LogGroupName = aws.String("/aws/lambda/orders")
			out, err := c.FilterLogEvents(ctx, &in)
			if err != nil {
				t.Fatalf("FilterLogEvents: %v", err)
			}
			if got := len(out.Events); got != tt.want {
				t.Errorf("got %d events, want %d", got, tt.want)
			}
			for i, e := range out.Events {
				if aws.ToString(e.EventId) == "" || aws.ToString(e.LogStreamName) == "" || e.IngestionTime == nil {
					t.Errorf("event %d: got %+v, want eventId, logStreamName and ingestionTime", i, e)
				}
				if i > 0 && aws.ToInt64(e.Timestamp) < aws.ToInt64(out.Events[i-1].Timestamp) {
					t.Errorf("events out of time order")
				}
			}
		})
	}

	// Paging with the SDK paginator, by group ARN.
	var n, pages int
	p := cwl.NewFilterLogEventsPaginator(c, &cwl.FilterLogEventsInput{LogGroupIdentifier: aws.String("arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/orders"), Limit: aws.Int32(3)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("FilterLogEvents page: %v", err)
		}
		n += len(out.Events)
		pages++
	}
	if n != 7 || pages != 3 {
		t.Errorf("got %d events in %d pages, want 7 in 3", n, pages)
	}

	_, err := c.FilterLogEvents(ctx, &cwl.FilterLogEventsInput{LogGroupName: aws.String("/aws/lambda/orders"), FilterPattern: aws.String(`{ $.a = `)})
	var inv *types.InvalidParameterException
	if !errors.As(err, &inv) || inv.ErrorMessage() != "Invalid filter pattern" {
		t.Errorf("bad pattern: got %v, want InvalidParameterException Invalid filter pattern", err)
	}
	_, err = c.FilterLogEvents(ctx, &cwl.FilterLogEventsInput{LogGroupName: aws.String("/missing")})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("missing group: got %v, want ResourceNotFoundException", err)
	}
}

func TestAppendConcurrent(t *testing.T) {
	t.Parallel()
	c, svc, _ := newClient(t)
	ctx := cloudtest.Context(t)
	const writers, batches, perBatch = 16, 20, 5
	var wg sync.WaitGroup
	errs := make(chan error, writers*batches)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for b := 0; b < batches; b++ {
				var evs []protocol.LogEvent
				for i := 0; i < perBatch; i++ {
					evs = append(evs, protocol.LogEvent{Time: time.Now(), Message: fmt.Sprintf("w%d b%d e%d", w, b, i)})
				}
				if err := svc.Append(ctx, cloudtest.Account, "us-east-1", "/aws/lambda/fn", fmt.Sprintf("stream-%d", w%4), evs); err != nil {
					errs <- err
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("Append: %v", err)
	}
	total := 0
	p := cwl.NewFilterLogEventsPaginator(c, &cwl.FilterLogEventsInput{LogGroupName: aws.String("/aws/lambda/fn")})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		total += len(out.Events)
	}
	if want := writers * batches * perBatch; total != want {
		t.Errorf("got %d events, want %d", total, want)
	}
	streams, err := c.DescribeLogStreams(ctx, &cwl.DescribeLogStreamsInput{LogGroupName: aws.String("/aws/lambda/fn")})
	if err != nil || len(streams.LogStreams) != 4 {
		t.Errorf("got streams %+v %v, want 4", streams, err)
	}
	if err := svc.Append(ctx, cloudtest.Account, "us-east-1", "bad name!", "s", []protocol.LogEvent{{Message: "x"}}); err == nil {
		t.Errorf("Append to an invalid group name: got no error")
	}
}

func TestAccountsAndRegionsAreIsolated(t *testing.T) {
	t.Parallel()
	_, svc, url := newClient(t)
	a := cwl.NewFromConfig(cloudtest.Config(url, "111111111111", "us-east-1"))
	b := cwl.NewFromConfig(cloudtest.Config(url, "222222222222", "us-east-1"))
	aWest := cwl.NewFromConfig(cloudtest.Config(url, "111111111111", "eu-west-1"))
	ctx := cloudtest.Context(t)
	mustGroup(t, a, "g", "s")
	put(t, a, "g", "s", "secret")
	for name, c := range map[string]*cwl.Client{"other account": b, "other region": aWest} {
		out, err := c.DescribeLogGroups(ctx, &cwl.DescribeLogGroupsInput{})
		if err != nil || len(out.LogGroups) != 0 {
			t.Errorf("%s: got %+v %v, want no groups", name, out, err)
		}
		_, err = c.FilterLogEvents(ctx, &cwl.FilterLogEventsInput{LogGroupName: aws.String("g")})
		var nf *types.ResourceNotFoundException
		if !errors.As(err, &nf) {
			t.Errorf("%s: got %v, want ResourceNotFoundException", name, err)
		}
	}
	_, err := b.FilterLogEvents(ctx, &cwl.FilterLogEventsInput{LogGroupIdentifier: aws.String("arn:aws:logs:us-east-1:111111111111:log-group:g")})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("other account by ARN: got %v, want ResourceNotFoundException", err)
	}
	// Append writes in the account and region it is given.
	if err := svc.Append(ctx, "222222222222", "us-east-1", "g", "s", []protocol.LogEvent{{Time: time.Now(), Message: "b's"}}); err != nil {
		t.Fatal(err)
	}
	out, err := a.FilterLogEvents(ctx, &cwl.FilterLogEventsInput{LogGroupName: aws.String("g")})
	if err != nil || len(out.Events) != 1 || aws.ToString(out.Events[0].Message) != "secret" {
		t.Errorf("account a: got %+v %v, want only its own event", out, err)
	}
}

func TestPersistence(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	svc, err := logs.New(logs.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	c := cwl.NewFromConfig(cloudtest.Config(cloudtest.Serve(t, svc.Route()), cloudtest.Account, "us-east-1"))
	ctx := cloudtest.Context(t)
	mustGroup(t, c, "g", "s")
	if _, err := c.PutRetentionPolicy(ctx, &cwl.PutRetentionPolicyInput{LogGroupName: aws.String("g"), RetentionInDays: aws.Int32(30)}); err != nil {
		t.Fatal(err)
	}
	put(t, c, "g", "s", "one", "two")
	if err := svc.Append(ctx, cloudtest.Account, "us-east-1", "/aws/lambda/fn", "s", []protocol.LogEvent{{Time: time.Now(), Message: "from lambda"}}); err != nil {
		t.Fatal(err)
	}
	svc.Close()

	svc2 := newService(t, dir)
	c2 := cwl.NewFromConfig(cloudtest.Config(cloudtest.Serve(t, svc2.Route()), cloudtest.Account, "us-east-1"))
	groups, err := c2.DescribeLogGroups(ctx, &cwl.DescribeLogGroupsInput{})
	if err != nil || len(groups.LogGroups) != 2 {
		t.Fatalf("got %+v %v, want 2 groups", groups, err)
	}
	if got := aws.ToInt32(groups.LogGroups[1].RetentionInDays); got != 30 {
		t.Errorf("got retention %d, want 30", got)
	}
	ev, err := c2.GetLogEvents(ctx, &cwl.GetLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s"), StartFromHead: aws.Bool(true)})
	if err != nil || len(ev.Events) != 2 || aws.ToString(ev.Events[1].Message) != "two" {
		t.Errorf("got %+v %v, want one, two", ev, err)
	}
	st, err := c2.DescribeLogStreams(ctx, &cwl.DescribeLogStreamsInput{LogGroupName: aws.String("g")})
	if err != nil || len(st.LogStreams) != 1 || st.LogStreams[0].LastEventTimestamp == nil {
		t.Errorf("got %+v %v, want the stream with its last event time", st, err)
	}
	fl, err := c2.FilterLogEvents(ctx, &cwl.FilterLogEventsInput{LogGroupName: aws.String("/aws/lambda/fn")})
	if err != nil || len(fl.Events) != 1 {
		t.Errorf("got %+v %v, want the appended event", fl, err)
	}
}

func TestValidation(t *testing.T) {
	t.Parallel()
	c, _, _ := newClient(t)
	ctx := cloudtest.Context(t)
	mustGroup(t, c, "g", "s")
	tests := []struct {
		name string
		call func() error
	}{
		{"bad group name", func() error {
			_, err := c.CreateLogGroup(ctx, &cwl.CreateLogGroupInput{LogGroupName: aws.String("bad name")})
			return err
		}},
		{"bad stream name", func() error {
			_, err := c.CreateLogStream(ctx, &cwl.CreateLogStreamInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("a:b")})
			return err
		}},
		{"limit", func() error {
			_, err := c.DescribeLogGroups(ctx, &cwl.DescribeLogGroupsInput{Limit: aws.Int32(51)})
			return err
		}},
		{"prefix and pattern", func() error {
			_, err := c.DescribeLogGroups(ctx, &cwl.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("a"), LogGroupNamePattern: aws.String("b")})
			return err
		}},
		{"order by time with prefix", func() error {
			_, err := c.DescribeLogStreams(ctx, &cwl.DescribeLogStreamsInput{LogGroupName: aws.String("g"), OrderBy: types.OrderByLastEventTime, LogStreamNamePrefix: aws.String("s")})
			return err
		}},
		{"names and identifier", func() error {
			_, err := c.FilterLogEvents(ctx, &cwl.FilterLogEventsInput{LogGroupName: aws.String("g"), LogGroupIdentifier: aws.String("g")})
			return err
		}},
		{"streams and prefix", func() error {
			_, err := c.FilterLogEvents(ctx, &cwl.FilterLogEventsInput{LogGroupName: aws.String("g"), LogStreamNames: []string{"s"}, LogStreamNamePrefix: aws.String("s")})
			return err
		}},
		{"bad next token", func() error {
			_, err := c.FilterLogEvents(ctx, &cwl.FilterLogEventsInput{LogGroupName: aws.String("g"), NextToken: aws.String("!!")})
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := apiCode(tt.call()); got != "InvalidParameterException" {
				t.Errorf("got code %q, want InvalidParameterException", got)
			}
		})
	}
}

func TestTestMetricFilter(t *testing.T) {
	t.Parallel()
	c, _, _ := newClient(t)
	out, err := c.TestMetricFilter(cloudtest.Context(t), &cwl.TestMetricFilterInput{
		FilterPattern:    aws.String(`{ $.level = "ERROR" }`),
		LogEventMessages: []string{`{"level":"INFO"}`, `{"level":"ERROR"}`, `ERROR`},
	})
	if err != nil {
		t.Fatalf("TestMetricFilter: %v", err)
	}
	if len(out.Matches) != 1 || out.Matches[0].EventNumber != 2 {
		t.Errorf("got %+v, want event 2", out.Matches)
	}
	_, err = c.TestMetricFilter(cloudtest.Context(t), &cwl.TestMetricFilterInput{FilterPattern: aws.String(`{`), LogEventMessages: []string{"x"}})
	if got := apiCode(err); got != "InvalidParameterException" {
		t.Errorf("bad pattern: got %v, want InvalidParameterException", err)
	}
}

func TestInsightsQueries(t *testing.T) {
	t.Parallel()
	c, svc, url := newClient(t)
	ctx := cloudtest.Context(t)
	now := time.Now()
	if err := svc.Append(ctx, cloudtest.Account, "us-east-1", "/aws/lambda/orders", "s", []protocol.LogEvent{
		{Time: now, Message: `{"level":"INFO","orderId":"o-1"}`},
		{Time: now, Message: `{"level":"ERROR","orderId":"o-2"}`},
		{Time: now, Message: "REPORT RequestId: x Duration: 2 ms"},
	}); err != nil {
		t.Fatal(err)
	}
	start, err := c.StartQuery(ctx, &cwl.StartQueryInput{
		LogGroupName: aws.String("/aws/lambda/orders"),
		StartTime:    aws.Int64(now.Add(-time.Hour).Unix()),
		EndTime:      aws.Int64(now.Add(time.Minute).Unix()),
		QueryString:  aws.String(`fields @timestamp, orderId | filter level = "ERROR"`),
	})
	if err != nil {
		t.Fatalf("StartQuery: %v", err)
	}
	res, err := c.GetQueryResults(ctx, &cwl.GetQueryResultsInput{QueryId: start.QueryId})
	if err != nil {
		t.Fatalf("GetQueryResults: %v", err)
	}
	if res.Status != types.QueryStatusComplete || len(res.Results) != 1 {
		t.Fatalf("got status %s and %d rows, want Complete and 1", res.Status, len(res.Results))
	}
	row := map[string]string{}
	for _, f := range res.Results[0] {
		row[aws.ToString(f.Field)] = aws.ToString(f.Value)
	}
	if row["orderId"] != "o-2" || row["@timestamp"] == "" || row["@ptr"] == "" {
		t.Errorf("got row %v, want orderId o-2 with @timestamp and @ptr", row)
	}
	if res.Statistics == nil || res.Statistics.RecordsScanned != 3 || res.Statistics.RecordsMatched != 1 {
		t.Errorf("got statistics %+v, want 3 scanned, 1 matched", res.Statistics)
	}

	_, err = c.StartQuery(ctx, &cwl.StartQueryInput{LogGroupName: aws.String("/aws/lambda/orders"), StartTime: aws.Int64(0), EndTime: aws.Int64(1), QueryString: aws.String("frobnicate x")})
	var mal *types.MalformedQueryException
	if !errors.As(err, &mal) {
		t.Errorf("bad query: got %v, want MalformedQueryException", err)
	}
	_, err = c.StartQuery(ctx, &cwl.StartQueryInput{LogGroupName: aws.String("/missing"), StartTime: aws.Int64(0), EndTime: aws.Int64(1), QueryString: aws.String("fields @message")})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("missing group: got %v, want ResourceNotFoundException", err)
	}
	other := cwl.NewFromConfig(cloudtest.Config(url, "999999999999", "us-east-1"))
	_, err = other.GetQueryResults(ctx, &cwl.GetQueryResultsInput{QueryId: start.QueryId})
	if !errors.As(err, &nf) {
		t.Errorf("another account's query: got %v, want ResourceNotFoundException", err)
	}
}

func TestMetricFilters(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	svc, err := logs.New(logs.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	c := cwl.NewFromConfig(cloudtest.Config(cloudtest.Serve(t, svc.Route()), cloudtest.Account, "us-east-1"))
	ctx := cloudtest.Context(t)
	mustGroup(t, c, "/aws/lambda/orders")
	tr := []types.MetricTransformation{{MetricName: aws.String("Errors"), MetricNamespace: aws.String("Orders"), MetricValue: aws.String("1"), DefaultValue: aws.Float64(0)}}
	if _, err := c.PutMetricFilter(ctx, &cwl.PutMetricFilterInput{LogGroupName: aws.String("/aws/lambda/orders"), FilterName: aws.String("errors"),
		FilterPattern: aws.String(`{ $.level = "ERROR" }`), MetricTransformations: tr}); err != nil {
		t.Fatalf("PutMetricFilter: %v", err)
	}
	bad := []cwl.PutMetricFilterInput{
		{LogGroupName: aws.String("/aws/lambda/orders"), FilterName: aws.String("x"), FilterPattern: aws.String(`{ $.level = `), MetricTransformations: tr},
		{LogGroupName: aws.String("/aws/lambda/orders"), FilterName: aws.String("x"), FilterPattern: aws.String(`ERROR`),
			MetricTransformations: []types.MetricTransformation{{MetricName: aws.String("a:b"), MetricNamespace: aws.String("n"), MetricValue: aws.String("1")}}},
	}
	for i := range bad {
		if _, err := c.PutMetricFilter(ctx, &bad[i]); apiCode(err) != "InvalidParameterException" {
			t.Errorf("bad filter %d: got %v, want InvalidParameterException", i, err)
		}
	}
	_, err = c.PutMetricFilter(ctx, &cwl.PutMetricFilterInput{LogGroupName: aws.String("/missing"), FilterName: aws.String("x"), FilterPattern: aws.String(""), MetricTransformations: tr})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("missing group: got %v, want ResourceNotFoundException", err)
	}
	svc.Close()

	svc2 := newService(t, dir)
	c2 := cwl.NewFromConfig(cloudtest.Config(cloudtest.Serve(t, svc2.Route()), cloudtest.Account, "us-east-1"))
	out, err := c2.DescribeMetricFilters(ctx, &cwl.DescribeMetricFiltersInput{LogGroupName: aws.String("/aws/lambda/orders")})
	if err != nil {
		t.Fatalf("DescribeMetricFilters: %v", err)
	}
	if len(out.MetricFilters) != 1 || aws.ToString(out.MetricFilters[0].FilterPattern) != `{ $.level = "ERROR" }` ||
		aws.ToString(out.MetricFilters[0].MetricTransformations[0].MetricName) != "Errors" {
		t.Fatalf("got %+v, want the errors filter", out.MetricFilters)
	}
	byMetric, err := c2.DescribeMetricFilters(ctx, &cwl.DescribeMetricFiltersInput{MetricName: aws.String("Errors"), MetricNamespace: aws.String("Orders")})
	if err != nil || len(byMetric.MetricFilters) != 1 {
		t.Errorf("by metric: got %+v %v, want 1", byMetric, err)
	}
	groups, _ := c2.DescribeLogGroups(ctx, &cwl.DescribeLogGroupsInput{})
	if got := aws.ToInt32(groups.LogGroups[0].MetricFilterCount); got != 1 {
		t.Errorf("got metricFilterCount %d, want 1", got)
	}
	if _, err := c2.DeleteMetricFilter(ctx, &cwl.DeleteMetricFilterInput{LogGroupName: aws.String("/aws/lambda/orders"), FilterName: aws.String("errors")}); err != nil {
		t.Fatalf("DeleteMetricFilter: %v", err)
	}
	_, err = c2.DeleteMetricFilter(ctx, &cwl.DeleteMetricFilterInput{LogGroupName: aws.String("/aws/lambda/orders"), FilterName: aws.String("errors")})
	if !errors.As(err, &nf) {
		t.Errorf("delete twice: got %v, want ResourceNotFoundException", err)
	}
}
