package checks

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cwltypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/labkit-dev/labkit/grader"
	"github.com/labkit-dev/labkit/internal/plural"
)

var functionsParam = grader.Param{Name: "functions", Required: true, Doc: "the functions' names; their log groups are /aws/lambda/<name>"}

func logsKinds() []grader.Kind {
	return []grader.Kind{
		{
			Name: "logs.retention", Doc: "each function's log group exists with a retention policy",
			Params: []grader.Param{functionsParam, {Name: "maxDays", Doc: "the longest retention accepted (default 0: any)"}},
			Calls:  []string{"logs:DescribeLogGroups"},
			Run:    runRetention,
		},
		{
			Name: "logs.structured",
			Doc: "each function's recent log lines are JSON objects with a level and a message, and the lines of the functions " +
				"that handle orders carry orderId",
			Params: []grader.Param{functionsParam,
				{Name: "orderIdFunctions", Doc: "the functions whose lines must include orderId somewhere"},
				{Name: "window", Doc: "how far back to read, e.g. 1h (default 1h)"}},
			Calls: []string{"logs:FilterLogEvents"},
			Run:   runStructured,
		},
	}
}

func runRetention(ctx context.Context, env *grader.Env, p grader.Params) grader.Outcome {
	c := cloudwatchlogs.NewFromConfig(env.AWS)
	maxDays := p.Int("maxDays", 0)
	var parts []grader.Part
	for _, fn := range p.Strings("functions") {
		group := "/aws/lambda/" + fn
		out, err := c.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: &group})
		if err != nil {
			return undecided("describe log group "+group, err)
		}
		idx := slices.IndexFunc(out.LogGroups, func(g cwltypes.LogGroup) bool { return aws.ToString(g.LogGroupName) == group })
		switch {
		case idx < 0:
			parts = append(parts, grader.Part{Name: group, Detail: "does not exist yet (it appears when the function first runs, or create it)"})
		case out.LogGroups[idx].RetentionInDays == nil:
			parts = append(parts, grader.Part{Name: group, Detail: "keeps logs forever (no retention policy)"})
		case maxDays > 0 && int(*out.LogGroups[idx].RetentionInDays) > maxDays:
			parts = append(parts, grader.Part{Name: group, Detail: fmt.Sprintf("keeps logs %s, want at most %d", plural.Count(int(*out.LogGroups[idx].RetentionInDays), "day", "days"), maxDays)})
		default:
			parts = append(parts, grader.Part{Name: group, Passed: true, Detail: plural.Count(int(*out.LogGroups[idx].RetentionInDays), "day", "days")})
		}
	}
	return partsOutcome(parts, "not every log group has a retention policy", "every function's log group has a retention policy")
}

// platformPrefixes start the lines Lambda itself writes to a function's log.
var platformPrefixes = []string{"START ", "END ", "REPORT ", "INIT_START", "INIT_REPORT", "EXTENSION", "TELEMETRY", "RUNTIME_"}

// platformTimeout is the line Lambda writes when an invocation times out
// ("2026-12-07T06:40:50.115Z <request id> Task timed out after 3.00
// seconds"): the platform's, not the function's logging (a grading machine
// under load timed the publisher out and failed the reference here).
var platformTimeout = regexp.MustCompile(`^\S+ [0-9a-fA-F-]{36} Task timed out after [0-9.]+ seconds$`)

// platformLine reports whether msg is a line Lambda itself wrote.
func platformLine(msg string) bool {
	return slices.ContainsFunc(platformPrefixes, func(pre string) bool { return strings.HasPrefix(msg, pre) }) || platformTimeout.MatchString(msg)
}

func runStructured(ctx context.Context, env *grader.Env, p grader.Params) grader.Outcome {
	window, err := time.ParseDuration(p.String("window", "1h"))
	if err != nil || window <= 0 {
		window = time.Hour
	}
	withOrder := p.Strings("orderIdFunctions")
	c := cloudwatchlogs.NewFromConfig(env.AWS)
	start := time.Now().Add(-window).UnixMilli()
	var parts []grader.Part
	for _, fn := range p.Strings("functions") {
		group := "/aws/lambda/" + fn
		out, err := c.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: &group, StartTime: &start, Limit: aws.Int32(200)})
		if isNotFound(err) {
			parts = append(parts, grader.Part{Name: fn, Detail: "has no log group " + group})
			continue
		}
		if err != nil {
			return undecided("read the logs of "+fn, err)
		}
		lines, bad, orderIDs := 0, "", 0
		for _, e := range out.Events {
			msg := strings.TrimSpace(aws.ToString(e.Message))
			if msg == "" || platformLine(msg) {
				continue
			}
			lines++
			var obj map[string]any
			if json.Unmarshal([]byte(msg), &obj) != nil {
				if bad == "" {
					bad = "a line is not JSON: " + clip(msg, 80)
				}
				continue
			}
			_, hasLevel := obj["level"]
			_, hasMsg := obj["msg"]
			_, hasMessage := obj["message"]
			if (!hasLevel || !(hasMsg || hasMessage)) && bad == "" {
				bad = "a line lacks level or msg: " + clip(msg, 80)
			}
			if id, ok := obj["orderId"].(string); ok && id != "" {
				orderIDs++
			}
		}
		switch {
		case lines == 0:
			parts = append(parts, grader.Part{Name: fn, Detail: fmt.Sprintf("wrote no log lines in the last %s: run some traffic first", window)})
		case bad != "":
			parts = append(parts, grader.Part{Name: fn, Detail: bad})
		case slices.Contains(withOrder, fn) && orderIDs == 0:
			parts = append(parts, grader.Part{Name: fn, Detail: fmt.Sprintf("none of its %d recent lines carries orderId, so you cannot follow one order through it", lines)})
		default:
			parts = append(parts, grader.Part{Name: fn, Passed: true, Detail: fmt.Sprintf("%d JSON lines, %d with orderId", lines, orderIDs)})
		}
	}
	return partsOutcome(parts, "not every function logs structured JSON", "every function logs JSON lines with level and message")
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
