package logs

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

const maxSubscriptionFilters = 2 // per log group, AWS's quota

// subscriptionFilter is a SubscriptionFilter on the wire.
type subscriptionFilter struct {
	FilterName     string `json:"filterName"`
	LogGroupName   string `json:"logGroupName"`
	FilterPattern  string `json:"filterPattern"`
	DestinationArn string `json:"destinationArn"`
	RoleArn        string `json:"roleArn,omitempty"`
	Distribution   string `json:"distribution"`
	CreationTime   int64  `json:"creationTime"`
}

// functionsBox lets an interface value live in an atomic.Value.
type functionsBox struct{ f protocol.FunctionInvoker }

// SetFunctions tells the service how subscription filters invoke Lambda
// functions (the Lambda service, built after this one). Without it events
// are not delivered to functions.
func (s *Service) SetFunctions(f protocol.FunctionInvoker) { s.functions.Store(functionsBox{f}) }

// checkDestination refuses destinations the local cloud cannot deliver to
// with the errors AWS gives for a destination that is not there: it has
// Lambda but no Kinesis Data Streams or Firehose.
func checkDestination(arn string) error {
	a, ok := protocol.ParseARN(arn)
	if !ok {
		return invalidParam("Invalid destination ARN: %s", arn)
	}
	switch a.Service {
	case "lambda":
		if !strings.HasPrefix(a.Resource, "function:") {
			return invalidParam("Invalid destination ARN: %s", arn)
		}
		return nil
	case "kinesis":
		return invalidParam("Could not deliver test message to specified Kinesis stream. Check if the given kinesis stream is in ACTIVE state.")
	case "firehose":
		return invalidParam("Could not deliver test message to specified Firehose stream. Check if the given Firehose stream is in ACTIVE state.")
	case "logs":
		if strings.HasPrefix(a.Resource, "destination:") {
			return invalidParam("Could not deliver test message to specified destination. Check if the destination is valid.")
		}
	}
	return invalidParam("Invalid destination ARN: %s", arn)
}

// checkFunctionDestination asks Lambda, as CloudWatch Logs does when a
// filter is put, whether the destination function exists and lets
// logs.amazonaws.com invoke it from the group.
func (s *Service) checkFunctionDestination(ctx context.Context, arn string, g *group) error {
	box, _ := s.functions.Load().(functionsBox)
	if a, _ := protocol.ParseARN(arn); a.Service != "lambda" || box.f == nil {
		return nil
	}
	_, err := box.f.InvokeFromService(ctx, protocol.ServiceInvocation{FunctionARN: arn, SourcePrincipal: "logs.amazonaws.com",
		SourceARN: protocol.ARN("logs", g.key.region, g.key.account, "log-group:"+g.key.name+":*"), SourceAccount: g.key.account, DryRun: true})
	if err != nil {
		return invalidParam("Could not execute the lambda function. Make sure you have given CloudWatch Logs permission to execute your function.")
	}
	return nil
}

func (s *Service) putSubscriptionFilter(ctx context.Context, body []byte) (any, error) {
	var in struct {
		LogGroupName   string  `json:"logGroupName"`
		FilterName     string  `json:"filterName"`
		FilterPattern  *string `json:"filterPattern"`
		DestinationArn string  `json:"destinationArn"`
		RoleArn        string  `json:"roleArn"`
		Distribution   string  `json:"distribution"`
	}
	if err := protocol.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	if err := validGroupName("logGroupName", in.LogGroupName); err != nil {
		return nil, err
	}
	if err := validFilterName("filterName", in.FilterName); err != nil {
		return nil, err
	}
	if in.FilterPattern == nil {
		return nil, invalidParam("1 validation error detected: Value null at 'filterPattern' failed to satisfy constraint: Member must not be null")
	}
	if len(*in.FilterPattern) > 1024 {
		return nil, invalidParam("1 validation error detected: Value '%s' at 'filterPattern' failed to satisfy constraint: Member must have length less than or equal to 1024", *in.FilterPattern)
	}
	if in.DestinationArn == "" {
		return nil, invalidParam("1 validation error detected: Value null at 'destinationArn' failed to satisfy constraint: Member must not be null")
	}
	switch in.Distribution {
	case "":
		in.Distribution = "ByLogStream"
	case "Random", "ByLogStream":
	default:
		return nil, invalidParam("1 validation error detected: Value '%s' at 'distribution' failed to satisfy constraint: Member must satisfy enum value set: [Random, ByLogStream]", in.Distribution)
	}
	if _, err := CompilePattern(*in.FilterPattern); err != nil {
		return nil, invalidParam("Invalid subscription filter pattern")
	}
	id := protocol.IdentityFrom(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	g, err := s.findGroup(ctx, in.LogGroupName)
	if err != nil {
		return nil, err
	}
	if err := checkDestination(in.DestinationArn); err != nil {
		return nil, err
	}
	if err := s.checkFunctionDestination(ctx, in.DestinationArn, g); err != nil {
		return nil, err
	}
	k := docKey{kindSubscription, id.AccountID, id.Region, g.key.name, in.FilterName}
	if _, exists := s.docs[k]; !exists && len(s.listDocs(kindSubscription, id.AccountID, id.Region, g.key.name, "")) >= maxSubscriptionFilters {
		return nil, protocol.Errorf("LimitExceededException", "Resource limit exceeded.")
	}
	f := subscriptionFilter{FilterName: in.FilterName, LogGroupName: g.key.name, FilterPattern: *in.FilterPattern,
		DestinationArn: in.DestinationArn, RoleArn: in.RoleArn, Distribution: in.Distribution, CreationTime: s.now().UnixMilli()}
	return nil, s.putDoc(ctx, k, f)
}

// validFilterName checks a member of the shapes FilterName and
// DestinationName (1 to 512 characters, no ':' or '*').
func validFilterName(field, name string) error {
	var v violations
	v.length(field, name, 1, 512)
	v.pattern(field, name, noneOf(name, ":*"), "[^:*]*")
	return v.err()
}

func (s *Service) describeSubscriptionFilters(ctx context.Context, body []byte) (any, error) {
	var in struct {
		LogGroupName     string `json:"logGroupName"`
		FilterNamePrefix string `json:"filterNamePrefix"`
		NextToken        string `json:"nextToken"`
		Limit            *int   `json:"limit"`
	}
	if err := protocol.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	if err := validGroupName("logGroupName", in.LogGroupName); err != nil {
		return nil, err
	}
	s.mu.RLock()
	_, err := s.findGroup(ctx, in.LogGroupName)
	s.mu.RUnlock()
	if err != nil {
		return nil, err
	}
	list, next, err := docsPage[subscriptionFilter](ctx, s, kindSubscription, in.LogGroupName, in.FilterNamePrefix, in.NextToken, in.Limit)
	if err != nil {
		return nil, err
	}
	return struct {
		SubscriptionFilters []subscriptionFilter `json:"subscriptionFilters"`
		NextToken           string               `json:"nextToken,omitempty"`
	}{list, next}, nil
}

func (s *Service) deleteSubscriptionFilter(ctx context.Context, body []byte) (any, error) {
	var in struct {
		LogGroupName string `json:"logGroupName"`
		FilterName   string `json:"filterName"`
	}
	if err := protocol.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	if err := validGroupName("logGroupName", in.LogGroupName); err != nil {
		return nil, err
	}
	if err := validFilterName("filterName", in.FilterName); err != nil {
		return nil, err
	}
	id := protocol.IdentityFrom(ctx)
	s.mu.RLock()
	_, err := s.findGroup(ctx, in.LogGroupName)
	s.mu.RUnlock()
	if err != nil {
		return nil, err
	}
	return nil, s.deleteDoc(ctx, docKey{kindSubscription, id.AccountID, id.Region, in.LogGroupName, in.FilterName},
		protocol.Errorf("ResourceNotFoundException", "The specified subscription filter does not exist."))
}

// subscriptionEvent is one event of a subscription's DATA_MESSAGE.
type subscriptionEvent struct {
	ID        string `json:"id"`
	Timestamp int64  `json:"timestamp"`
	Message   string `json:"message"`
}

// deliverSubscriptions sends committed events of one stream that match the
// group's subscription filters to their Lambda functions: an asynchronous
// invocation whose event is {"awslogs":{"data":base64(gzip(DATA_MESSAGE))}},
// as CloudWatch Logs sends it. A function without a resource policy that
// lets logs.amazonaws.com invoke it gets nothing, as on AWS.
func (s *Service) deliverSubscriptions(ctx context.Context, k groupKey, streamName string, evs []event) {
	box, _ := s.functions.Load().(functionsBox)
	if box.f == nil {
		return
	}
	s.mu.RLock()
	var filters []subscriptionFilter
	for _, dk := range s.listDocs(kindSubscription, k.account, k.region, k.name, "") {
		var f subscriptionFilter
		if s.getDoc(dk, &f) {
			filters = append(filters, f)
		}
	}
	s.mu.RUnlock()
	for _, f := range filters {
		p, err := CompilePattern(f.FilterPattern)
		if err != nil {
			continue
		}
		var matched []subscriptionEvent
		for i, e := range evs {
			if p.Match(e.msg) {
				matched = append(matched, subscriptionEvent{ID: fmt.Sprintf("%056d", e.ingest*1000+int64(i)), Timestamp: e.ts, Message: e.msg})
			}
		}
		if len(matched) == 0 {
			continue
		}
		payload, err := awslogsEvent(k, streamName, f.FilterName, matched)
		if err != nil {
			s.log.Warn("encode subscription delivery", "filter", f.FilterName, "err", err)
			continue
		}
		_, err = box.f.InvokeFromService(context.WithoutCancel(ctx), protocol.ServiceInvocation{FunctionARN: f.DestinationArn, SourcePrincipal: "logs.amazonaws.com",
			SourceARN: protocol.ARN("logs", k.region, k.account, "log-group:"+k.name+":*"), SourceAccount: k.account, Payload: payload, Async: true})
		if err != nil {
			s.log.Info("subscription filter delivery refused", "filter", f.FilterName, "destination", f.DestinationArn, "err", err)
		}
	}
}

// awslogsEvent is the Lambda event of a subscription delivery.
func awslogsEvent(k groupKey, streamName, filter string, evs []subscriptionEvent) ([]byte, error) {
	msg, err := json.Marshal(struct {
		MessageType         string              `json:"messageType"`
		Owner               string              `json:"owner"`
		LogGroup            string              `json:"logGroup"`
		LogStream           string              `json:"logStream"`
		SubscriptionFilters []string            `json:"subscriptionFilters"`
		LogEvents           []subscriptionEvent `json:"logEvents"`
	}{"DATA_MESSAGE", k.account, k.name, streamName, []string{filter}, evs})
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(msg); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return json.Marshal(map[string]map[string]string{"awslogs": {"data": base64.StdEncoding.EncodeToString(buf.Bytes())}})
}
